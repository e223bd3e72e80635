"""Trajectory criteria: chart sections visited (browser pages or semantic reads), step budgets."""

import pytest
from django.urls import reverse

from clinical.chart_sections import chart_sections
from harness.rubrics.base import RubricError, criterion_parse
from harness.rubrics.trajectory import SECTIONS
from harness.tests.support import check

MRN = "E1001"


@pytest.mark.parametrize("section, routes", [
    ("allergies", [f"/patients/{MRN}/allergies/"]),
    ("results", ["/patients/", f"/patients/{MRN}/results/2823-3/?range=1y"]),
    ("summary", [f"/patients/{MRN}/"]),
    ("orders", [f"/patients/{MRN}/orders/?status=active"]),
])
def test_it_finds_the_section_among_the_routes(section, routes):
    assert check({"kind": "section_visited", "section": section}, patient_mrn=MRN, routes=routes).passed


def test_it_knows_every_chart_section_by_its_registered_page():
    assert sorted(SECTIONS) == sorted(section.name for section in chart_sections())
    for section in chart_sections():
        page = reverse(section.url_name, kwargs={"mrn": MRN})
        assert check({"kind": "section_visited", "section": section.name}, patient_mrn=MRN, routes=[page]).passed
    with pytest.raises(RubricError):
        criterion_parse({"kind": "section_visited", "section": "labs"})


def test_it_needs_the_task_patients_chart_and_the_exact_summary_page():
    other = check({"kind": "section_visited", "section": "allergies"}, patient_mrn=MRN,
                  routes=["/patients/E1002/allergies/"])
    assert not other.passed and other.detail == "never opened the allergies section of this chart"
    assert not check({"kind": "section_visited", "section": "summary"}, patient_mrn=MRN,
                     routes=[f"/patients/{MRN}/vitals/"]).passed


def test_it_holds_within_the_step_budget_and_fails_beyond():
    rule = {"kind": "step_budget", "max_steps": 2}

    assert check(rule, actions=[{}, {}]).passed
    over = check(rule, actions=[{}, {}, {}])
    assert not over.passed and over.detail == "3 steps, over the budget of 2"
    assert criterion_parse(rule).constraint and criterion_parse(rule).weight == 0
