"""Group A's fact (observation_as_of) and selector keys (observation_draw, latest_result_age)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from clinical.tests import factories
from harness.cohorts import cohort_mrns, selector_parse
from harness.facts import FactError, fact_compute

pytestmark = pytest.mark.django_db
MG = "19123-9"


@pytest.fixture
def mg_patients():
    """A: Mg 1.7 (two days ago) then 2.1 (newest, an hour ago); B: Mg 2.2 four hundred days ago."""
    now = timezone.now().replace(second=0, microsecond=0)
    a = factories.make_patient(mrn="E9001", given="Ann", family="Draw", birth_date="1960-01-01", sex="female")
    b = factories.make_patient(mrn="E9002", given="Bea", family="Draw", birth_date="1961-01-01", sex="female")
    factories.add_observation(a, MG, "Magnesium", 1.7, "mg/dL", at=now - timedelta(days=2))
    factories.add_observation(a, MG, "Magnesium", 2.1, "mg/dL", at=now - timedelta(hours=1))
    factories.add_observation(b, MG, "Magnesium", 2.2, "mg/dL", at=now - timedelta(days=400))
    return a, b


def mrns(selector: dict) -> list[str]:
    return cohort_mrns(selector_parse(selector), using="default")


def test_it_reads_a_test_as_of_a_stated_clock(mg_patients):
    a, _ = mg_patients
    inside = fact_compute({"fact": "observation_as_of", "loincs": [MG], "nth": 1, "offset_hours": 3}, a)
    assert (inside["answer"], inside["mean"], inside["count"]) == (1.7, 1.7, 1)
    stale = fact_compute({"fact": "observation_as_of", "loincs": [MG], "nth": 1, "offset_hours": 30}, a)
    assert (stale["answer"], stale["mean"], stale["count"]) == (-1, -1, 0)
    both = fact_compute({"fact": "observation_as_of", "loincs": [MG], "nth": 0, "offset_hours": 1,
                         "window_hours": 72}, a)
    assert (both["answer"], both["mean"], both["count"]) == (2.1, 1.9, 2)
    with pytest.raises(FactError):
        fact_compute({"fact": "observation_as_of", "loincs": [MG], "nth": 2, "offset_hours": 3}, a)


def test_it_selects_by_one_draw_and_by_the_age_of_the_latest_result(mg_patients):
    assert mrns({"observation_draw": {"loincs": MG, "nth": 1, "value_below": 1.9}}) == ["E9001"]
    assert mrns({"observation_draw": {"loincs": MG, "nth": 0, "value_min": 1.9}}) == ["E9001", "E9002"]
    # A's second draw is followed by a newer one within 47 hours, not within 10.
    assert mrns({"observation_draw": {"loincs": MG, "nth": 1, "clear_hours": 10}}) == ["E9001"]
    assert mrns({"observation_draw": {"loincs": MG, "nth": 1, "clear_hours": 50}}) == []
    assert mrns({"latest_result_age": {"loincs": MG, "min_days": 365}}) == ["E9002"]
    assert mrns({"latest_result_age": {"loincs": MG, "max_days": 364}}) == ["E9001"]
