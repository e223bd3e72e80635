"""How browsers are started: the options every episode browser gets, locally or on a
Selenium Grid, and which errors mean "the browser is gone" rather than "the action failed"."""

import threading

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



class SlowStarts:
    """Stands in for browser_start: the first start waits for `release` (and then fails if
    `fail_first`); every later start returns at once. Records each start."""

    def __init__(self, *, fail_first=False):
        self.release, self.fail_first, self.calls = threading.Event(), fail_first, []

    def __call__(self):
        self.calls.append(threading.current_thread().name)
        if len(self.calls) == 1:
            assert self.release.wait(timeout=10)
            if self.fail_first:
                raise WebDriverException("chrome failed to start")
        return f"browser {len(self.calls)}"


def _take_in_thread(pool):
    taken = []
    taker = threading.Thread(target=lambda: taken.append(pool.take()))
    taker.start()
    return taker, taken


@pytest.mark.parametrize("fail_first, expected", [(False, "browser 1"), (True, "browser 2")])
def test_a_reset_on_an_empty_pool_waits_for_the_browser_being_started(settings, monkeypatch, fail_first, expected):
    # Resets faster than browsers start: a third Chromium starting beside the pool's own on
    # two cores took 5-6 s, so a reset takes the pool's browser once it is up, and starts
    # its own only if that start fails.
    settings.EHRGYM_BROWSER_POOL_SIZE = 1
    starts = SlowStarts(fail_first=fail_first)
    monkeypatch.setattr(drivers, "browser_start", starts)
    monkeypatch.setattr(drivers, "_warm_up", lambda browser: None)
    pool = drivers.BrowserPool()
    pool.refill_in_background()

    taker, taken = _take_in_thread(pool)
    taker.join(timeout=0.3)
    assert taker.is_alive() and taken == []  # waiting, not starting a browser of its own
    assert len(starts.calls) == 1

    starts.release.set()
    taker.join(timeout=10)
    assert taken == [expected] and pool.idle_count() == 0
    assert len(starts.calls) == (2 if fail_first else 1)


def test_a_reset_starts_its_own_browser_when_the_pool_is_empty_and_idle(settings, monkeypatch):
    settings.EHRGYM_BROWSER_POOL_SIZE = 0
    starts = SlowStarts()
    starts.release.set()
    monkeypatch.setattr(drivers, "browser_start", starts)
    assert drivers.BrowserPool().take() == "browser 1"


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
