"""Resulting a lab order: flagged observations, order completed, visible in Results."""

import pytest
from django.core.exceptions import ValidationError

from clinical.models import DiagnosticReport
from clinical.results_selectors import lab_analytes
from orders import results
from orders.models import Order
from orders.tests.support import ACTOR, audit_event, pend, pend_and_sign

pytestmark = pytest.mark.django_db

BMP = {
    "2345-7": "110",
    "3094-0": "18",
    "2160-0": "2.4",
    "17861-6": "9.1",
    "2951-2": "138",
    "2823-3": "2.9",
    "2075-0": "101",
    "2028-9": "24",
}


def test_it_results_a_panel_into_flagged_observations_and_completes_the_order(bob):
    order = pend_and_sign(bob, "24321-2")
    results.order_result(order=order, actor=ACTOR, values=BMP)
    order.refresh_from_db()
    assert order.status == Order.Status.COMPLETED
    flags = {o.loinc: o.flag for o in order.results.all()}
    assert flags["2823-3"] == "L" and flags["2160-0"] == "H" and flags["2951-2"] == ""
    potassium = order.results.get(loinc="2823-3")
    assert (potassium.ref_low, potassium.ref_high, potassium.recorded_by) == (3.5, 5.1, ACTOR)
    assert DiagnosticReport.objects.get(patient=bob, loinc="24321-2").results.count() == 8


def test_it_shows_the_results_in_chart_review_with_their_flags(bob, client_in):
    order = pend_and_sign(bob, "2823-3")
    results.order_result(order=order, actor=ACTOR, values={"2823-3": 6.8})
    row = next(r for r in lab_analytes(bob) if r.loinc == "2823-3")
    assert row.latest.value_num == 6.8 and row.latest.flag == "HH"
    page = client_in.get(f"/patients/{bob.mrn}/results/").content.decode()
    assert 'data-testid="results-row-2823-3"' in page and "flag-critical" in page


def test_it_records_text_results_for_cultures(bob):
    order = pend_and_sign(bob, "600-7")
    results.order_result(order=order, actor=ACTOR, values={"600-7": "No growth at 5 days"})
    assert order.results.get().value_text == "No growth at 5 days"


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({}, "values", "Enter at least one result"),
        ({"9999-9": 1}, "values", "9999-9 not part of"),
        ({"2823-3": "high"}, "2823-3", "enter a number"),
    ],
)
def test_it_refuses_bad_results_and_writes_nothing(bob, values, field, message):
    order = pend_and_sign(bob, "24321-2")
    with pytest.raises(ValidationError) as caught:
        results.order_result(order=order, actor=ACTOR, values=values)
    assert message in caught.value.message_dict[field][0]
    order.refresh_from_db()
    assert order.status == Order.Status.ACTIVE and not order.results.exists()


def test_it_only_results_active_lab_orders(bob):
    pended = pend(bob, "2823-3")
    with pytest.raises(ValidationError, match="only active orders can be resulted"):
        results.order_result(order=pended, actor=ACTOR, values={"2823-3": 4})
    med = pend_and_sign(bob, "1665021", dose=1000)
    with pytest.raises(ValidationError, match="Only lab orders are resulted"):
        results.order_result(order=med, actor=ACTOR, values={"2823-3": 4})


def test_it_audits_the_result_with_values_and_flags(bob):
    order = pend_and_sign(bob, "2823-3")
    results.order_result(order=order, actor=ACTOR, values={"2823-3": "3.1"})
    details = audit_event(bob, "order.result").details
    assert details["results"] == [{"loinc": "2823-3", "value": 3.1, "unit": "mmol/L", "flag": "L"}]
    assert details["status"] == "completed"
