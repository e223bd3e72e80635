"""Facts and selector keys on draws, clocks and kidney function: observation_as_of, egfr_from_creatinine,
weight_based_dose; observation_draw, latest_result_age, kidney_function, lacks_reduced_egfr and the
observation rules' flags and bounds."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from clinical.models import Observation
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


def test_it_gives_the_stated_clock_in_the_ehrs_local_time_with_its_utc_offset(mg_patients):
    a, _ = mg_patients
    reading = fact_compute({"fact": "observation_as_of", "loincs": [MG], "nth": 1, "offset_hours": 3}, a)
    clock = timezone.localtime(Observation.objects.filter(patient=a, value_num=1.7).get().effective_at
                               + timedelta(hours=3))
    offset = clock.strftime("%z")

    assert reading["now"] == clock.strftime("%Y-%m-%d %H:%M")
    assert reading["utc_offset"] == f"UTC{offset[:3]}:{offset[3:]}"
    assert datetime.fromisoformat(reading["now_iso"]) == clock.replace(second=0, microsecond=0)


@pytest.fixture
def kidneys():
    """Kim 70 F: creatinine 2.91 mg/dL with an eGFR of 74.5 filed beside it (they disagree); Ken 50 M:
    creatinine 1.0 (eGFR about 91), then a draw filed twice with 1.2 and 1.6; Lia 45 F: no kidney labs."""
    now = timezone.now().replace(second=0, microsecond=0)
    kim = factories.make_patient(mrn="E9101", given="Kim", family="Renal", sex="female",
                                 birth_date=timezone.localdate() - timedelta(days=365 * 70 + 30))
    ken = factories.make_patient(mrn="E9102", given="Ken", family="Renal", sex="male",
                                 birth_date=timezone.localdate() - timedelta(days=365 * 50 + 30))
    factories.make_patient(mrn="E9103", given="Lia", family="Renal", sex="female",
                           birth_date=timezone.localdate() - timedelta(days=365 * 45 + 30))
    factories.add_observation(kim, "38483-4", "Creatinine", 2.91, "mg/dL", at=now - timedelta(days=3), flag="H")
    factories.add_observation(kim, "33914-3", "eGFR", 74.5, "mL/min/{1.73_m2}", at=now - timedelta(days=3))
    factories.add_observation(ken, "2160-0", "Creatinine", 1.0, "mg/dL", at=now - timedelta(days=400))
    factories.add_observation(ken, "2160-0", "Creatinine", 1.2, "mg/dL", at=now - timedelta(days=1))
    factories.add_observation(ken, "38483-4", "Creatinine", 1.6, "mg/dL", at=now - timedelta(days=1), flag="H")
    return kim, ken


def test_it_stages_kidney_function_from_the_creatinine_by_ckd_epi_2021(kidneys):
    kim, ken = kidneys
    spec = {"fact": "egfr_from_creatinine", "loincs": ["2160-0", "38483-4"],
            "bands": [[90, "G1"], [60, "G2"], [45, "G3a"], [30, "G3b"], [15, "G4"], [0, "G5"]]}

    staged = fact_compute(spec, kim)

    # Not the 74.5 filed beside it: 142 x (2.91/0.7)^-1.2 x 0.9938^70 x 1.012 = 16.5.
    assert (staged["answer"], staged["value"], staged["creatinine"], staged["age"]) == ("G4", 17, 2.91, 70)
    assert staged["near"] == "G4"
    assert fact_compute({**spec, "near": 2.0}, kim)["near"] == "G5"
    with pytest.raises(FactError, match="2 different values"):
        fact_compute(spec, ken)


def test_it_doses_by_the_latest_weight_in_whole_steps(kidneys):
    kim, _ = kidneys
    factories.add_observation(kim, "29463-7", "Body weight", 71.3, "kg", at=timezone.now() - timedelta(days=2))
    spec = {"fact": "weight_based_dose", "per_kg": 30, "per_kg_min": 27, "per_kg_max": 33, "round_to": 250}

    bolus = fact_compute(spec, kim)

    assert (bolus["answer"], bolus["min"], bolus["max"], bolus["weight"]) == (2250, 1750, 2500, 71.3)
    assert fact_compute({**spec, "cap": 2000}, kim)["answer"] == 2000
    with pytest.raises(FactError, match="no body weight"):
        fact_compute(spec, kidneys[1])


def test_it_selects_by_kidney_function_flags_and_a_draw_that_holds_one_value(kidneys):
    creatinine = ["2160-0", "38483-4"]

    assert mrns({"has_observation": {"loincs": creatinine, "latest_flags": ["H", "HH"]}}) == ["E9101", "E9102"]
    assert mrns({"has_observation": {"loincs": creatinine, "latest_flags": ["L"]}}) == []
    assert mrns({"observation_draw": {"loincs": creatinine, "single_value": True}}) == ["E9101"]
    assert mrns({"observation_draw": {"loincs": creatinine}}) == ["E9101", "E9102"]
    assert mrns({"lacks_observation": {"loincs": ["33914-3"], "latest_below": 80}}) == ["E9102", "E9103"]
    assert mrns({"has_observation": {"loincs": ["33914-3"], "any_below": 60}}) == []
    # The creatinine of 2.91 says what the eGFR beside it does not; Ken's draw of 1.6 is an eGFR of 53.
    assert mrns({"lacks_reduced_egfr": {"below": 60}}) == ["E9103"]
    assert mrns({"kidney_function": {"measure": "egfr", "below": 60}}) == ["E9102"]
    assert mrns({"kidney_function": {"measure": "egfr", "min": 60, "unknown": "include"}}) == ["E9101", "E9103"]
