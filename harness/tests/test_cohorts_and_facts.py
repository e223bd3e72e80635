"""Patient selectors (who a task can be asked of) and facts (what the chart says at reset)."""

import pydantic
import pytest

from clinical.tests import factories
from harness.cohorts import cohort_mrns, selector_parse
from harness.facts import FactError, fact_compute

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    """alice 58 F (diabetes, hypertension, penicillin allergy, lisinopril, rising A1c); bob 80 M DNR/DNI
    (heart failure, CKD, furosemide, no allergies); charlie 8 M (asthma)."""
    return factories.make_alice(), factories.make_bob(), factories.make_charlie()


def mrns(selector: dict) -> list[str]:
    return cohort_mrns(selector_parse(selector), using="default")


def test_it_selects_by_age_sex_and_code_status(people):
    assert mrns({}) == ["E1001", "E1002", "E1003"]
    assert mrns({"age_min": 18}) == ["E1001", "E1002"]
    assert mrns({"age_max": 17}) == ["E1003"]
    assert mrns({"sex": "male", "age_min": 18}) == ["E1002"]
    assert mrns({"code_status": "full"}) == ["E1001", "E1003"]


def test_it_selects_by_problems_allergies_and_medications(people):
    assert mrns({"has_condition_codes": ["44054006", "195967001"]}) == ["E1001", "E1003"]
    assert mrns({"lacks_condition_codes": ["10509002"]}) == ["E1001", "E1002", "E1003"]  # alice's bronchitis resolved
    assert mrns({"has_allergy_class": "penicillin"}) == ["E1001"]
    assert mrns({"lacks_allergy_class": "penicillin"}) == ["E1002", "E1003"]
    assert mrns({"lacks_allergy_substance": "peanut"}) == ["E1002", "E1003"]
    assert mrns({"has_medication_rxnorm": "314076"}) == ["E1001"]
    assert mrns({"lacks_medication_class": ["ace-inhibitor"], "age_min": 18}) == ["E1002"]


def test_it_selects_by_results_their_count_and_latest_value(people):
    assert mrns({"has_lab_loinc": "4548-4"}) == ["E1001"]
    assert mrns({"has_observation": {"loincs": ["2160-0"], "min_count": 2}}) == ["E1001", "E1002"]
    assert mrns({"has_observation": {"loincs": ["2160-0"], "min_count": 3}}) == ["E1001"]
    assert mrns({"has_observation": {"loincs": ["2160-0"], "latest_min": 1.5}}) == ["E1002"]
    assert mrns({"has_observation": {"loincs": "4548-4", "latest_max": 8.0}}) == []


def test_it_names_a_selectors_unknown_keys_and_bad_values():
    with pytest.raises(pydantic.ValidationError) as raised:
        selector_parse({"age_minimum": 18, "has_allergy_class": "sulfa"})

    messages = {str(error["loc"][0]): error["msg"] for error in raised.value.errors()}
    assert messages["age_minimum"] == "Extra inputs are not permitted"
    assert "unknown allergy class 'sulfa'" in messages["has_allergy_class"]


def test_it_reads_the_latest_result_and_its_trend(people):
    alice, bob, _ = people

    latest = fact_compute({"fact": "latest_observation", "loincs": ["4548-4"]}, alice)
    assert (latest["answer"], latest["unit"], latest["values"]) == (8.6, "%", [8.6])
    trend = fact_compute({"fact": "observation_trend", "loincs": "4548-4", "better": "lower"}, alice)
    assert (trend["answer"], trend["latest"], trend["previous"]) == ("worsening", 8.6, 8.2)
    kidney = fact_compute({"fact": "observation_trend", "loincs": "2160-0", "better": "lower", "stable_within": 0.5},
                          bob)
    assert kidney["answer"] == "stable"
    with pytest.raises(FactError, match="has no numeric result of 4548-4"):
        fact_compute({"fact": "latest_observation", "loincs": ["4548-4"]}, bob)


def test_it_reads_the_allergy_problem_and_medication_lists(people):
    alice, bob, _ = people

    assert fact_compute({"fact": "active_allergies"}, alice)["answer"] == ["Peanut (substance)", "Penicillin V"]
    assert fact_compute({"fact": "active_allergies"}, bob) == {"answer": [], "count": 0}
    problems = fact_compute({"fact": "active_problems"}, alice)
    assert sorted(problems["codes"]) == ["38341003", "44054006", "55822004"]
    assert fact_compute({"fact": "active_medications"}, alice)["answer"] == 3
