"""Starting and stopping headless Chromium, and the warm pool of started browsers.

Local (the default): Selenium starts /usr/bin/chromedriver, which starts Chromium on this
machine with a fresh profile directory. Remote (EHRGYM_SELENIUM_REMOTE_URL set): sessions
are opened on a Selenium Grid with `webdriver.Remote`; the grid node gives every session
its own profile, and the EHR must be reachable from the node at EHRGYM_BROWSER_BASE_URL.

Starting Chromium takes about a second, far more than a reset may. The pool keeps
EHRGYM_BROWSER_POOL_SIZE started, blank browsers per process; a reset takes one, and a
background thread starts a replacement. A browser is never reused by another episode:
cookies, storage, history and cache would carry over, so closing an episode quits it.
"""

import atexit
import logging
import os
import re
import shutil
import tempfile
import threading
from collections import deque
from dataclasses import dataclass, field

import psutil
from django.conf import settings

# Selenium Manager would try to download a driver when none is given: never, here.
os.environ.setdefault("SE_OFFLINE", "true")

from selenium import webdriver  # noqa: E402  (after SE_OFFLINE)
from selenium.webdriver.chrome.service import Service  # noqa: E402

from agentenv.browser.scripts import read_page  # noqa: E402

logger = logging.getLogger(__name__)

WINDOW_SIZE = (1280, 900)
CHROME_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-extensions",
    # A headless window counts as hidden: Chromium would throttle its timers and renderer
    # and hold the old page's paint during a navigation, all time the agent waits for.
    "--disable-background-timer-throttling",
    "--disable-backgrounding-occluded-windows",
    "--disable-renderer-backgrounding",
    "--disable-features=PaintHolding",
    f"--window-size={WINDOW_SIZE[0]},{WINDOW_SIZE[1]}",
)
PAGE_LOAD_TIMEOUT_S = 30
# Reading the page waits for a page change in progress (scripts.OBSERVE_JS), which may take
# as long as a page load.
SCRIPT_TIMEOUT_S = PAGE_LOAD_TIMEOUT_S + 5
# How long a quit browser's processes get to exit before they are killed.
EXIT_WAIT_S = 5
PROFILE_PREFIX = "ehrgym-chrome-"
_PROFILE_ARG = re.compile(r"^--user-data-dir=(.*" + PROFILE_PREFIX + r"(\d+)-[^/]*)$")


@dataclass(eq=False)
class Browser:
    """A started browser: its WebDriver session and, when local, what it runs on here."""

    driver: webdriver.Remote
    profile_dir: str | None = None
    # chromedriver and every Chromium process under it, so none outlives `browser_quit`.
    processes: list[psutil.Process] = field(default_factory=list)
    remote: bool = False
    # The Selenium Grid it runs on ("" for a local browser).
    grid_url: str = ""


def chrome_options(*, profile_dir: str | None, remote: bool) -> webdriver.ChromeOptions:
    """The options of every episode browser. A remote session gets no binary path or
    profile directory: both are the grid node's, not this machine's."""
    options = webdriver.ChromeOptions()
    for flag in CHROME_FLAGS:
        options.add_argument(flag)
    if not remote:
        options.binary_location = str(settings.EHRGYM_CHROMIUM)
        options.add_argument(f"--user-data-dir={profile_dir}")
    # Wait for the load event: the page is read (and photographed) with its stylesheet applied.
    options.page_load_strategy = "normal"
    # An alert or confirm must not block every later command: it is accepted, as a clinician clicks OK.
    options.set_capability("unhandledPromptBehavior", "accept")
    return options


class BrowserNotInstalled(RuntimeError):
    """Browser mode was asked for on a machine without Chromium or its driver, and no grid."""


def _require_local_browser() -> None:
    """Say what is missing and how to get it, rather than Selenium's driver-location error."""
    missing = [f"{name} at {path} ({variable})" for name, path, variable in (
        ("Chromium", settings.EHRGYM_CHROMIUM, "EHRGYM_CHROMIUM"),
        ("chromedriver", settings.EHRGYM_CHROMEDRIVER, "EHRGYM_CHROMEDRIVER"),
    ) if not (os.path.isfile(path) and os.access(path, os.X_OK))]
    if missing:
        raise BrowserNotInstalled(
            f"browser mode needs {' and '.join(missing)}, not found on the server: install them "
            "(Debian/Ubuntu: apt-get install chromium chromium-driver), point those variables at them, "
            "or set EHRGYM_SELENIUM_REMOTE_URL to a Selenium Grid")


def browser_start() -> Browser:
    """Start a browser (locally or on the grid); blank, with no cookies."""
    remote_url = settings.EHRGYM_SELENIUM_REMOTE_URL
    if remote_url:
        driver = webdriver.Remote(command_executor=remote_url, options=chrome_options(profile_dir=None, remote=True))
        browser = Browser(driver=driver, remote=True, grid_url=remote_url)
    else:
        _require_local_browser()
        _reap_orphans_once()
        # The owner's pid in the name tells, later, whether the browser outlived its server.
        profile_dir = tempfile.mkdtemp(prefix=f"{PROFILE_PREFIX}{os.getpid()}-")
        try:
            driver = webdriver.Chrome(
                service=Service(str(settings.EHRGYM_CHROMEDRIVER)),
                options=chrome_options(profile_dir=profile_dir, remote=False),
            )
        except Exception:
            shutil.rmtree(profile_dir, ignore_errors=True)
            raise
        browser = Browser(driver=driver, profile_dir=profile_dir, processes=_process_tree(driver))
    driver.set_page_load_timeout(PAGE_LOAD_TIMEOUT_S)
    driver.set_script_timeout(SCRIPT_TIMEOUT_S)
    driver.implicitly_wait(0)
    return browser


class _AttachedRemote(webdriver.Remote):
    """A Remote WebDriver on a grid session that already exists: no new session is asked for."""

    def __init__(self, grid_url: str, session_id: str):
        self._attach_to = session_id
        super().__init__(command_executor=grid_url, options=webdriver.ChromeOptions())

    def start_session(self, capabilities: dict) -> None:
        self.session_id = self._attach_to
        self.caps = {}


def browser_attach(grid_url: str, session_id: str) -> Browser:
    """The browser of an existing grid session, started by any process. Nothing is sent to the grid here: if the
    session is gone, the first command says so (sessions.browser_died), and the episode gets a new browser."""
    return Browser(driver=_AttachedRemote(grid_url, session_id), remote=True, grid_url=grid_url)


def _process_tree(driver) -> list[psutil.Process]:
    try:
        root = psutil.Process(driver.service.process.pid)
        return [root, *root.children(recursive=True)]
    except (psutil.Error, AttributeError):
        return []


def browser_pids(browser: Browser) -> list[int]:
    """Process ids of the browser's chromedriver and Chromium processes still running."""
    alive = []
    for process in browser.processes + _process_tree(browser.driver):
        try:
            if process.is_running() and process.status() != psutil.STATUS_ZOMBIE and process.pid not in alive:
                alive.append(process.pid)
        except psutil.Error:
            continue
    return alive


def browser_quit(browser: Browser, *, wait: bool = False) -> None:
    """Quit the browser and make sure none of its processes is left, even if Chromium
    crashed or hangs: a leaked Chromium holds a few hundred MB until the machine restarts.

    Chromium takes a second or two to exit after WebDriver's quit: unless `wait`, that is
    waited out (and stragglers killed, the profile removed) in a background thread, so
    closing an episode does not wait for it.
    """
    processes = browser.processes + [p for p in _process_tree(browser.driver) if p not in browser.processes]
    try:
        browser.driver.quit()
    except Exception:  # a dead browser cannot quit cleanly; its processes are ended below
        logger.debug("quitting a browser failed", exc_info=True)
    if wait:
        _reap(processes, browser.profile_dir)
        return
    reaper = threading.Thread(target=_reap, args=(processes, browser.profile_dir), name="ehrgym-browser-reap",
                              daemon=True)
    with _reapers_lock:
        _reapers.add(reaper)
    reaper.start()


_reapers: set[threading.Thread] = set()
_reapers_lock = threading.Lock()


def _reap(processes: list[psutil.Process], profile_dir: str | None) -> None:
    try:
        _, alive = psutil.wait_procs(processes, timeout=EXIT_WAIT_S if processes else 0)
        for process in alive:
            try:
                process.kill()
            except psutil.Error:
                continue
        psutil.wait_procs(alive, timeout=EXIT_WAIT_S)
        if profile_dir:
            shutil.rmtree(profile_dir, ignore_errors=True)
    finally:
        with _reapers_lock:
            _reapers.discard(threading.current_thread())


@atexit.register
def _finish_reaping() -> None:
    """Daemon threads die with the interpreter: let the reaping in progress finish first."""
    with _reapers_lock:
        reapers = list(_reapers)
    for reaper in reapers:
        reaper.join(2 * EXIT_WAIT_S)


# --- Browsers a dead server left behind ----------------------------------------------


def orphans_reap() -> int:
    """End the local browsers whose server process is gone and remove their profiles;
    returns how many browsers that was.

    A server that is killed (SIGKILL, the OOM killer) cannot quit its browsers, and their
    WebDriver sessions died with it: each would hold a few hundred MB until the machine
    restarts. Every local browser runs on a profile named after its server's pid, so the
    next server process on the machine finds them. Browsers of live servers are untouched.
    """
    doomed: dict[int, psutil.Process] = {}
    profiles: set[str] = set()
    for process in psutil.process_iter(["cmdline"]):
        profile = _orphan_profile(process.info["cmdline"] or [])
        if profile is None:
            continue
        profiles.add(profile)
        doomed[process.pid] = process
        try:
            parent = process.parent()
            if parent is not None and parent.name() == "chromedriver":
                doomed[parent.pid] = parent
        except psutil.Error:
            continue
    for process in doomed.values():
        try:
            process.kill()
        except psutil.Error:
            continue
    psutil.wait_procs(list(doomed.values()), timeout=EXIT_WAIT_S)
    for profile in profiles:
        shutil.rmtree(profile, ignore_errors=True)
    if profiles:
        logger.warning("ended %d browser(s) left running by a server that died", len(profiles))
    return len(profiles)


def _orphan_profile(cmdline: list[str]) -> str | None:
    """The EHRGym profile a Chromium command line runs on, if the server that started it is gone."""
    for arg in cmdline:
        found = _PROFILE_ARG.match(arg)
        if found:
            return None if psutil.pid_exists(int(found.group(2))) else found.group(1)
    return None


_orphans_checked = False
_orphans_lock = threading.Lock()


def _reap_orphans_once() -> None:
    """Once per process, before its first local browser starts."""
    global _orphans_checked
    with _orphans_lock:
        if _orphans_checked:
            return
        _orphans_checked = True
    try:
        orphans_reap()
    except Exception:  # never let the sweep stop a browser from starting
        logger.exception("looking for browsers left by a dead server failed")


# --- The warm pool ---------------------------------------------------------------------


def page_open(driver, url: str) -> None:
    """Open `url` in the browser. From an EHR page, through the page's own navigation
    (static/navigation.js swaps the new page in: about 40% faster than WebDriver's `get`,
    which always loads a new document); from anywhere else, with `get`. Either way, the
    next read of the page (scripts.read_page) sees the new page."""
    origin = url.split("/", 3)[:3]
    if driver.execute_script("return location.href").split("/", 3)[:3] == origin:
        driver.execute_script("location.assign(arguments[0]);", url)
    else:
        driver.get(url)


def _warm_up(browser: Browser) -> None:
    """Open the EHR's login page (no cookies yet: it grants nothing) and read it once, so the
    reset that takes this browser finds the site's renderer process running, the connection
    open, the stylesheet cached and the page script compiled: about half of a cold reset."""
    try:
        browser.driver.get(settings.EHRGYM_BROWSER_BASE_URL + "/accounts/login/")
        read_page(browser.driver)
    except Exception:  # the server may not be listening yet: the browser is usable all the same
        logger.info("warming up a pooled browser failed", exc_info=True)



# How long a reset waits for a browser the pool is starting before it starts its own.
START_WAIT_SECONDS = 20


class BrowserPool:
    """Started, blank browsers of this process, ready for the next browser-mode reset."""

    def __init__(self):
        self._idle: deque[Browser] = deque()
        self._lock = threading.Lock()
        # Signalled whenever a pool start ends (with a browser or without one).
        self._started = threading.Condition(self._lock)
        self._starting = 0
        self._starters: set[threading.Thread] = set()

    def take(self) -> Browser:
        """A started browser: from the pool if one is ready; else the first of those the pool
        is starting, once it is up; else one started now.

        Waiting beats starting another: when resets come faster than browsers start, the
        pool's starts are already under way, and a third Chromium starting beside them on a
        2-core machine took 5-6 s where waiting takes what is left of one start.
        The caller refills the pool (refill_in_background) once it has used the browser:
        starting Chromium takes a core for about a second, which the reset should not share.
        """
        with self._started:
            while not self._idle and self._starting:
                if not self._started.wait(timeout=START_WAIT_SECONDS):
                    break  # a start that hangs must not hang the reset: start one here
            browser = self._idle.popleft() if self._idle else None
        return browser if browser is not None else browser_start()

    def idle_count(self) -> int:
        with self._lock:
            return len(self._idle)

    def _claim_missing(self) -> int:
        """Reserve the browsers the pool lacks (counting those being started)."""
        with self._lock:
            missing = settings.EHRGYM_BROWSER_POOL_SIZE - len(self._idle) - self._starting
            self._starting += max(missing, 0)
            return max(missing, 0)

    def _start_one(self) -> bool:
        try:
            browser = browser_start()
            _warm_up(browser)
        except Exception:
            logger.exception("starting a browser for the warm pool failed")
            browser = None
        with self._started:
            self._starting -= 1
            if browser is not None:
                self._idle.append(browser)
            self._starters.discard(threading.current_thread())
            self._started.notify_all()
        return browser is not None

    def refill(self) -> int:
        """Start browsers until the pool holds EHRGYM_BROWSER_POOL_SIZE; returns how many."""
        return sum(self._start_one() for _ in range(self._claim_missing()))

    def refill_in_background(self) -> None:
        """Start the missing browsers, each in a thread of its own: when resets come faster
        than one browser starts, the pool still catches up."""
        for _ in range(self._claim_missing()):
            starter = threading.Thread(target=self._start_one, name="ehrgym-browser-pool", daemon=True)
            with self._lock:
                self._starters.add(starter)
            starter.start()

    def wait_for_refill(self, timeout: float | None = None) -> None:
        with self._lock:
            starters = list(self._starters)
        for starter in starters:
            starter.join(timeout)

    def drain(self) -> int:
        """Quit every idle browser (tests, shutdown, a changed configuration)."""
        self.wait_for_refill()
        with self._lock:
            browsers, self._idle = list(self._idle), deque()
        for browser in browsers:
            browser_quit(browser, wait=True)
        return len(browsers)


pool = BrowserPool()
# A forked process (a test server, a pre-forking web server) must not drive its parent's
# idle browsers: the WebDriver sessions stay the parent's.
os.register_at_fork(after_in_child=pool.__init__)


def _forget_reapers_after_fork() -> None:
    global _reapers_lock
    _reapers.clear()
    _reapers_lock = threading.Lock()


os.register_at_fork(after_in_child=_forget_reapers_after_fork)
# A server stopping (Daphne on SIGTERM, Ctrl-C) must not leave its idle browsers running.
atexit.register(pool.drain)
