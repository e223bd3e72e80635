"""Bad input to the composer is refused with a clear message per field, and nothing changes."""

import pytest
from django.core.exceptions import ValidationError

from clinical.models import AuditEvent
from orders.models import Order
from orders.tests.support import pend

pytestmark = pytest.mark.django_db


def refused(patient, ref, **fields) -> dict[str, list[str]]:
    before = Order.objects.count(), AuditEvent.objects.count()
    with pytest.raises(ValidationError) as caught:
        pend(patient, ref, **fields)
    assert (Order.objects.count(), AuditEvent.objects.count()) == before, "a refused order writes nothing"
    return caught.value.message_dict


def test_it_refuses_an_unknown_orderable(alice):
    errors = refused(alice, "not-a-drug", dose=1)
    assert "Unknown orderable 'not-a-drug'" in errors["orderable"][0]


def test_it_requires_a_dose_for_a_medication_naming_the_unit(alice):
    assert refused(alice, "308192")["dose"] == ["Enter a dose for amoxicillin (in mg)."]


@pytest.mark.parametrize("dose", [0, -250])
def test_it_refuses_a_zero_or_negative_dose(alice, dose):
    assert "greater than zero" in refused(alice, "308192", dose=dose)["dose"][0]


def test_it_refuses_a_dose_that_is_not_a_number(alice):
    assert refused(alice, "308192", dose="five hundred")["dose"] == ["Dose must be a number; got 'five hundred'."]


@pytest.mark.parametrize("dose, message", [
    (1e308, "Dose 1e+308 mg is beyond any single dose (at most 10,000,000); check the unit."),
    (10**30, "Dose 1e+30 mg is beyond any single dose (at most 10,000,000); check the unit."),
    (True, "Dose must be a number; got True."),
])
def test_it_refuses_an_implausible_dose(alice, dose, message):
    """Issue 16, item 7: these were pended."""
    assert refused(alice, "308192", dose=dose)["dose"] == [message]


@pytest.mark.parametrize("duration", [0, -3, "a week"])
def test_it_refuses_a_zero_negative_or_non_numeric_duration(alice, duration):
    assert "Duration" in refused(alice, "308192", dose=500, duration_days=duration)["duration_days"][0]


def test_it_refuses_an_unknown_route(alice):
    message = refused(alice, "308192", dose=500, route="nasal-spray")["route"][0]
    assert message.startswith("Unknown route 'nasal-spray'; choose one of PO, IV")


def test_it_refuses_a_route_the_drug_does_not_come_in(alice):
    assert refused(alice, "308192", dose=500, route="IV")["route"] == [
        "Route IV is not available for amoxicillin 500 MG Oral Tablet; choose PO."
    ]


def test_it_refuses_an_unknown_frequency_and_priority(alice):
    errors = refused(alice, "308192", dose=500, frequency="sometimes", priority="asap")
    assert "Unknown frequency 'sometimes'" in errors["frequency"][0]
    assert errors["priority"] == ["Unknown priority 'asap'; choose routine, urgent or stat."]


def test_it_refuses_a_dose_in_the_wrong_unit(alice):
    assert refused(alice, "308192", dose=0.5, dose_unit="g")["dose_unit"] == ["amoxicillin is dosed in mg; got 'g'."]


def test_it_requires_a_reason_for_an_as_needed_dose(alice):
    assert "PRN" in refused(alice, "313782", dose=650, prn=True)["prn_reason"][0]


def test_it_requires_a_reason_for_exam_and_a_consult_question(alice):
    assert refused(alice, "399208008")["reason_for_exam"] == ["Enter the reason for exam for Plain X-ray of chest."]
    assert refused(alice, "183545006")["consult_question"] == ["Enter the question for Orthopedics."]


def test_it_reports_every_mistake_at_once(alice):
    errors = refused(alice, "308192", dose=-1, route="XX", duration_days=-2)
    assert {"dose", "route", "duration_days"} <= set(errors)


def test_it_fills_route_frequency_and_specimen_from_the_catalog(alice):
    med = pend(alice, "1665021", dose=1000)
    assert (med.route, med.frequency, med.dose_unit) == ("IV", "Q24H", "mg")
    lab = pend(alice, "58410-2")
    assert lab.specimen == "Blood" and lab.dose is None and lab.route == ""


def test_it_accepts_route_and_frequency_names_as_well_as_codes(alice):
    order = pend(alice, "1659263", dose=5000, route="subq", frequency="Every 8 hours")
    assert (order.route, order.frequency) == ("SC", "Q8H")
    assert pend(alice, "308192", dose=500, route="by mouth", frequency="tid").route == "PO"


def test_it_asks_for_the_key_when_a_code_names_two_orderables(alice):
    message = refused(alice, "8591", dose=20)["orderable"][0]
    assert "Code 8591 names 2 orderables: 8591-iv" in message and "8591-po" in message
    assert pend(alice, "8591-po", dose=20).route == "PO"
