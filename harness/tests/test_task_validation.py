"""The task rules: versioned ids, placeholders that will have values, selectors, facts, rubrics, oracles."""

import pytest
from django.core.exceptions import ValidationError

from harness.library import library_load
from harness.models import Task
from harness.placeholders import PlaceholderError, fill, names_in

pytestmark = pytest.mark.django_db


def make_task(**fields) -> Task:
    values = {
        "task_id": "ehr/laboratory-medicine.sodium-v2", "title": "Latest sodium", "tier": "skill",
        "domain": "laboratory-medicine", "instruction": "What is {patient_name}'s latest {analyte}?",
        "patient_selector": {"has_lab_loinc": "{loinc}"}, "variants": [{"analyte": "sodium", "loinc": "2951-2"}],
        "facts": {"sodium": {"fact": "latest_observation", "loincs": "{loinc}"}},
        "rubric": [{"kind": "answer_matches", "expected": "{sodium}", "unit": "{sodium_unit}"}],
        "oracle": "laboratory-medicine.latest-result", "step_limit": 10,
    }
    return Task(**{**values, **fields})


def errors_of(task: Task) -> dict:
    with pytest.raises(ValidationError) as raised:
        task.full_clean()
    return raised.value.message_dict


def test_it_accepts_a_well_formed_task():
    make_task().full_clean()


@pytest.mark.parametrize("task_id", ["laboratory-medicine.sodium-v1", "ehr/laboratory-medicine.sodium",
                                     "ehr/laboratory-medicine.sodium-v0", "ehr/Lab.sodium-v1"])
def test_it_refuses_ids_that_are_not_versioned_task_ids(task_id):
    (message,) = errors_of(make_task(task_id=task_id))["task_id"]
    assert "is not a task id of the form ehr/<domain>.<name>-v<n>" in message


def test_it_needs_the_ids_domain_to_be_the_tasks_domain():
    assert errors_of(make_task(domain="nephrology"))["task_id"] == [
        "the id's domain 'laboratory-medicine' is not the task's domain 'nephrology'"
    ]


def test_it_names_unknown_placeholders_and_what_is_known():
    errors = errors_of(make_task(instruction="Report {analyte} of {patient} ({mrn})."))

    assert errors["instruction"][0].startswith("unknown placeholder(s) {patient}; known: {age}, {analyte}, {dob}")
    assert "{sodium_unit}" in errors["instruction"][0]


def test_it_checks_the_selector_for_each_variant():
    errors = errors_of(make_task(patient_selector={"age_minimum": 18, "sex": "f"}))
    assert sorted(errors["patient_selector"]) == [
        "sex: must be one of male, female, other, unknown", "unknown key 'age_minimum'"
    ]
    assert errors_of(make_task(patient_selector={"has_lab_loinc": "{sodium}"}))["patient_selector"] == [
        "{sodium} has no value (a selector may use variant keys only)"
    ]


def test_it_checks_facts_and_variants():
    errors = errors_of(make_task(facts={"sodium": {"fact": "latest_value", "loincs": "{loinc}"}},
                                 variants=[{"analyte": "sodium", "loinc": "2951-2"}, {"analyte": "potassium"}]))

    assert errors["facts"][0].startswith("'sodium': needs \"fact\": one of active_allergies")
    assert errors["variants"] == [
        "variant 2: has keys ['analyte'], variant 1 has ['analyte', 'loinc']; all need the same"
    ]
    misspelt = make_task(facts={"sodium": {"fact": "latest_observation", "loinc": "2951-2"}})
    assert sorted(errors_of(misspelt)["facts"]) == [
        "'sodium' (variant 1): 'loincs' is required", "'sodium' (variant 1): unknown key 'loinc'"
    ]


def test_it_shows_rubric_problems_per_criterion():
    rubric = [{"kind": "order_placed", "code": "{rxnorm}", "dosee": 10}, {"kind": "answer_matches"}]

    errors = errors_of(make_task(rubric=rubric))["rubric"]

    assert errors == ["unknown placeholder(s) {rxnorm}; known: {age}, {analyte}, {dob}, {family_name}, {full_name}, "
                      "{given_name}, {loinc}, {mrn}, {patient_name}, {sex}, {sodium}, {sodium_date}, "
                      "{sodium_display}, {sodium_loinc}, {sodium_unit}, {sodium_value}, {sodium_values}"]
    errors = errors_of(make_task(rubric=[{"kind": "order_placed", "code": "{loinc}", "dosee": 10},
                                         {"kind": "answer_matches"}]))["rubric"]
    assert errors == ["criterion 1 (order_placed): unknown field 'dosee'",
                      "criterion 2 (answer_matches): field 'expected' is required"]


def test_it_needs_a_registered_oracle():
    assert errors_of(make_task(oracle="lab.nothing"))["oracle"][0].startswith("no oracle 'lab.nothing' is registered")


def test_it_fills_placeholders_keeping_their_types():
    params = {"dose": 40, "codes": ["1", "2"], "name": "KCl"}

    assert fill({"dose": "{dose}", "code": "{codes}", "label": "{name} {dose} mg", "raw": "{{x}}"}, params) == {
        "dose": 40, "code": ["1", "2"], "label": "KCl 40 mg", "raw": "{x}"
    }
    assert fill("{dose} and {later}", params, partial=True) == "{dose} and {later}"
    assert names_in(["{a}", {"b": "x {c} y"}]) == {"a", "c"}
    with pytest.raises(PlaceholderError, match=r"\{later\} has no value"):
        fill("{later}", params)
    with pytest.raises(PlaceholderError, match="not a placeholder name"):
        names_in("{patient.name}")


def test_it_defines_each_library_task_once_with_a_registered_oracle():
    templates = library_load()

    assert len(templates) >= 6
    assert {t.tier for t in templates.values()} == {"skill", "objective", "workflow"}
