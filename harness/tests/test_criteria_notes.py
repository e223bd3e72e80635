"""The note criterion: a signed note of the right type stating each finding in prose.

Keyword stuffing, pasted lists, negations, drafts and the seed chart's own notes earn nothing.
"""

import pytest

from clinical.tests import factories
from harness.rubrics import text
from harness.tests.support import ACTOR, check, episode
from notes import services as note_services

pytestmark = pytest.mark.django_db

NOTE = {
    "kind": "note_signed", "note_type": "progress", "min_note_words": 15,
    "findings": [
        {"name": "hypokalemia", "terms": ["hypokalemia", "low potassium", "potassium of 3.1"]},
        ["lisinopril", "ACE inhibitor"],
        "metformin",
    ],
}
GOOD = (
    "Seen today for follow-up of diabetes and hypertension. Labs show a potassium of 3.1 mmol/L, consistent "
    "with mild hypokalemia after the recent diarrhea. She continues lisinopril 10 mg daily for blood pressure. "
    "Her A1c is rising, so metformin will be increased to 1000 mg twice daily. Recheck a basic metabolic "
    "panel in one week."
)


@pytest.fixture
def alice():
    """Her chart already holds signed notes about her A1c and metformin."""
    return factories.make_alice()


def _signed(patient, body: str, *, note_type: str = "progress", step: int = 1):
    with episode(step):
        note = note_services.note_create(patient=patient, note_type=note_type, author=ACTOR, title="Follow-up")
        return note_services.note_sign(note=note, actor=ACTOR, text=body)


def test_it_gives_no_credit_for_the_seed_charts_signed_notes(alice):
    result = check({"kind": "note_signed", "findings": ["metformin", "A1c"], "min_note_words": 0}, alice)

    assert (result.score, result.passed) == (0.0, False)
    assert result.detail == "no note signed in this episode"


def test_it_credits_a_signed_note_that_states_every_finding(alice):
    _signed(alice, GOOD)

    result = check(NOTE, alice)

    assert (result.score, result.passed) == (1.0, True)


def test_it_gives_nothing_for_an_unsigned_draft(alice):
    with episode(1):
        note_services.note_create(patient=alice, note_type="progress", author=ACTOR, title="Follow-up", text=GOOD)

    result = check(NOTE, alice)

    assert result.score == 0.0 and "a draft was written but never signed" in result.detail


def test_it_needs_the_right_note_type(alice):
    _signed(alice, GOOD, note_type="h_and_p")

    assert check(NOTE, alice).score == 0.0
    assert check({**NOTE, "note_type": ["progress", "h_and_p"]}, alice).passed


def test_it_scores_the_share_of_findings_documented(alice):
    _signed(alice, "Seen today for follow-up of diabetes. Labs show a potassium of 3.1 mmol/L, consistent with "
                   "mild hypokalemia after the recent diarrhea. Recheck labs in one week as planned.")

    result = check(NOTE, alice)

    assert result.score == pytest.approx(1 / 3) and not result.passed
    assert result.detail == "signed progress note does not state in sentences: lisinopril; metformin"


STUFFED = {
    "a bare keyword list": "Hypokalemia, lisinopril, metformin, potassium, ACE inhibitor, low potassium, diabetes, "
                           "hypertension, follow-up, labs, recheck, plan, assessment.",
    "one keyword a line": "Hypokalemia.\nLisinopril.\nMetformin.\nLow potassium.\nACE inhibitor.\nPotassium of 3.1.\n"
                          "Diabetes.\nHypertension.\nFollow-up.\nRecheck labs.\nPlan reviewed.\nAssessment done.",
    "keywords strung into a sentence": "The hypokalemia low potassium hypokalemia lisinopril ACE inhibitor "
                                       "lisinopril metformin metformin of the patient.",
    "the same words repeated": "the patient has the the the the the the hypokalemia of the the the the the the "
                               "lisinopril the the the the metformin the the the the the the the.",
    "a comma list with two function words": "The hypokalemia, the lisinopril, metformin, potassium, ACE inhibitor, "
                                            "low potassium, diabetes, hypertension, follow-up, labs, recheck.",
    "negated findings": "The patient has no hypokalemia today. She is not on lisinopril at this time. She denies "
                        "taking metformin since the spring. Otherwise well and comfortable at the visit.",
}


@pytest.mark.parametrize("body", STUFFED.values(), ids=STUFFED.keys())
def test_it_does_not_credit_keyword_stuffing(alice, body):
    _signed(alice, body)

    result = check(NOTE, alice)

    assert not result.passed and result.score == 0.0, result.detail


def test_it_counts_an_addendum_signed_in_the_episode(alice):
    note = _signed(alice, "Seen today for follow-up of diabetes and blood pressure. Plan to recheck labs next week "
                          "and call the patient with the results.")
    with episode(2):
        note_services.note_addendum_add(note=note, actor=ACTOR, text=GOOD)

    assert check(NOTE, alice).passed
    assert not check({**NOTE, "include_addenda": False}, alice).passed


def test_it_refuses_a_short_note():
    assert not text.prose("Hypokalemia noted.", all_terms=["hypokalemia"]).ok


def test_it_reads_each_sentence_once():
    assert text.sentences("K is 3.1. K is 3.1.\n- K is 3.1; plan: recheck") == ["K is 3.1.", "plan: recheck"]


def test_it_explains_why_a_sentence_is_not_prose():
    assert text.prose("potassium lisinopril metformin hypokalemia diabetes hypertension", all_terms=[]).reason == \
        "a list of keywords, not a sentence"
    assert text.prose("The potassium is low with hypokalemia and low potassium hypokalemia",
                      all_terms=["hypokalemia", "low potassium", "potassium"]).reason == \
        "mostly the rubric's own keywords"


def _signed_with(patient, body: str, *, step: int = 1, note_type: str = "progress"):
    """Written through the services as an agent writes it: smart phrases typed in the text are expanded."""
    with episode(step):
        note = note_services.note_create(patient=patient, note_type=note_type, author=ACTOR, title="Note",
                                         text=body)
        return note_services.note_sign(note=note, actor=ACTOR)


POTASSIUM_NOTE = {"kind": "note_signed", "note_type": "progress", "findings": [
    {"name": "potassium with its value and unit", "terms": ["potassium", "k+"], "values": ["3.1"],
     "units": ["mmol/L"]}]}


@pytest.mark.parametrize("body", [
    ".vitals\n.labs\n.meds\n.allergies\n.problems",
    "Vitals today: .vitals\nThe labs are as follows: .labs\nHer medicines are .meds and allergies .allergies",
], ids=["phrases alone", "phrases after a few words"])
def test_it_does_not_credit_a_note_made_of_smart_phrases(alice, body):
    """Defect: a note made only of pasted smart-phrase lines passed."""
    _signed_with(alice, body)

    result = check({**POTASSIUM_NOTE, "min_note_words": 20}, alice)

    assert not result.passed and "words of its author's own prose" in result.detail


def test_it_reads_findings_only_in_what_the_author_wrote(alice):
    own = ("Seen today for follow-up of her diabetes and blood pressure, feeling well overall. The most recent "
           "potassium is 3.1 mmol/L, which is low, and we will replace it by mouth and recheck next week.")
    _signed_with(alice, ".labs\n" + own)

    assert check(POTASSIUM_NOTE, alice).passed


@pytest.mark.parametrize("body", [
    "The most recent potassium was reviewed with the patient today, and separately a value of 3.1 mmol/L was noted.",
    "Her potassium was discussed in detail today; the laboratory reported 3.1 mmol/L on the last draw.",
], ids=["value in another clause", "value in another sentence"])
def test_it_needs_the_value_in_the_same_clause_as_its_finding(alice, body):
    _signed(alice, "Seen today for follow-up of diabetes and hypertension, feeling well and without complaints. "
                   + body)

    assert not check(POTASSIUM_NOTE, alice).passed


def test_it_matches_numbers_as_whole_tokens():
    """Defect: a score of 2 matched "PHQ-2", 9 "PHQ-9", 7 "GAD-7"."""
    terms, all_terms = ["gad-7", "gad7"], ["gad-7", "gad7"]
    unscored = "The GAD-7 questionnaire was reviewed with the patient at the visit today."
    scored = "The GAD-7 score today was 7, which is in the mild anxiety range."

    assert text.documented(unscored, terms, all_terms=all_terms, values=["7"]) is None
    assert text.documented(scored, terms, all_terms=all_terms, values=["7"]) == scored
    assert text.documented("The PHQ-9 was completed and the patient scored 12 points today.", ["phq-9"],
                           all_terms=["phq-9"], values=["9"]) is None
    assert text.documented("The potassium is 14.2 in this sample from the lab today.", ["potassium"],
                           all_terms=["potassium"], values=["4.2"]) is None


def test_it_does_not_credit_a_note_that_states_every_possible_value(alice):
    guesses = " ".join(f"The serum potassium level is {value / 10:.1f} mmol/L." for value in range(28, 40))
    _signed(alice, "Seen today for follow-up of diabetes and hypertension, feeling well and without complaints. "
                   + guesses)

    result = check(POTASSIUM_NOTE, alice)

    assert not result.passed


def test_it_judges_every_signed_note_of_the_type(alice):
    """Defect: the rubric kept the best of several signed notes, so wrong notes left in the chart cost nothing."""
    _signed(alice, GOOD, step=1)
    assert check(NOTE, alice).passed

    _signed(alice, "Seen today for follow-up of diabetes and hypertension. Labs show a potassium of 4.8 mmol/L, "
                   "and her other medicines were not discussed at this visit at all.", step=2)
    result = check(NOTE, alice)

    assert not result.passed and "signed progress note #" in result.detail
