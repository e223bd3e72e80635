"""Helpers for end-to-end tests in real headless Chromium (the root conftest's `chrome` fixture)."""

from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions as EC

PASSWORD = "secret-pass-123"  # factories.make_user's


def by_testid(testid: str) -> tuple[str, str]:
    return By.CSS_SELECTOR, f'[data-testid="{testid}"]'


def click_to_page(chrome, wait, target: WebElement | tuple[str, str]) -> None:
    """Click a link or a form's button and wait for the page it leads to.

    WebDriver's click returns as soon as the click is dispatched, and a page the EHR swaps
    in (static/navigation.js) is not a page load WebDriver would wait for: wait until the old
    page's body is gone and no page change is in progress.
    """
    body = chrome.find_element(By.TAG_NAME, "body")
    element = chrome.find_element(*target) if isinstance(target, tuple) else target
    element.click()
    wait.until(EC.staleness_of(body))
    wait.until(lambda driver: driver.execute_script("return !(window.navigation && navigation.transition);"))


def sign_in(chrome, wait, url: str, *, username: str = "drsmith", password: str = PASSWORD) -> None:
    """Open `url`, a page behind the login, and sign in on the login page it leads to."""
    chrome.get(url)
    wait.until(EC.presence_of_element_located(by_testid("login-username"))).send_keys(username)
    chrome.find_element(*by_testid("login-password")).send_keys(password)
    click_to_page(chrome, wait, by_testid("login-submit"))
