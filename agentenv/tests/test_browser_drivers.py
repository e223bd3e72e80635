"""How browsers are started: the options every episode browser gets, locally or on a
Selenium Grid, and which errors mean "the browser is gone" rather than "the action failed"."""

import pytest
from selenium.common.exceptions import (
    ElementNotInteractableException,
    InvalidSessionIdException,
    NoSuchElementException,
    WebDriverException,
)
from urllib3.exceptions import MaxRetryError

from agentenv.browser import drivers
from agentenv.browser.sessions import browser_died

REQUIRED_FLAGS = {
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
}


class FakeRemote:
    """Stands in for webdriver.Remote: records how the grid session was asked for."""

    opened = []

    def __init__(self, *, command_executor, options):
        self.command_executor, self.options = command_executor, options
        self.timeouts = {}
        FakeRemote.opened.append(self)

    def set_page_load_timeout(self, seconds):
        self.timeouts["page_load"] = seconds

    def set_script_timeout(self, seconds):
        self.timeouts["script"] = seconds

    def implicitly_wait(self, seconds):
        self.timeouts["implicit"] = seconds


def test_it_gives_a_local_browser_the_required_flags_the_binary_and_a_fresh_profile(settings, tmp_path):
    options = drivers.chrome_options(profile_dir=str(tmp_path / "profile"), remote=False)

    assert REQUIRED_FLAGS <= set(options.arguments)
    assert f"--user-data-dir={tmp_path / 'profile'}" in options.arguments
    assert options.binary_location == str(settings.EHRGYM_CHROMIUM)


def test_it_opens_grid_sessions_with_webdriver_remote_when_a_remote_url_is_set(settings, monkeypatch):
    settings.EHRGYM_SELENIUM_REMOTE_URL = "http://grid.internal:4444/wd/hub"
    FakeRemote.opened.clear()
    monkeypatch.setattr(drivers.webdriver, "Remote", FakeRemote)
    monkeypatch.setattr(drivers.webdriver, "Chrome", lambda **kwargs: pytest.fail("must not start a local Chromium"))

    browser = drivers.browser_start()

    assert browser.remote and browser.profile_dir is None and browser.processes == []
    (session,) = FakeRemote.opened
    assert session.command_executor == "http://grid.internal:4444/wd/hub"
    arguments = set(session.options.arguments)
    assert REQUIRED_FLAGS <= arguments
    # The binary and the profile are the grid node's business, not paths on this machine.
    assert not any(a.startswith("--user-data-dir") for a in arguments)
    assert not session.options.binary_location
    assert session.options.to_capabilities()["browserName"] == "chrome"
    assert session.timeouts == {"page_load": drivers.PAGE_LOAD_TIMEOUT_S, "script": drivers.SCRIPT_TIMEOUT_S,
                                "implicit": 0}


def test_it_starts_pool_browsers_on_the_grid_too(settings, monkeypatch):
    settings.EHRGYM_SELENIUM_REMOTE_URL = "http://grid.internal:4444"
    settings.EHRGYM_BROWSER_POOL_SIZE = 2
    FakeRemote.opened.clear()
    monkeypatch.setattr(drivers.webdriver, "Remote", FakeRemote)
    pool = drivers.BrowserPool()

    assert pool.refill() == 2 and pool.idle_count() == 2
    taken = pool.take()
    pool.refill_in_background()  # what a reset does once it has opened its page
    pool.wait_for_refill(timeout=5)

    assert taken.remote and pool.idle_count() == 2 and len(FakeRemote.opened) == 3


@pytest.mark.parametrize("error, dead", [
    (InvalidSessionIdException("invalid session id: session deleted as the browser has closed the connection"), True),
    (WebDriverException("unknown error: cannot determine loading status\nfrom disconnected: not connected to DevTools"),
     True),
    (WebDriverException("chrome not reachable"), True),
    (WebDriverException("tab crashed"), True),
    (MaxRetryError(None, "/session/x/url", "Connection refused"), True),
    (ConnectionRefusedError(111, "Connection refused"), True),
    (NoSuchElementException("no such element"), False),
    (ElementNotInteractableException("element not interactable"), False),
    (WebDriverException("javascript error: x is not defined"), False),
])
def test_it_tells_a_dead_browser_from_a_failed_action(error, dead):
    assert browser_died(error) is dead
