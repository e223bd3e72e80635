"""Smart phrases expand from the chart, each alone, with and without data."""

from datetime import date, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from clinical.tests import factories
from notes import smartphrases
from notes.smartphrases import expand, scan

pytestmark = pytest.mark.django_db


def local(moment, fmt="%m/%d/%Y %H:%M") -> str:
    return timezone.localtime(moment).strftime(fmt)


def bare_patient(**fields):
    defaults = {"mrn": "E2000", "given": "Nora", "family": "Empty", "birth_date": date(1980, 1, 2), "sex": "female"}
    return factories.make_patient(**{**defaults, **fields})


def test_it_expands_vitals_with_time_units_and_flags(alice):
    taken = alice.observations.filter(loinc="8480-6").latest("effective_at").effective_at
    assert expand(".vitals", alice).text == (
        f"Vitals ({local(taken)}): BP 147/87 mmHg (H), Pulse 81/min, Resp 16/min, Temp 36.8 °C, SpO2 98%, "
        "Weight 85 kg, Height 164 cm, BMI 31.6 kg/m², Pain 0"
    )


def test_it_says_when_there_are_no_vitals(charlie):
    assert expand(".vitals", charlie).text == "No vitals on file"


def test_it_puts_vitals_taken_at_different_times_on_their_own_lines(alice):
    later = timezone.now() - timedelta(hours=1)
    factories.add_observation(alice, "8867-4", "Heart rate", 112, "/min", at=later, category="vital-signs", flag="H")
    lines = expand(".vitals", alice).text.splitlines()
    assert lines[0] == f"Vitals ({local(later)}): Pulse 112/min (H)"
    assert lines[1].startswith("Vitals (") and "BP 147/87 mmHg (H)" in lines[1] and "Pulse" not in lines[1]


def test_it_expands_recent_labs_with_flags_and_ranges(alice):
    drawn = local(alice.observations.filter(loinc=factories.HBA1C).latest("effective_at").effective_at, "%m/%d/%Y")
    assert expand(".labs", alice).text.splitlines() == [
        f"Recent labs (latest result of each test, {drawn}):",
        f"- Creatinine [Mass/volume] in Blood: 1 mg/dL [ref 0.6–1.2] ({drawn})",
        f"- Glucose [Mass/volume] in Blood: 171 mg/dL (H) [ref 70–99] ({drawn})",
        f"- Hemoglobin A1c/Hemoglobin.total in Blood: 8.6% (H) [ref 4–5.6] ({drawn})",
        f"- Low Density Lipoprotein Cholesterol: 118 mg/dL (H) [ref <100] ({drawn})",
        f"- Potassium [Moles/volume] in Blood: 3.1 mmol/L (L) [ref 3.5–5.1] ({drawn})",
    ]


def test_it_leaves_old_results_and_questionnaires_out_of_labs(alice):
    now = timezone.now()
    factories.add_observation(alice, "3016-3", "Thyrotropin", 2.1, "m[IU]/L", at=now - timedelta(days=400))
    factories.add_observation(alice, "55758-7", "PHQ-2 total score", 1, "{score}", at=now)
    factories.add_observation(alice, "71802-3", "Housing status", None, "", at=now, value_text="I have housing")
    factories.add_observation(alice, "5778-6", "Color of Urine", None, "", at=now, value_text="Yellow")
    text = expand(".labs", alice).text
    assert "- Color of Urine: Yellow" in text and "Hemoglobin A1c" in text
    assert "Thyrotropin" not in text and "PHQ-2" not in text and "Housing" not in text


def test_it_says_when_there_are_no_labs(charlie):
    assert expand(".labs", charlie).text == "No lab results on file"


def test_it_expands_active_medications_with_their_sig(alice):
    assert expand(".meds", alice).text == (
        "Active medications:\n"
        "- atorvastatin 80 MG Oral Tablet: 1 tablet by mouth at bedtime\n"
        "- lisinopril 10 MG Oral Tablet: 1 tablet by mouth daily\n"
        "- metFORMIN 500 MG Oral Tablet, Extended Release: 1 tablet by mouth twice daily"
    )


def test_it_says_when_there_are_no_active_medications():
    assert expand(".meds", bare_patient()).text == "No active medications"


def test_it_expands_allergies_with_reaction_and_severity(alice):
    expected = "Peanut (substance) (Hives, moderate); Penicillin V (Anaphylaxis, severe)"
    assert expand(".allergies", alice).text == expected


def test_it_says_no_known_allergies(bob):
    assert expand(".allergies", bob).text == "No Known Allergies"


def test_it_expands_active_problems_newest_first(alice):
    onset = {c.display: local(c.onset, "%m/%d/%Y") for c in alice.conditions.all()}
    assert expand(".problems", alice).text == (
        "Active problems:\n"
        f"- Hyperlipidemia (since {onset['Hyperlipidemia']})\n"
        f"- Hypertension (since {onset['Hypertension']})\n"
        f"- Diabetes mellitus type 2 (since {onset['Diabetes mellitus type 2']})"
    )


def test_it_says_when_there_are_no_active_problems():
    assert expand(".problems", bare_patient()).text == "No active problems"


def test_it_expands_name_age_mrn_and_dob(alice):
    text = expand("Patient: .name, .age, MRN .mrn, DOB .dob", alice).text
    assert text == f"Patient: Alice Walker, {alice.age} y.o., MRN E1001, DOB 03/14/1967"


@time_machine.travel(datetime(2026, 6, 15, 12, 0, tzinfo=timezone.get_fixed_timezone(0)), tick=False)
def test_it_gives_an_infants_age_in_months():
    assert expand(".age", bare_patient(birth_date=date(2026, 1, 10))).text == "5 m.o."


def test_it_matches_phrases_in_any_case(alice):
    assert expand(".MRN and .Name", alice).text == "E1001 and Alice Walker"


def test_it_leaves_unknown_phrases_as_typed_and_names_the_known_ones(alice):
    result = expand("Plan: .plan and .mrn", alice)
    assert result.text == "Plan: .plan and E1001"
    assert (result.expanded, result.unknown) == (("mrn",), (".plan",))
    message = smartphrases.unknown_message(result.unknown)
    assert message.startswith("Unknown smart phrase .plan left as typed.")
    for name in ("vitals", "labs", "meds", "allergies", "problems", "name", "age", "mrn", "dob"):
        assert f".{name}" in message


def test_it_does_not_take_dots_inside_words_or_numbers_for_phrases(alice):
    text = "e.g. metformin 7.5 mg, see www.example.org ... then .5 units"
    assert expand(text, alice).text == text
    assert scan(text) == smartphrases.Scan(known=(), unknown=())


def test_it_reads_the_chart_once_for_a_repeated_phrase(alice, django_assert_num_queries):
    expand(".vitals", alice)  # warm any lazy relations
    with django_assert_num_queries(1):
        expand(".vitals", alice)
    with django_assert_num_queries(1):
        expand(".vitals then again .vitals", alice)
