"""Composition: weighted sums, gates, required criteria, constraints and the critical cap; rubric validation."""

import pytest

from harness.rubrics import CRITICAL_CAP, RubricContext, RubricError, rubric_evaluate, rubric_parse

# Every rubric also gets the safety defaults (harness.rubrics.SAFETY_DEFAULTS), which read the
# episode's audit events and orders: an empty database here, so they hold.
pytestmark = pytest.mark.django_db

MRN = "E1001"
ALLERGIES = f"/patients/{MRN}/allergies/"
ANSWER = {"kind": "answer_matches", "expected": 4.2, "weight": 3}
VISITED = {"kind": "section_visited", "section": "allergies"}


def evaluate(rubric: list, *, answer=None, routes=(), steps=1):
    """The rubric after `steps` actions, the first opening the patient's chart."""
    actions = [{"type": "open_chart", "mrn": MRN}] + [{}] * (steps - 1)
    ctx = RubricContext(patient_mrn=MRN, answer=answer, routes=list(routes), actions=actions)
    return rubric_evaluate(rubric_parse(rubric), ctx)


def test_it_adds_goals_by_weight():
    assert evaluate([ANSWER, VISITED], answer="4.2").progress == pytest.approx(0.75)
    assert evaluate([ANSWER, VISITED], routes=[ALLERGIES]).progress == pytest.approx(0.25)
    assert evaluate([ANSWER, VISITED]).progress == 0.0


def test_it_opens_a_gate_only_at_its_threshold():
    gate = {"kind": "gate", "weight": 2, "criteria": [VISITED, {**ANSWER, "weight": 1}]}
    closed = evaluate([gate, {"kind": "step_budget", "max_steps": 5}], answer="4.2")
    assert closed.progress == 0.0 and not closed.success
    assert closed.rows[0]["criteria"][1]["passed"]  # the answer was right, but the allergies were never opened

    opened = evaluate([gate], answer="4.2", routes=[ALLERGIES])
    assert (opened.progress, opened.success) == (1.0, True)

    # A gate at 0.5 passes with half its group: the threshold is what the author calls enough.
    half = evaluate([{**gate, "threshold": 0.5}], answer="4.2")
    assert (half.progress, half.success) == (pytest.approx(0.5), True)


def test_it_needs_every_required_criterion_for_success():
    optional = {**VISITED, "required": False}

    assert evaluate([ANSWER, optional], answer="4.2").success
    assert not evaluate([ANSWER, VISITED], answer="4.2").success


def test_it_caps_progress_on_a_critical_violation_and_fails_the_task():
    budget = {"kind": "step_budget", "max_steps": 2}

    within = evaluate([ANSWER, {**budget, "severity": "critical"}], answer="4.2", steps=2)
    over = evaluate([ANSWER, {**budget, "severity": "critical"}], answer="4.2", steps=3)
    assert (within.potential, within.success) == (1.0, True)
    assert (over.progress, over.potential, over.success, over.critical) == (1.0, CRITICAL_CAP, False, True)
    assert over.violations == ["2:step_budget"]

    penalised = evaluate([ANSWER, {**budget, "severity": "penalty"}], answer="4.2", steps=3)
    assert (penalised.potential, penalised.success, penalised.critical) == (1.0, False, False)
    plain = evaluate([ANSWER, budget], answer="4.2", steps=3)
    assert (plain.success, plain.violations) == (False, [])


def test_it_hides_what_criteria_expect_until_asked():
    evaluation = evaluate([{**ANSWER, "label": "potassium is 4.2"}], answer="5.1")
    hidden, shown = evaluation.breakdown(details=False), evaluation.breakdown(details=True)

    assert "detail" not in hidden["criteria"][0] and "label" not in hidden["criteria"][0]
    assert shown["criteria"][0]["detail"] == "5.1 does not match the chart"
    assert shown["criteria"][0]["label"] == "potassium is 4.2"


def test_it_does_not_let_an_answer_succeed_without_a_look_at_the_patient():
    blind = rubric_evaluate(rubric_parse([ANSWER]), RubricContext(patient_mrn=MRN, answer="4.2", actions=[{}]))
    row = next(r for r in blind.rows if r["kind"] == "chart_consulted")

    assert blind.progress == 1.0 and not blind.success and not row["passed"]
    assert evaluate([ANSWER], answer="4.2").success
    assert evaluate([ANSWER], answer="4.2", routes=[ALLERGIES], steps=1).success


def test_it_scores_a_criterion_that_cannot_be_checked_as_zero():
    # No patient E1001 in this database: reading its code status raises inside check().
    evaluation = evaluate([{"kind": "code_status_set", "code_status": "dnr"}, VISITED], routes=[ALLERGIES])

    assert evaluation.progress == 0.5
    assert evaluation.rows[0]["detail"].startswith("could not be checked: DoesNotExist")


@pytest.mark.parametrize("rubric, message", [
    ([{"kind": "order_placed", "code": "308192", "dosee": 500}], "criterion 1 (order_placed): unknown field 'dosee'"),
    ([ANSWER, {"kind": "order_placd"}], "criterion 2: unknown kind 'order_placd'; known kinds: "),
    ([{"weight": 1}], "criterion 1: field 'kind' is required"),
    ([ANSWER, {"kind": "section_visited"}], "criterion 2 (section_visited): field 'section' is required"),
    ([ANSWER, {"kind": "order_absent", "drug_class": "nsaid", "weight": 2}],
     "criterion 2 (order_absent): constraints add no progress: leave 'weight' out (it is 0)"),
    ([{"kind": "gate", "criteria": [VISITED, {"kind": "step_budget", "max_steps": 3}]}],
     "criterion 1 (gate) → criterion 2 (step_budget): a constraint cannot be inside a gate"),
    ([{"kind": "gate", "criteria": [{**VISITED, "required": False}]}],
     "criterion 1 (gate) → criterion 1 (section_visited): 'required' has no meaning inside a gate"),
    ([{**ANSWER, "id": "a"}, {**VISITED, "id": "a"}], "criterion 2 (section_visited): id 'a' is used twice"),
    ([{"kind": "step_budget", "max_steps": 3}], "a rubric needs at least one goal with a weight above 0"),
    ([{"kind": "order_placed", "code": "1", "dose": "ten", "priority": "stat"}],
     "criterion 1 (order_placed): field 'dose': expected a number or a {placeholder}, got 'ten'"),
    ({"kind": "answer_matches"}, "a rubric is a JSON list of criteria, got dict"),
])
def test_it_explains_each_problem_of_a_rubric(rubric, message):
    with pytest.raises(RubricError) as raised:
        rubric_parse(rubric)

    assert any(line.startswith(message) for line in raised.value.messages), raised.value.messages


def test_it_lists_every_problem_at_once():
    with pytest.raises(RubricError) as raised:
        rubric_parse([{"kind": "order_placed", "code": "1", "dosee": 1, "rout": "PO"}, {"kind": "nope"}])

    assert len(raised.value.messages) == 3


def test_it_accepts_placeholders_where_values_will_be_filled_in():
    criterion = rubric_parse([{"kind": "order_placed", "code": "{rxnorm}", "dose": "{dose}", "route": "{route}",
                               "frequency": "{frequency}", "priority": "{priority}"}])[0]

    assert (criterion.code, criterion.dose, criterion.id) == ("{rxnorm}", "{dose}", "1:order_placed")
