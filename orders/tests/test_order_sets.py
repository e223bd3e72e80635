"""Order sets pend several orders at once; each stays editable until signed."""

import pytest
from django.core.exceptions import ValidationError

from orders import lifecycle, selectors
from orders.models import Order, OrderSet
from orders.tests.support import ACTOR, audit_event, sign

pytestmark = pytest.mark.django_db

REQUIRED_SETS = ("dka", "community-acquired-pneumonia", "chest-pain", "sepsis", "heart-failure-exacerbation")


def test_it_ships_the_five_required_order_sets(catalog):
    assert set(REQUIRED_SETS) <= set(OrderSet.objects.values_list("slug", flat=True))


@pytest.mark.parametrize("slug", REQUIRED_SETS)
def test_it_pends_every_order_of_a_set(bob, slug):
    order_set = selectors.order_set_get(slug)
    orders = lifecycle.order_set_apply(patient=bob, order_set=slug, actor=ACTOR)
    assert len(orders) == order_set.items.count() >= 3
    assert {o.status for o in orders} == {Order.Status.PENDED} and {o.order_set for o in orders} == {slug}
    assert audit_event(bob, "order_set.apply").details["order_ids"] == [o.pk for o in orders]


def test_it_lets_each_order_be_edited_or_removed_before_signing(bob):
    orders = {
        o.code: o for o in lifecycle.order_set_apply(patient=bob, order_set="community-acquired-pneumonia", actor=ACTOR)
    }
    lifecycle.order_update(order=orders["1665021"], actor=ACTOR, dose=2000)
    lifecycle.order_cancel(order=orders["94531-1"], actor=ACTOR)
    signed = sign(bob)
    assert orders["94531-1"].pk not in {o.pk for o in signed}
    assert Order.objects.get(pk=orders["1665021"].pk).dose == 2000


def test_it_refuses_an_unknown_order_set(bob):
    with pytest.raises(ValidationError, match="Unknown order set 'flu'"):
        lifecycle.order_set_apply(patient=bob, order_set="flu", actor=ACTOR)
    assert not Order.objects.exists()
