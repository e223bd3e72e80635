"""The final-answer criterion: numbers at the chart's precision with the right unit, one choice, lists, MRNs, dates."""

import pytest

from harness.tests.support import check


def answer(expected, given: str, **fields):
    return check({"kind": "answer_matches", "expected": expected, **fields}, answer=given)


@pytest.mark.parametrize("given", ["4.2", "4.2 mmol/L", "K 4.2 mEq/L", "The latest potassium (2024-03-01) is 4.2.",
                                   "4.20 mmol/L on 03/01/2024 at 09:30"])
def test_it_accepts_the_number_with_or_without_its_unit(given):
    assert answer(4.2, given, unit="mmol/L").passed


@pytest.mark.parametrize("given, why", [
    ("4.2 mg/dL", "unit mg/dl is not mmol/L"),
    ("4.2 or 5.1", "2 different numbers"),
    ("no idea", "holds no number"),
    ("4.7", "does not match"),
])
def test_it_refuses_a_wrong_unit_a_guess_list_or_a_wrong_value(given, why):
    result = answer(4.2, given, unit="mmol/L")

    assert not result.passed and why in result.detail


def test_it_compares_at_the_precision_the_chart_prints():
    assert answer(4.25, "4.3").passed and answer(4.25, "4.2").passed and answer(4.25, "4.25").passed
    assert not answer(4.25, "4").passed  # the chart prints 4.2: a whole number is less precise
    assert answer(14.966, "15 g/dL", unit="g/dL").passed  # printed as 15
    assert answer(1200, "1,200").passed and answer(-2.5, "-2.5").passed
    assert answer(7.4, "7.6", tolerance=0.25).passed and not answer(7.4, "7.7", tolerance=0.25).passed


def test_it_accepts_a_result_at_the_precision_its_analyte_is_displayed_with():
    """ALT is displayed whole: a 28.13 U/L result shown as 28 is answered "28" (the stored value is unchanged)."""
    alt = {"unit": "U/L", "loinc": "1742-6"}
    assert answer(28.13, "28", **alt).passed and answer(28.13, "28 U/L", **alt).passed
    assert answer(28.13, "28.0", **alt).passed and answer(28.13, "28.13 U/L", **alt).passed
    assert answer(28.13, "28.1", **alt).passed
    for wrong in ("35", "29", "27", "28.5"):
        assert not answer(28.13, wrong, **alt).passed, wrong
    assert not answer(28.13, "28").passed  # without its analyte, the old rule: the chart printed 28.1


def test_it_follows_each_analytes_precision_and_the_least_precise_of_several_codes():
    creatinine = {"loinc": ["2160-0", "38483-4"]}  # shown to hundredths
    assert answer(1.04, "1.04", **creatinine).passed and not answer(1.04, "1.0", **creatinine).passed
    potassium = {"loinc": "6298-4"}  # shown to a tenth, trailing zero kept: 4.0
    assert answer(4.02, "4.0", **potassium).passed and answer(4.02, "4", **potassium).passed
    assert not answer(4.02, "4.3", **potassium).passed
    glucose = {"loinc": ["2339-0", "2345-7"]}
    assert answer([101.37, 99.2], "101 mg/dL", match="number", unit="mg/dL", **glucose).passed
    assert not answer([101.37, 99.2], "100", match="number", **glucose).passed
    assert answer(-1, "-1", loinc="19123-9").passed  # "none found" stays a number


def test_it_accepts_any_of_several_expected_numbers():
    assert answer([1.62, 2.06], "2.06 mg/dL", match="number", unit="mg/dL").passed
    assert not answer([1.62, 2.06], "1.9", match="number").passed


def test_it_needs_exactly_one_of_the_choices():
    choices = {"choices": ["improving", "worsening", "stable"]}

    assert answer("improving", "Improving.", **choices).passed
    assert not answer("improving", "improving or worsening", **choices).passed
    assert not answer("improving", "stable", **choices).passed
    assert answer("Full code", "full code").passed and answer("Full code", "FULL", accept=["full"]).passed


@pytest.mark.parametrize("given", ["not improving", "It is not improving.", "no, not stable", "never worsening"])
def test_it_does_not_read_a_negated_choice_as_the_choice(given):
    """Defect: "not improving" was graded as "improving" (and "not at goal" as "at goal")."""
    choices = {"choices": ["improving", "worsening", "stable"]}
    for expected in choices["choices"]:
        result = answer(expected, given, **choices)
        assert not result.passed and "negates" in result.detail
    assert not answer("at goal", "not at goal", choices=["at goal", "above goal"]).passed


def test_it_reads_the_longer_of_two_choices_that_overlap():
    choices = {"choices": ["at goal", "not at goal"]}
    assert answer("not at goal", "Not at goal", **choices).passed
    assert not answer("at goal", "not at goal", **choices).passed
    assert answer("at goal", "At goal.", **choices).passed


def test_it_does_not_count_a_repeated_or_vague_item_as_several():
    """Defect: "pollen; pollen" passed for two pollen allergies, and partial names such as "chronic disease"."""
    pollens = ["Tree pollen (substance)", "Grass pollen (substance)"]
    assert not answer(pollens, "pollen; pollen", match="list").passed
    assert not answer(pollens, "grass pollen; pollen", match="list").passed
    assert answer(pollens, "grass pollen, tree pollen", match="list").passed
    assert not answer(["Chronic kidney disease"], "chronic disease", match="list").passed
    assert not answer(["Tree pollen (substance)"], "pollen", match="list").passed
    assert answer(["House dust mite (organism)", "Eggs (edible) (substance)"], "dust mites; egg", match="list").passed


def test_it_never_quotes_the_expected_value_in_its_verdict():
    result = answer(4.2, "4.7", unit="mmol/L")
    assert not result.passed and "4.2" not in result.detail


def test_it_scores_a_list_by_overlap_and_passes_only_the_same_set():
    expected = ["Penicillin V", "Mold (organism)", "Peanut (substance)"]

    assert answer(expected, "peanut; penicillin; mold").passed
    partial = answer(expected, "Penicillin V, latex")
    assert partial.score == pytest.approx(1 / 4) and not partial.passed
    assert not answer(expected, "penicillin, mold, peanut, latex, dust").passed
    assert answer([], "None").passed and not answer([], "penicillin").passed
    assert not answer(["a b", "c d"], "c d, a b", ordered=True, match="list").passed


def test_it_matches_an_mrn_and_a_date():
    assert check({"kind": "answer_matches", "expected": "E1001", "match": "mrn"}, answer="MRN: e1001").passed
    assert not check({"kind": "answer_matches", "expected": "E1001", "match": "mrn"}, answer="E1001 or E1002").passed
    assert check({"kind": "answer_matches", "expected": "8349553", "match": "mrn"},
                 answer="MRN 8349553, born 1980").passed
    assert check({"kind": "answer_matches", "expected": "2024-03-01", "match": "date"}, answer="on 03/01/2024").passed


def test_it_scores_no_answer_as_zero():
    result = answer(4.2, "")

    assert (result.score, result.passed, result.detail) == (0.0, False, "no answer given")


def test_it_credits_a_reported_infeasibility_with_a_reason():
    rule = {"kind": "infeasible_reported"}

    assert check(rule, actions=[{"type": "report_infeasible", "reason": "Patient is allergic to penicillin"}]).passed
    assert check(rule, actions=[{"type": "report_infeasible", "reason": "no"}]).score == 0.5
    assert not check(rule, actions=[{"type": "finish"}]).passed
