"""End to end in real headless Chromium: a clinician logs in, finds a patient, reads labs;
stops a medication and records a vaccine."""

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

from clinical.tests import factories
from clinical.tests.browser import by_testid, click_to_page, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_logs_in_finds_a_patient_and_reads_flagged_labs_with_a_trend(live_server, chrome, artifacts_dir, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    factories.make_user("drsmith", "secret-pass-123")
    factories.make_alice()
    factories.make_population(5)
    wait = WebDriverWait(chrome, 10)

    sign_in(chrome, wait, f"{live_server.url}/patients/")

    search = wait.until(EC.presence_of_element_located(by_testid("patient-list-search")))
    search.send_keys("Walker")
    click_to_page(chrome, wait, by_testid("patient-list-apply"))
    wait.until(EC.presence_of_element_located(by_testid(f"patient-row-{factories.ALICE_MRN}")))
    assert len(chrome.find_elements(By.CSS_SELECTOR, '[data-testid^="patient-row-"]')) == 1
    click_to_page(chrome, wait, by_testid(f"patient-link-{factories.ALICE_MRN}"))

    allergies = wait.until(EC.presence_of_element_located(by_testid("storyboard-allergies")))
    assert "Penicillin" in allergies.text
    click_to_page(chrome, wait, by_testid("chart-tab-results"))

    hba1c_row = wait.until(EC.presence_of_element_located(by_testid(f"results-row-{factories.HBA1C}")))
    assert "8.6" in hba1c_row.text and "H" in hba1c_row.text.split()
    assert "4–5.6" in hba1c_row.text  # the reference range is shown beside the value
    chrome.save_screenshot(str(artifacts_dir / "e2e_results.png"))

    click_to_page(chrome, wait, by_testid(f"results-analyte-{factories.HBA1C}"))
    plot = wait.until(EC.visibility_of_element_located(by_testid("trend-plot")))
    assert plot.tag_name == "svg" and plot.size["width"] > 300
    assert len(plot.find_elements(By.CSS_SELECTOR, "circle")) == 6  # one point per HbA1c value
    screenshot = artifacts_dir / "e2e_trend.png"
    chrome.save_screenshot(str(screenshot))
    assert screenshot.stat().st_size > 10_000


def test_it_stops_a_medication_and_records_a_vaccine_by_hand(live_server, chrome, artifacts_dir):
    factories.make_user("drsmith", "secret-pass-123")
    alice = factories.make_alice()
    wait = WebDriverWait(chrome, 10)
    sign_in(chrome, wait, f"{live_server.url}/patients/{factories.ALICE_MRN}/medications/")

    reason = wait.until(EC.presence_of_element_located(by_testid("medication-discontinue-reason-314076")))
    reason.send_keys("Dry cough on ACE inhibitor")
    click_to_page(chrome, wait, by_testid("medication-discontinue-314076"))
    flash = wait.until(EC.presence_of_element_located(by_testid("flash-success")))
    assert flash.text == "Discontinued lisinopril 10 MG Oral Tablet."
    past = chrome.find_element(*by_testid("medications-past"))
    assert "lisinopril 10 MG Oral Tablet" in past.text and "Dry cough on ACE inhibitor" in past.text
    chrome.save_screenshot(str(artifacts_dir / "e2e_medication_stopped.png"))

    click_to_page(chrome, wait, by_testid("chart-tab-immunizations"))
    Select(wait.until(EC.presence_of_element_located(by_testid("immunization-cvx")))).select_by_value("115")
    chrome.find_element(*by_testid("immunization-lot")).send_keys("7KX3F")
    Select(chrome.find_element(*by_testid("immunization-site"))).select_by_value("LD")
    click_to_page(chrome, wait, by_testid("immunization-record"))
    flash = wait.until(EC.presence_of_element_located(by_testid("flash-success")))
    assert flash.text.startswith("Recorded Tdap given ")
    table = chrome.find_element(*by_testid("immunizations-table"))
    assert "Tdap" in table.text and "7KX3F" in table.text and "Left deltoid" in table.text
    chrome.save_screenshot(str(artifacts_dir / "e2e_vaccine_recorded.png"))
    assert alice.immunizations.filter(cvx="115", lot_number="7KX3F", site="LD").exists()
