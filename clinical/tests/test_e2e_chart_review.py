"""End to end in real headless Chromium: a clinician logs in, finds a patient, reads labs."""

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from clinical.tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def by_testid(testid: str) -> tuple[str, str]:
    return By.CSS_SELECTOR, f'[data-testid="{testid}"]'


def test_it_logs_in_finds_a_patient_and_reads_flagged_labs_with_a_trend(live_server, chrome, artifacts_dir, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    factories.make_user("drsmith", "secret-pass-123")
    factories.make_alice()
    factories.make_population(5)
    wait = WebDriverWait(chrome, 10)

    chrome.get(f"{live_server.url}/patients/")
    wait.until(EC.presence_of_element_located(by_testid("login-username"))).send_keys("drsmith")
    chrome.find_element(*by_testid("login-password")).send_keys("secret-pass-123")
    chrome.find_element(*by_testid("login-submit")).click()

    search = wait.until(EC.presence_of_element_located(by_testid("patient-list-search")))
    search.send_keys("Walker")
    chrome.find_element(*by_testid("patient-list-apply")).click()
    wait.until(EC.presence_of_element_located(by_testid(f"patient-row-{factories.ALICE_MRN}")))
    assert len(chrome.find_elements(By.CSS_SELECTOR, '[data-testid^="patient-row-"]')) == 1
    chrome.find_element(*by_testid(f"patient-link-{factories.ALICE_MRN}")).click()

    allergies = wait.until(EC.presence_of_element_located(by_testid("storyboard-allergies")))
    assert "Penicillin" in allergies.text
    chrome.find_element(*by_testid("chart-tab-results")).click()

    hba1c_row = wait.until(EC.presence_of_element_located(by_testid(f"results-row-{factories.HBA1C}")))
    assert "8.6" in hba1c_row.text and "H" in hba1c_row.text.split()
    assert "4–5.6" in hba1c_row.text  # the reference range is shown beside the value
    chrome.save_screenshot(str(artifacts_dir / "e2e_results.png"))

    chrome.find_element(*by_testid(f"results-analyte-{factories.HBA1C}")).click()
    plot = wait.until(EC.visibility_of_element_located(by_testid("trend-plot")))
    assert plot.tag_name == "svg" and plot.size["width"] > 300
    assert len(plot.find_elements(By.CSS_SELECTOR, "circle")) == 6  # one point per HbA1c value
    screenshot = artifacts_dir / "e2e_trend.png"
    chrome.save_screenshot(str(screenshot))
    assert screenshot.stat().st_size > 10_000
