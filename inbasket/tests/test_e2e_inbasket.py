"""End to end in real headless Chromium: a critical potassium in the In Basket, acknowledged with a comment;
an abnormal sodium routed to the chart. Screenshots of both In Basket pages go to the artifacts directory."""

from datetime import timedelta

import pytest
from django.utils import timezone
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from clinical.tests import factories
from clinical.tests.browser import by_testid, click_to_page, sign_in
from inbasket import services

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_acknowledges_a_critical_result_and_routes_another_to_the_chart(live_server, chrome, artifacts_dir,
                                                                           settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    factories.make_user("drsmith", "secret-pass-123")
    bob = factories.make_bob()
    at = timezone.now() - timedelta(hours=2)
    potassium, sodium, glucose = services.notifications_for_results([
        factories.add_observation(bob, "2823-3", "Potassium [Moles/volume] in Serum or Plasma", 2.2, "mmol/L", at=at,
                                  flag="LL", ref_low=3.5, ref_high=5.1),
        factories.add_observation(bob, "2951-2", "Sodium [Moles/volume] in Serum or Plasma", 131, "mmol/L", at=at,
                                  flag="L", ref_low=135, ref_high=145),
        factories.add_observation(bob, "2345-7", "Glucose [Mass/volume] in Serum or Plasma", 92, "mg/dL", at=at,
                                  ref_low=70, ref_high=99),
    ])
    wait = WebDriverWait(chrome, 10)

    sign_in(chrome, wait, f"{live_server.url}/patients/")
    click_to_page(chrome, wait, by_testid("activity-inbasket"))
    row = wait.until(EC.presence_of_element_located(by_testid(f"inbasket-row-{potassium.pk}")))
    assert "2.2" in row.text and "Critical" in row.text and "LL" in row.text
    chrome.save_screenshot(str(artifacts_dir / "e2e_inbasket.png"))

    chrome.find_element(*by_testid(f"inbasket-comment-{potassium.pk}")).send_keys("KCl and STAT repeat ordered")
    click_to_page(chrome, wait, by_testid(f"inbasket-acknowledge-{potassium.pk}"))
    assert "Acknowledged Potassium" in wait.until(EC.presence_of_element_located(by_testid("flash-success"))).text
    assert not chrome.find_elements(*by_testid(f"inbasket-row-{potassium.pk}"))  # left the open list
    potassium.refresh_from_db()
    assert (potassium.status, potassium.note) == ("acknowledged", "KCl and STAT repeat ordered")

    chrome.get(f"{live_server.url}/patients/{bob.mrn}/inbasket/?kind=abnormal")
    wait.until(EC.presence_of_element_located(by_testid(f"inbasket-row-{sodium.pk}")))
    assert not chrome.find_elements(*by_testid(f"inbasket-row-{glucose.pk}"))
    screenshot = artifacts_dir / "e2e_inbasket_chart_tab.png"
    chrome.save_screenshot(str(screenshot))
    assert screenshot.stat().st_size > 10_000
    click_to_page(chrome, wait, by_testid(f"inbasket-route-{sodium.pk}"))
    wait.until(EC.url_contains(f"/patients/{bob.mrn}/results/2951-2/"))
    sodium.refresh_from_db()
    assert sodium.status == "routed"
