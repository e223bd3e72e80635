"""Results Review and Questionnaires in real headless Chromium: panels of flowsheets paged back in time, a trend
one click away, and questionnaire answers on their own tab. Saves a screenshot of each page."""

from datetime import timedelta

import pytest
from django.utils import timezone
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from clinical.tests import factories
from clinical.tests.browser import by_testid, click_to_page, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ALT, PHQ9, REFUGEE = "1742-6", "44261-6", "93027-1"


def alice_with_surveys_and_liver_tests():
    alice = factories.make_alice()
    now = timezone.now()
    for day in range(12):
        value = 28.13 + day * 3.37
        factories.add_observation(alice, ALT, "Alanine aminotransferase", value, "U/L", at=now - timedelta(days=day),
                                  ref_low=7, ref_high=56, flag="H" if value > 56 else "")
    factories.add_observation(alice, PHQ9, "Patient Health Questionnaire 9 item (PHQ-9) total score", 12, "{score}",
                              at=now - timedelta(days=3))
    factories.add_observation(alice, REFUGEE, "Are you a refugee?", None, "", at=now - timedelta(days=3),
                              value_text="No")


def test_a_clinician_reads_results_by_panel_and_questionnaires_apart(live_server, chrome, artifacts_dir):
    factories.make_user("drsmith", "secret-pass-123")
    alice_with_surveys_and_liver_tests()
    wait = WebDriverWait(chrome, 10)
    chrome.set_window_size(1400, 1000)
    sign_in(chrome, wait, f"{live_server.url}/patients/{factories.ALICE_MRN}/results/")

    chemistry = wait.until(EC.presence_of_element_located(by_testid("results-flowsheet-chemistry")))
    assert chemistry.get_attribute("aria-label") == "Chemistry (BMP/CMP) flowsheet, newest first"
    alt = chrome.find_element(*by_testid(f"results-row-{ALT}"))
    assert alt.find_elements(By.TAG_NAME, "td")[0].text == "28"  # shown as the lab reports it, not 28.13
    assert "Patient Health Questionnaire" not in chrome.find_element(By.TAG_NAME, "main").text
    screenshot = artifacts_dir / "e2e_results_review.png"
    chrome.save_screenshot(str(screenshot))
    assert screenshot.stat().st_size > 10_000

    first_column = chrome.find_element(*by_testid("results-column-chemistry-1")).text
    click_to_page(chrome, wait, by_testid("results-older-chemistry"))
    older = wait.until(EC.presence_of_element_located(by_testid("results-column-chemistry-1"))).text
    assert older != first_column and chrome.find_elements(*by_testid("results-newer-chemistry"))

    click_to_page(chrome, wait, by_testid(f"results-analyte-{ALT}"))
    plot = wait.until(EC.visibility_of_element_located(by_testid("trend-plot")))
    assert "latest 28 U/L" in plot.get_attribute("aria-label")

    click_to_page(chrome, wait, by_testid("chart-tab-questionnaires"))
    table = wait.until(EC.presence_of_element_located(by_testid("questionnaires-table")))
    assert table.get_attribute("aria-label") == "Questionnaires and social history, latest answer per question"
    assert chrome.find_element(*by_testid(f"questionnaire-row-{REFUGEE}")).text.startswith("Are you a refugee? No")
    assert chrome.find_elements(*by_testid(f"questionnaire-trend-{PHQ9}"))
    screenshot = artifacts_dir / "e2e_questionnaires.png"
    chrome.save_screenshot(str(screenshot))
    assert screenshot.stat().st_size > 10_000
