"""One browser per browser-mode episode: opening it as the episode's clinician, reading the
page, recovering from a crash, and closing it.

A browser is logged in without a password: it gets a Django session made for the episode
owner (marked as the episode's, so the API refuses it) and the episode's signed cookie,
which EpisodeBindingMiddleware turns into "this request runs on the episode's database".

Where the browser runs is recorded in the database (records.py): on a Selenium Grid any
process re-attaches to the episode's WebDriver session; a local Chromium can be driven only
by the process that started it, and other processes refuse its steps (BrowserElsewhere).
A step that finds its browser dead (or its owner gone) starts a new browser on the same
database at the last page the agent saw, and says so in `info`.
"""

import atexit
import logging
import os
import threading
import time
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from importlib import import_module
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.urls import Resolver404, resolve
from selenium.common.exceptions import InvalidSessionIdException, NoSuchWindowException, WebDriverException
from urllib3.exceptions import HTTPError as Urllib3Error

from agentenv.browser import drivers, records
from agentenv.browser.axtree_txt import axtree_txt_of
from agentenv.browser.isolation import SESSION_EPISODE_KEY
from agentenv.browser.scripts import MARKS_JS, UNMARK_JS, read_page
from agentenv.middleware import COOKIE_NAME, episode_browser_token
from agentenv.models import Episode

logger = logging.getLogger(__name__)

# How often a process looks for episodes closed elsewhere whose browser it still runs.
SWEEP_INTERVAL_S = 30
# chromedriver's words for "the browser behind this session is gone".
_DEAD_MESSAGES = (
    "chrome not reachable", "disconnected", "session deleted", "tab crashed", "no such session",
    "invalid session id", "target window already closed", "target frame detached", "not connected to devtools",
)


class BrowserUnavailable(Exception):
    """The episode's browser died and no new one could be started: the episode cannot go on."""


def browser_died(error: BaseException) -> bool:
    """True if `error` means the browser (or its chromedriver) is gone, not that an action failed."""
    if isinstance(error, (InvalidSessionIdException, NoSuchWindowException, Urllib3Error, ConnectionError)):
        return True
    if isinstance(error, WebDriverException):
        message = (error.msg or str(error)).lower()
        return any(words in message for words in _DEAD_MESSAGES)
    return False


def _describe(error: BaseException) -> str:
    first_line = (getattr(error, "msg", None) or str(error) or "").strip().splitlines()
    return f"{type(error).__name__}: {first_line[0] if first_line else 'no message'}"


@dataclass(eq=False)
class BrowserSession:
    episode_id: str
    owner_id: int
    session_key: str
    episode_token: str
    base_url: str
    screenshot: bool
    set_of_marks: bool
    route: str
    browser: drivers.Browser | None = None
    lock: threading.RLock = field(default_factory=threading.RLock)
    # Recoveries since the last step, reported in that step's info.
    events: list[dict] = field(default_factory=list)
    last_observation: dict | None = None

    @property
    def driver(self):
        return self.browser.driver

    # --- Lifecycle ---------------------------------------------------------------------

    def attach(self, browser: drivers.Browser) -> None:
        """Give `browser` the episode's cookies and open the last page (the start page at reset)."""
        self.browser = browser
        cookies = [
            {"name": settings.SESSION_COOKIE_NAME, "value": self.session_key},
            {"name": COOKIE_NAME, "value": self.episode_token},
        ]
        driver = browser.driver
        if hasattr(driver, "execute_cdp_cmd"):
            # Local Chromium: set the cookies straight into the profile, no page load needed.
            driver.execute_cdp_cmd("Network.setCookies", {"cookies": [
                {**cookie, "url": self.base_url + "/", "path": "/", "httpOnly": True, "sameSite": "Lax"}
                for cookie in cookies
            ]})
        else:
            # WebDriver can set cookies only for the origin of the page it is on.
            driver.get(self.base_url + "/accounts/login/")
            for cookie in cookies:
                driver.add_cookie({**cookie, "path": "/", "httpOnly": True, "sameSite": "Lax"})
        drivers.page_open(driver, self.base_url + self.route)

    def restart(self, *, reason: str) -> None:
        """Replace a dead browser with a new one on the same database and page."""
        old, self.browser = self.browser, None
        if old is not None:
            drivers.browser_quit(old)
        started = time.perf_counter()
        try:
            browser = drivers.pool.take()
        except Exception as error:
            raise BrowserUnavailable(f"The browser died ({reason}) and a new one could not be started: "
                                     f"{_describe(error)}") from error
        try:
            self.attach(browser)
            # Give the page its bids again (the same ones: they follow the page's content), so
            # the action the agent chose from its last observation can run on the new browser.
            read_page(browser.driver)
        except Exception as error:
            drivers.browser_quit(browser)
            raise BrowserUnavailable(f"The browser died ({reason}) and a new one could not open "
                                     f"{self.route}: {_describe(error)}") from error
        finally:
            drivers.pool.refill_in_background()
        self.record()
        self.events.append({
            "event": "browser_restarted", "reason": reason, "route": self.route,
            "restart_ms": round((time.perf_counter() - started) * 1000, 1),
        })
        logger.warning("episode %s: browser restarted at %s (%s)", self.episode_id, self.route, reason)

    def perform(self, operation):
        """Run `operation(driver)`. If the browser died, start a new one on the same page and
        run it once more; if that fails too, raise BrowserUnavailable."""
        if self.browser is None:
            self.restart(reason="this process had no browser for the episode")
        try:
            return operation(self.driver)
        except Exception as error:
            if not browser_died(error):
                raise
            self.restart(reason=_describe(error))
        try:
            return operation(self.driver)
        except Exception as error:
            if browser_died(error):
                raise BrowserUnavailable(f"The browser died again right after a restart: {_describe(error)}") from error
            raise

    def record(self) -> None:
        """Write where this browser runs to the database, for every other process."""
        records.record_save(episode_id=self.episode_id, driver_session_id=self.driver.session_id,
                            grid_url=self.browser.grid_url, login_session_key=self.session_key)

    # --- Reading the page --------------------------------------------------------------

    def observe(self) -> tuple[dict, dict]:
        """(observation fields, timings in ms) of the page now."""
        started = time.perf_counter()
        page = self.perform(read_page)
        timings = {"observe": _ms(started)}
        self.route = self.route_of(page["url"])
        fields = {
            "url": page["url"],
            "title": page["title"],
            "axtree": page["tree"],
            "axtree_txt": axtree_txt_of(page["tree"]),
            "focused_bid": page["focused"],
            "screenshot": None,
        }
        if self.screenshot:
            started = time.perf_counter()
            fields["screenshot"] = self.perform(self._screenshot)
            timings["screenshot"] = _ms(started)
        return fields, timings

    def _screenshot(self, driver) -> str:
        if not self.set_of_marks:
            return _capture(driver)
        driver.execute_script(MARKS_JS)
        try:
            return _capture(driver)
        finally:
            driver.execute_script(UNMARK_JS)

    def route_of(self, url: str) -> str:
        """The path and query of an EHR URL (the URL itself if it is not on the EHR)."""
        base, parts = urlsplit(self.base_url), urlsplit(url)
        if (parts.scheme, parts.netloc) != (base.scheme, base.netloc):
            return url
        return parts.path + (f"?{parts.query}" if parts.query else "")


def _capture(driver) -> str:
    """A PNG of the viewport, base64. Locally through DevTools with fast compression: about
    half the time of WebDriver's screenshot, for a PNG about twice the size."""
    if hasattr(driver, "execute_cdp_cmd"):
        return driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png", "optimizeForSpeed": True})["data"]
    return driver.get_screenshot_as_base64()


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)


def mrn_of(route: str) -> str | None:
    """The MRN of the chart a route is in, if it is a chart page."""
    try:
        return resolve(urlsplit(route).path).kwargs.get("mrn")
    except Resolver404:
        return None


# --- The sessions of this process ---------------------------------------------------------

_sessions: dict[str, BrowserSession] = {}
_sessions_lock = threading.Lock()
_current: ContextVar[BrowserSession | None] = ContextVar("browser_session", default=None)


def current_session() -> BrowserSession | None:
    """The browser of the episode whose step is running (None outside a browser-mode step)."""
    return _current.get()


@contextmanager
def stepping(session: BrowserSession):
    """Hold the session for one step: one action at a time per browser."""
    with session.lock:
        token = _current.set(session)
        try:
            yield session
        finally:
            _current.reset(token)


def _login_session(episode) -> str:
    """A Django session of the episode owner, marked as belonging to the episode's browser."""
    owner = episode.owner
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = owner._meta.pk.value_to_string(owner)
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    store[HASH_SESSION_KEY] = owner.get_session_auth_hash()
    store[SESSION_EPISODE_KEY] = str(episode.id)
    store.create()
    return store.session_key


def _logout_session(session_key: str) -> None:
    import_module(settings.SESSION_ENGINE).SessionStore(session_key).delete()


def _new_session(episode, *, session_key: str | None = None) -> BrowserSession:
    return BrowserSession(
        episode_id=str(episode.id),
        owner_id=episode.owner_id,
        session_key=session_key or _login_session(episode),
        episode_token=episode_browser_token(episode),
        base_url=settings.EHRGYM_BROWSER_BASE_URL.rstrip("/"),
        screenshot=episode.screenshot,
        set_of_marks=episode.set_of_marks,
        route=episode.route or "/",
    )


def session_open(*, episode) -> BrowserSession:
    """Open the episode's browser at its start page and read the page.

    Raises BrowserUnavailable if no browser could be started or the EHR did not answer.
    """
    started = time.perf_counter()
    session = _new_session(episode)
    try:
        browser = drivers.pool.take()
    except Exception as error:
        _logout_session(session.session_key)
        raise BrowserUnavailable(f"No browser could be started: {_describe(error)}") from error
    try:
        session.attach(browser)
        opened = _ms(started)
        fields, timings = session.observe()
        timings = {"browser": opened, **timings}
    except Exception as error:
        drivers.browser_quit(browser)
        _logout_session(session.session_key)
        raise BrowserUnavailable(f"The browser could not open {session.base_url}{session.route}: "
                                 f"{_describe(error)}") from error
    finally:
        drivers.pool.refill_in_background()
    session.last_observation = {"fields": fields, "timings": timings}
    session.record()
    with _sessions_lock:
        _sessions[session.episode_id] = session
    _start_sweeper()
    return session


def session_for(episode) -> BrowserSession:
    """The episode's browser session in this process, as the database records it: the one this process drives,
    or the grid session another process started (re-attached by its id). Without a browser this process may
    drive (none recorded, its owner gone), a new session whose browser starts on first use at the last page.

    Raises BrowserElsewhere if a local Chromium of another live process holds the episode.
    """
    key = str(episode.id)
    record = records.record_of(key)
    with _sessions_lock:
        session = _sessions.get(key)
    if session is not None and (record is None or (
            session.browser is not None and session.driver.session_id == record.driver_session_id)):
        _start_sweeper()
        return session
    if record is not None:
        records.refuse_local_elsewhere(record)
    fresh = _new_session(episode, session_key=record.login_session_key if record else None)
    if record is not None and record.grid_url:
        fresh.browser = drivers.browser_attach(record.grid_url, record.driver_session_id)
    with _sessions_lock:
        # A stale session here (another process replaced the grid browser) is dropped, not quit: its browser is gone.
        if session is None or _sessions.get(key) is session:
            _sessions[key] = fresh
        else:
            fresh = _sessions[key]
    _start_sweeper()
    return fresh


def session_get(episode_id) -> BrowserSession | None:
    with _sessions_lock:
        return _sessions.get(str(episode_id))


def session_close(*, episode_id) -> bool:
    """Quit the episode's browser and end its Django session; False if this process had none and could not reach
    the recorded one (a local browser of another process: that process's sweep quits it)."""
    with _sessions_lock:
        session = _sessions.pop(str(episode_id), None)
    if session is None:
        return _recorded_close(episode_id)
    with session.lock:
        driven = session.browser
        if driven is not None:
            drivers.browser_quit(driven)
            session.browser = None
        _logout_session(session.session_key)
    record = records.record_of(episode_id)
    replaced = record is not None and record.grid_url and (
        driven is None or driven.driver.session_id != record.driver_session_id)
    if replaced:
        _recorded_close(episode_id)  # another process replaced the grid browser this one drove
    return True


def _recorded_close(episode_id) -> bool:
    """Close the browser another process started, when it is reachable from here (on a grid) or orphaned."""
    record = records.record_of(episode_id)
    if record is None or (not record.grid_url and records.owner_alive_elsewhere(record)):
        return False
    if record.grid_url:
        drivers.browser_quit(drivers.browser_attach(record.grid_url, record.driver_session_id))
    _logout_session(record.login_session_key)
    return True


def sessions_open_count() -> int:
    with _sessions_lock:
        return len(_sessions)


def sessions_sweep() -> int:
    """Quit the browsers of this process's episodes that were closed elsewhere (by the reaper
    in a Celery worker, or through another web process); returns how many."""
    with _sessions_lock:
        ids = list(_sessions)
    if not ids:
        return 0
    ended = Episode.objects.filter(pk__in=ids, released_at__isnull=False).values_list("pk", flat=True)
    return sum(session_close(episode_id=episode_id) for episode_id in ended)


_sweeper: threading.Thread | None = None


def _start_sweeper() -> None:
    """A background sweep while this process has browsers: without it, an episode reaped by
    another process would keep its browser here until the server stopped."""
    global _sweeper
    with _sessions_lock:
        if _sweeper is not None and _sweeper.is_alive():
            return
        _sweeper = threading.Thread(target=_sweep_while_open, name="ehrgym-browser-sweeper", daemon=True)
        _sweeper.start()


def _sweep_while_open() -> None:
    from django.db import connections

    while sessions_open_count():
        time.sleep(SWEEP_INTERVAL_S)
        try:
            sessions_sweep()
        except Exception:
            logger.exception("sweeping the browsers of closed episodes failed")
        finally:
            connections.close_all()


def _forget_after_fork() -> None:
    """A forked process does not own its parent's browsers (nor its sweeper thread)."""
    global _sweeper, _sessions_lock
    _sessions.clear()
    _sweeper = None
    _sessions_lock = threading.Lock()  # a lock held by a thread of the parent would never be released


os.register_at_fork(after_in_child=_forget_after_fork)


@atexit.register
def _quit_browsers_at_exit() -> None:
    """A server stopping must not leave its episodes' browsers running (their Django sessions
    expire on their own; the database may already be gone at exit)."""
    with _sessions_lock:
        sessions = list(_sessions.values())
        _sessions.clear()
    for session in sessions:
        # A grid browser outlives this process: any other one steps the episode on, and its close quits it.
        if session.browser is not None and not session.browser.remote:
            drivers.browser_quit(session.browser, wait=True)


def sessions_close_all() -> int:
    """Close every browser session of this process (tests, shutdown)."""
    with _sessions_lock:
        ids = list(_sessions)
    return sum(session_close(episode_id=episode_id) for episode_id in ids)
