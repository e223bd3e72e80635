"""The Orders activity in the browser: search, composer, pended shelf, sign, alerts, list."""

import pytest

from orders.models import Order, OrderAlert
from orders.tests.support import check, pend, pend_and_sign

pytestmark = pytest.mark.django_db


def url(patient, path: str = "") -> str:
    return f"/patients/{patient.mrn}/orders/{path}"


def test_it_adds_an_orders_tab_to_the_chart(client_in, bob):
    page = client_in.get(f"/patients/{bob.mrn}/").content.decode()
    assert f'href="/patients/{bob.mrn}/orders/" data-testid="chart-tab-orders"' in page


def test_it_lists_search_results_with_stable_test_ids(client_in, bob):
    response = client_in.get(url(bob), {"q": "zosyn"})
    page = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="orderable-result-1659149"' in page and 'aria-label="Order piperacillin' in page
    assert 'data-testid="orders-search-input"' in page and 'data-testid="orders-search-submit"' in page


def test_it_says_when_nothing_matches(client_in, bob):
    assert 'data-testid="orders-search-empty"' in client_in.get(url(bob), {"q": "unobtainium"}).content.decode()


def test_it_shows_a_medication_composer_with_its_fields(client_in, bob):
    page = client_in.get(url(bob), {"compose": "308192"}).content.decode()
    for testid in (
        "composer-dose",
        "composer-route",
        "composer-frequency",
        "composer-duration-days",
        "composer-prn",
        "composer-priority",
        "composer-submit",
        "composer-dose-unit",
    ):
        assert f'data-testid="{testid}"' in page
    assert 'value="500"' in page  # default dose
    assert 'data-testid="composer-reason-for-exam"' not in page


def test_it_shows_an_imaging_composer_with_a_reason_for_exam(client_in, bob):
    page = client_in.get(url(bob), {"compose": "303653007"}).content.decode()
    assert 'data-testid="composer-reason-for-exam"' in page and 'data-testid="composer-dose"' not in page


def test_it_pends_from_the_composer_and_redirects_to_the_shelf(client_in, bob):
    response = client_in.post(
        url(bob, "pend/"),
        {"orderable": "1665021", "dose": "1000", "route": "IV", "frequency": "Q24H", "priority": "routine"},
    )
    assert response.status_code == 302 and response["Location"].endswith("#pended-orders")
    order = Order.objects.get(patient=bob)
    page = client_in.get(url(bob)).content.decode()
    assert f'data-testid="pended-order-{order.pk}"' in page and 'data-testid="sign-orders"' in page


def test_it_shows_composer_errors_keeps_the_typed_values_and_pends_nothing(client_in, bob):
    response = client_in.post(
        url(bob, "pend/"),
        {
            "orderable": "308192",
            "dose": "-5",
            "route": "PO",
            "frequency": "TID",
            "duration_days": "-2",
            "priority": "routine",
        },
    )
    page = response.content.decode()
    assert response.status_code == 400 and not Order.objects.exists()
    assert 'data-testid="composer-errors"' in page and "Dose must be greater than zero" in page
    assert "Duration must be between 1 and 365 days; got -2." in page
    assert 'aria-invalid="true"' in page and 'value="-5"' in page


def test_it_answers_an_unknown_orderable_with_a_message_not_an_error(client_in, bob):
    response = client_in.post(url(bob, "pend/"), {"orderable": "nope"})
    assert response.status_code == 400 and "Unknown orderable" in response.content.decode()
    assert client_in.get(url(bob), {"compose": "nope"}).status_code == 200


def test_it_sends_the_clinician_to_the_alerts_when_signing_is_blocked(client_in, alice):
    order = pend(alice, "308192", dose=500)
    response = client_in.post(url(alice, "sign/"))
    assert response.status_code == 302 and response["Location"] == url(alice, "review/")
    alert = OrderAlert.objects.get(order=order)
    page = client_in.get(url(alice, "review/")).content.decode()
    for testid in (f"alert-{alert.pk}", f"alert-override-reason-{alert.pk}", f"alert-override-{alert.pk}"):
        assert f'data-testid="{testid}"' in page
    assert f'data-testid="alert-acknowledge-{alert.pk}"' not in page  # high severity: override only


def test_it_overrides_with_a_reason_then_signs(client_in, alice):
    order = pend(alice, "308192", dose=500)
    [alert] = check(alice)
    refused = client_in.post(url(alice, f"alerts/{alert.pk}/override/"), {"reason": ""}, follow=True)
    assert "Enter the reason for overriding" in refused.content.decode()
    client_in.post(url(alice, f"alerts/{alert.pk}/override/"), {"reason": "Tolerated before"})
    response = client_in.post(url(alice, "sign/"), follow=True)
    order.refresh_from_db()
    assert order.status == Order.Status.ACTIVE
    assert "Signed 1 order: amoxicillin 500 MG Oral Tablet." in response.content.decode()


def test_it_acknowledges_a_warning_from_the_review_page(client_in, alice):
    pend(alice, "1665021", dose=1000)
    [alert] = check(alice)
    client_in.post(url(alice, f"alerts/{alert.pk}/acknowledge/"))
    alert.refresh_from_db()
    assert alert.status == OrderAlert.Status.ACKNOWLEDGED


def test_it_filters_the_order_list_by_status_and_discontinues_with_a_reason(client_in, bob):
    order = pend_and_sign(bob, "1665021", dose=1000)
    page = client_in.get(url(bob), {"status": "active"}).content.decode()
    assert f'data-testid="order-row-{order.pk}"' in page and f'data-testid="order-discontinue-{order.pk}"' in page
    assert (
        f'data-testid="order-row-{order.pk}"' not in client_in.get(url(bob), {"status": "completed"}).content.decode()
    )
    refused = client_in.post(url(bob, f"{order.pk}/discontinue/"), {"reason": ""}, follow=True)
    assert "Enter the reason for discontinuing this order." in refused.content.decode()
    client_in.post(url(bob, f"{order.pk}/discontinue/"), {"reason": "Cultures negative"})
    order.refresh_from_db()
    assert order.status == Order.Status.DISCONTINUED


def test_it_warns_about_an_unknown_status_filter(client_in, bob):
    page = client_in.get(url(bob), {"status": "bogus"}).content.decode()
    assert "Unknown order status “bogus”; showing active orders." in page


def test_it_refuses_to_edit_a_signed_order_from_the_page(client_in, bob):
    order = pend_and_sign(bob, "1665021", dose=1000)
    response = client_in.post(
        url(bob, f"{order.pk}/edit/"),
        {"dose": "2000", "route": "IV", "frequency": "Q24H", "priority": "routine"},
        follow=True,
    )
    assert "only pended orders can be edited. Signed orders are never edited in place" in response.content.decode()
    order.refresh_from_db()
    assert order.dose == 1000


def test_it_applies_an_order_set_from_the_page(client_in, bob):
    client_in.post(url(bob, "sets/chest-pain/apply/"))
    assert Order.objects.filter(patient=bob, order_set="chest-pain", status=Order.Status.PENDED).count() == 8


def test_it_answers_404_for_another_patients_order(client_in, bob, charlie):
    order = pend(bob, "58410-2")
    assert client_in.get(url(charlie, f"{order.pk}/")).status_code == 404


def test_it_lets_only_staff_enter_results(client, client_in, bob, lab_tech):
    order = pend_and_sign(bob, "2823-3")
    assert client_in.get(url(bob, f"{order.pk}/result/")).status_code == 403
    client.force_login(lab_tech)
    assert 'data-testid="result-2823-3"' in client.get(url(bob, f"{order.pk}/result/")).content.decode()
    response = client.post(url(bob, f"{order.pk}/result/"), {"2823-3": "3.0"})
    assert response.status_code == 302
    detail = client.get(url(bob, f"{order.pk}/")).content.decode()
    assert 'data-testid="order-result-row-2823-3"' in detail and "flag-low" in detail


def test_it_requires_login(client, bob):
    assert client.get(url(bob)).status_code == 302
