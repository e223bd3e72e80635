"""Pended → signed (active) → completed or discontinued; cancel before signing; reorder."""

import pytest
from django.core.exceptions import ValidationError

from clinical import selectors as chart
from clinical import services as clinical_services
from clinical.models import Medication
from orders import lifecycle, signing
from orders.models import Order
from orders.tests.support import ACTOR, pend, pend_and_sign, sign

pytestmark = pytest.mark.django_db


def active_rxnorms(patient) -> set[str]:
    return set(chart.medications_active(patient).values_list("rxnorm", flat=True))


def test_it_pends_an_order_that_is_not_yet_signed(charlie):
    order = pend(charlie, "630208", dose=2.5, frequency="Q4H", prn=True, prn_reason="wheeze")
    assert order.status == Order.Status.PENDED and not order.is_signed
    assert order.summary == "2.5 mg, Inhalation, Every 4 hours, PRN wheeze"


def test_it_signs_a_medication_order_and_puts_it_on_the_active_medication_list(bob):
    order = pend_and_sign(bob, "1665021", dose=1000, indication="Pneumonia")
    assert order.status == Order.Status.ACTIVE and order.signed_by == ACTOR and order.signed_at
    assert order.medication.rxnorm == "1665021" and order.medication.status == Medication.Status.ACTIVE
    assert "1665021" in active_rxnorms(bob)
    assert order.medication.dosage_text == "1000 mg, Intravenous, Every 24 hours"
    assert order.medication.reason == "Pneumonia"


def test_it_discontinues_with_a_reason_and_takes_the_drug_off_the_medication_list(bob):
    order = pend_and_sign(bob, "1665021", dose=1000)
    lifecycle.order_discontinue(order=order, actor=ACTOR, reason="Cultures negative")
    order.refresh_from_db()
    assert (order.status, order.end_reason, order.ended_by) == (Order.Status.DISCONTINUED, "Cultures negative", ACTOR)
    assert order.medication.status == Medication.Status.STOPPED
    assert "1665021" not in active_rxnorms(bob)


def test_it_leaves_the_medication_list_entry_of_an_active_order_to_its_order(bob):
    order = pend_and_sign(bob, "1665021", dose=1000)
    with pytest.raises(ValidationError) as caught:
        clinical_services.medication_stop(medication=order.medication, actor=ACTOR, reason="Cultures negative")
    assert caught.value.message_dict["medication"] == [
        f"{order.medication.display} was started by order #{order.pk}: discontinue that order, which takes it off "
        "the medication list."]

    # A home supply of the same drug stops from the list; the ordered entry stays with its order.
    home = Medication.objects.create(fhir_id="bob-home", patient=bob, rxnorm="1665021", display=order.display)
    assert clinical_services.medication_stop(medication=home, actor=ACTOR, reason="Duplicate") == [home]
    order.medication.refresh_from_db()
    assert order.medication.status == Medication.Status.ACTIVE and "1665021" in active_rxnorms(bob)


def test_it_requires_a_reason_to_discontinue(bob):
    order = pend_and_sign(bob, "1665021", dose=1000)
    with pytest.raises(ValidationError) as caught:
        lifecycle.order_discontinue(order=order, actor=ACTOR, reason="  ")
    assert caught.value.message_dict["reason"] == ["Enter the reason for discontinuing this order."]
    order.refresh_from_db()
    assert order.status == Order.Status.ACTIVE


def test_it_cancels_a_pended_order_and_never_signs_it(bob):
    order = pend(bob, "58410-2")
    lifecycle.order_cancel(order=order, actor=ACTOR)
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    with pytest.raises(ValidationError, match="no pended orders to sign"):
        signing.orders_sign(patient=bob, actor=ACTOR)


def test_it_edits_a_pended_order(bob):
    order = pend(bob, "1665021", dose=1000)
    lifecycle.order_update(order=order, actor=ACTOR, dose="2000", priority="stat")
    order.refresh_from_db()
    assert (order.dose, order.priority, order.route) == (2000, "stat", "IV")


def test_it_never_edits_a_signed_order_in_place(bob):
    order = pend_and_sign(bob, "1665021", dose=1000)
    with pytest.raises(ValidationError) as caught:
        lifecycle.order_update(order=order, actor=ACTOR, dose=2000)
    message = caught.value.message_dict["order"][0]
    assert "only pended orders can be edited" in message and "discontinue the order and reorder" in message
    order.refresh_from_db()
    assert order.dose == 1000


def test_it_refuses_to_cancel_or_sign_a_signed_order_and_to_discontinue_a_pended_one(bob):
    signed = pend_and_sign(bob, "1665021", dose=1000)
    pended = pend(bob, "58410-2")
    with pytest.raises(ValidationError, match="only pended orders can be cancelled"):
        lifecycle.order_cancel(order=signed, actor=ACTOR)
    with pytest.raises(ValidationError, match="only pended orders can be signed"):
        signing.orders_sign(patient=bob, actor=ACTOR, orders=[signed])
    with pytest.raises(ValidationError, match="only active orders can be discontinued"):
        lifecycle.order_discontinue(order=pended, actor=ACTOR, reason="Mistake")


def test_it_reorders_as_a_new_pended_copy(bob):
    original = pend_and_sign(bob, "1665021", dose=1000, indication="Pneumonia")
    lifecycle.order_discontinue(order=original, actor=ACTOR, reason="Switch to oral")
    copy = lifecycle.order_reorder(order=original, actor=ACTOR)
    assert copy.pk != original.pk and copy.status == Order.Status.PENDED
    assert (copy.code, copy.dose, copy.indication, copy.reordered_from_id) == (
        "1665021",
        1000,
        "Pneumonia",
        original.pk,
    )


def test_it_completes_an_imaging_order_but_not_a_lab_by_hand(bob):
    xray = pend(bob, "399208008", reason_for_exam="Dyspnea")
    cbc = pend(bob, "58410-2")
    sign(bob)
    xray.refresh_from_db()
    lifecycle.order_complete(order=xray, actor=ACTOR)
    xray.refresh_from_db()
    assert xray.status == Order.Status.COMPLETED
    cbc.refresh_from_db()
    with pytest.raises(ValidationError, match="enter its results"):
        lifecycle.order_complete(order=cbc, actor=ACTOR)


def test_it_signs_all_pended_orders_of_the_patient_together(bob):
    first, second = pend(bob, "58410-2"), pend(bob, "24321-2")
    signed = sign(bob)
    assert {o.pk for o in signed} == {first.pk, second.pk}
    assert set(Order.objects.filter(patient=bob).values_list("status", flat=True)) == {Order.Status.ACTIVE}


def test_it_signs_only_the_orders_named_by_id_and_refuses_unknown_ids(bob):
    first, second = pend(bob, "58410-2"), pend(bob, "24321-2")
    assert [o.pk for o in signing.orders_sign(patient=bob, actor=ACTOR, orders=[second.pk])] == [second.pk]
    first.refresh_from_db()
    assert first.status == Order.Status.PENDED
    with pytest.raises(ValidationError, match="No order #999999"):
        signing.orders_sign(patient=bob, actor=ACTOR, orders=[999999])
