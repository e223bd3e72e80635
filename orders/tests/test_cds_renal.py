"""Renal dosing from the latest eGFR or creatinine (CKD-EPI 2021, Cockcroft–Gault)."""

from datetime import UTC, datetime

import pytest

from orders import cds, selectors
from orders.tests.support import alerts_of, check, lab, pend

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def renal_alerts(patient, ref, **fields):
    order = pend(patient, ref, **fields)
    check(patient)
    return alerts_of(order, rule="renal")


def test_it_computes_ckd_epi_2021_and_cockcroft_gault():
    assert cds.ckd_epi_2021(creatinine=1.0, age=60, sex="male") == pytest.approx(86, abs=0.5)  # NKF calculator: 86
    assert cds.ckd_epi_2021(creatinine=1.0, age=60, sex="female") == pytest.approx(64, abs=0.6)  # NKF calculator: 64
    assert cds.cockcroft_gault(creatinine=2.0, age=80, weight_kg=70, sex="male") == pytest.approx(29.2, abs=0.1)


def test_it_prefers_a_creatinine_newer_than_the_reported_egfr():
    older, newer = datetime(2025, 1, 1, tzinfo=UTC), NOW
    function = cds.renal_function(egfr=(70, older), creatinine=(3.0, newer), weight_kg=None, age=70, sex="male")
    assert function.egfr < 30 and "CKD-EPI" in function.egfr_source
    kept = cds.renal_function(egfr=(70, newer), creatinine=(3.0, older), weight_kg=None, age=70, sex="male")
    assert kept.egfr == 70 and kept.crcl is None


def test_it_contraindicates_metformin_below_egfr_30(bob):
    lab(bob, "33914-3", 24, "mL/min/{1.73_m2}", days_ago=0.5)
    [alert] = renal_alerts(bob, "861007", dose=500)
    assert alert.severity == "high" and "eGFR 24" in alert.message


def test_it_warns_against_starting_metformin_at_egfr_30_to_45(bob):
    # Bob: 80-year-old man, latest creatinine 1.9 mg/dL -> CKD-EPI eGFR about 35.
    [alert] = renal_alerts(bob, "861007", dose=500)
    assert alert.severity == "low" and "CKD-EPI 2021" in alert.message


def test_it_reduces_enoxaparin_when_crcl_is_below_30_but_accepts_30_mg_daily(bob):
    lab(bob, "2160-0", 2.6, "mg/dL", days_ago=0.2)  # CrCl ~29 at 91 kg, 80 years
    assert selectors.patient_renal_function(bob).crcl < 30
    [alert] = renal_alerts(bob, "854235", dose=40)
    assert alert.severity == "high" and "30 mg SC once daily" in alert.message
    assert renal_alerts(bob, "854235", dose=30) == []


def test_it_stays_quiet_with_normal_kidney_function(alice):
    assert renal_alerts(alice, "861007", dose=500) == []


def test_it_stays_quiet_without_any_kidney_results(charlie):
    assert selectors.patient_renal_function(charlie) == cds.RenalFunction()
    assert renal_alerts(charlie, "310965", dose=200) == []
