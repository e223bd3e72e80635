"""End to end in real headless Chromium: order amoxicillin for a penicillin-allergic patient."""

import pytest
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from clinical import selectors as chart
from clinical.models import AuditEvent
from clinical.tests import factories
from clinical.tests.browser import by_testid, click_to_page, sign_in
from orders.models import Order, OrderAlert

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_orders_amoxicillin_overrides_the_allergy_alert_with_a_reason_and_signs(
    live_server, chrome, artifacts_dir, settings, catalog
):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    factories.make_user("drsmith", "secret-pass-123")
    alice = factories.make_alice()  # Penicillin V allergy (anaphylaxis)
    wait = WebDriverWait(chrome, 10)

    sign_in(chrome, wait, f"{live_server.url}/patients/{alice.mrn}/orders/")

    search = wait.until(EC.presence_of_element_located(by_testid("orders-search-input")))
    search.send_keys("amoxicillin")
    click_to_page(chrome, wait, by_testid("orders-search-submit"))
    click_to_page(chrome, wait, wait.until(EC.element_to_be_clickable(by_testid("orderable-result-308192"))))

    dose = wait.until(EC.presence_of_element_located(by_testid("composer-dose")))
    dose.clear()
    dose.send_keys("500")
    chrome.find_element(*by_testid("composer-duration-days")).send_keys("7")
    chrome.save_screenshot(str(artifacts_dir / "e2e_orders_composer.png"))
    click_to_page(chrome, wait, by_testid("composer-submit"))

    wait.until(EC.presence_of_element_located(by_testid("flash-success")))
    order = Order.objects.get(patient=alice, code="308192")
    assert chrome.find_element(*by_testid(f"pended-order-{order.pk}"))
    click_to_page(chrome, wait, by_testid("sign-orders"))

    wait.until(EC.presence_of_element_located(by_testid("cds-dialog")))
    alert = OrderAlert.objects.get(order=order)
    card = wait.until(EC.visibility_of_element_located(by_testid(f"alert-{alert.pk}")))
    assert "Allergy: Penicillin V" in card.text and "High" in card.text
    chrome.save_screenshot(str(artifacts_dir / "e2e_orders_alert.png"))
    chrome.find_element(*by_testid(f"alert-override-reason-{alert.pk}")).send_keys("Tolerated amoxicillin in 2025")
    click_to_page(chrome, wait, by_testid(f"alert-override-{alert.pk}"))
    wait.until(EC.presence_of_element_located(by_testid(f"alert-answer-{alert.pk}")))
    click_to_page(chrome, wait, by_testid("sign-orders"))

    row = wait.until(EC.presence_of_element_located(by_testid(f"order-row-{order.pk}")))
    assert "Active" in row.text and "1 override" in row.text
    screenshot = artifacts_dir / "e2e_orders_signed.png"
    chrome.save_screenshot(str(screenshot))
    assert screenshot.stat().st_size > 10_000

    order.refresh_from_db()
    alert.refresh_from_db()
    assert order.status == Order.Status.ACTIVE and order.signed_by == "drsmith"
    assert (alert.status, alert.override_reason) == (OrderAlert.Status.OVERRIDDEN, "Tolerated amoxicillin in 2025")
    assert AuditEvent.objects.filter(action="alert.override", details__reason="Tolerated amoxicillin in 2025").exists()
    assert "308192" in set(chart.medications_active(alice).values_list("rxnorm", flat=True))

    click_to_page(chrome, wait, by_testid("chart-tab-medications"))
    wait.until(EC.presence_of_element_located(by_testid("medication-308192")))
    chrome.save_screenshot(str(artifacts_dir / "e2e_orders_med_list.png"))
