"""Dose range checks: the largest single dose and the largest daily dose of each drug."""

import pytest

from orders.cds import daily_dose
from orders.tests.support import alerts_of, check, pend

pytestmark = pytest.mark.django_db


def dose_alerts(patient, ref, **fields):
    order = pend(patient, ref, **fields)
    check(patient)
    return alerts_of(order, rule="dose_range")


def test_it_accepts_a_usual_dose(bob):
    assert dose_alerts(bob, "313782", dose=650, frequency="Q6H") == []


def test_it_flags_a_single_dose_above_the_maximum(bob):
    [alert] = dose_alerts(bob, "313782", dose=1500, frequency="ONCE")
    assert alert.severity == "high"
    assert alert.message == "A single dose of 1500 mg is above the usual maximum of 1000 mg."


def test_it_flags_a_daily_dose_above_the_maximum(bob):
    [alert] = dose_alerts(bob, "313782", dose=1000, frequency="Q4H")
    assert alert.message == "1000 mg Every 4 hours is 6000 mg a day, above the maximum of 4000 mg a day."


def test_it_catches_weekly_methotrexate_ordered_daily(bob):
    assert dose_alerts(bob, "105585", dose=15, frequency="WEEKLY") == []
    [alert] = dose_alerts(bob, "105585", dose=15, frequency="DAILY")
    assert "a day, above the maximum of 3.6 mg a day" in alert.message


def test_it_counts_doses_per_day_from_the_frequency():
    assert daily_dose(500, "TID") == 1500
    assert daily_dose(15, "WEEKLY") == pytest.approx(15 / 7)
    assert daily_dose(40, "ONCE") == 40
    assert daily_dose(7, "CONTINUOUS") is None
