"""Helpers for end-to-end tests in real headless Chromium (the root conftest's `chrome` fixture)."""

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC

PASSWORD = "secret-pass-123"  # factories.make_user's


def by_testid(testid: str) -> tuple[str, str]:
    return By.CSS_SELECTOR, f'[data-testid="{testid}"]'


def sign_in(chrome, wait, url: str, *, username: str = "drsmith", password: str = PASSWORD) -> None:
    """Open `url`, a page behind the login, and sign in on the login page it leads to."""
    chrome.get(url)
    wait.until(EC.presence_of_element_located(by_testid("login-username"))).send_keys(username)
    chrome.find_element(*by_testid("login-password")).send_keys(password)
    chrome.find_element(*by_testid("login-submit")).click()
