"""End to end in real headless Chromium: start a visit from the banner, record vitals in the visit
navigator, and see the orders and note charted in the visit listed there; close it."""

import pytest
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from clinical import encounters
from clinical.tests import factories
from clinical.tests.browser import by_testid, click_to_page, sign_in
from notes import services as notes_services
from orders import lifecycle
from orders.tests.conftest import catalog  # noqa: F401 (a fixture: the order catalog, reloaded after a flush)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_starts_a_visit_records_vitals_and_lists_what_was_done(live_server, chrome, artifacts_dir, catalog):  # noqa: F811
    factories.make_user("drsmith", "secret-pass-123")
    alice = factories.make_alice()
    wait = WebDriverWait(chrome, 10)
    sign_in(chrome, wait, f"{live_server.url}/patients/{alice.mrn}/problems/")

    banner = wait.until(EC.presence_of_element_located(by_testid("visit-banner")))
    assert banner.accessible_name == "No open visit" and "No open visit." in banner.text
    click_to_page(chrome, wait, by_testid("visit-start"))
    banner = wait.until(EC.presence_of_element_located(by_testid("visit-banner")))
    assert chrome.current_url.endswith(f"/patients/{alice.mrn}/problems/")  # back where the button was pressed
    assert banner.accessible_name == "Open visit"
    assert banner.text.startswith("Open visit: Office visit, started ") and banner.text.count("drsmith") == 1
    chrome.save_screenshot(str(artifacts_dir / "e2e_visit_banner.png"))

    assert chrome.find_element(*by_testid("visit-banner-navigator")).accessible_name == "Visit navigator"
    click_to_page(chrome, wait, by_testid("visit-banner-navigator"))
    wait.until(EC.presence_of_element_located(by_testid("visit-section-vitals")))
    assert chrome.find_element(*by_testid("visit-vitals-empty")).text == "No vitals recorded in this visit"
    chrome.find_element(*by_testid("visit-vital-bp_systolic")).send_keys("148")
    chrome.find_element(*by_testid("visit-vital-bp_diastolic")).send_keys("92")
    chrome.find_element(*by_testid("visit-vital-heart_rate")).send_keys("76")
    click_to_page(chrome, wait, by_testid("visit-vitals-record"))
    assert wait.until(EC.presence_of_element_located(by_testid("flash-success"))).text == "Recorded 3 vital signs."
    vitals = chrome.find_element(*by_testid("visit-vitals-table")).text
    assert "148 mm[Hg]" in vitals and "76 /min" in vitals

    order = lifecycle.order_pend(patient=alice, orderable="308192", actor="drsmith", dose=500, frequency="TID")
    note = notes_services.note_create(patient=alice, note_type="progress", author="drsmith", title="Visit note")
    chrome.refresh()
    link = wait.until(EC.presence_of_element_located(by_testid(f"visit-orders-link-{order.pk}")))
    assert link.text == order.display
    assert chrome.find_element(*by_testid(f"visit-notes-link-{note.pk}")).text == "Visit note"
    assert chrome.find_element(*by_testid("visit-action-notes")).accessible_name == "Write note"
    screenshot = artifacts_dir / "e2e_visit_navigator.png"
    chrome.save_screenshot(str(screenshot))
    assert screenshot.stat().st_size > 10_000

    click_to_page(chrome, wait, by_testid("visit-close"))
    assert wait.until(EC.presence_of_element_located(by_testid("visit-status"))).text == "Finished"
    assert chrome.find_element(*by_testid("visit-banner")).accessible_name == "No open visit"
    assert encounters.encounter_open(alice) is None
