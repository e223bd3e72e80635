"""A server killed outright cannot quit its browsers: the next server process ends them."""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from agentenv.browser import drivers
from conftest import CHROMEDRIVER, CHROMIUM, require_service

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
# A stand-in server: starts one local browser the way the pool does, says where, and waits.
SERVER = """
import django, json, sys, time
django.setup()
from agentenv.browser import drivers
browser = drivers.browser_start()
print(json.dumps({"profile": browser.profile_dir, "pids": [p.pid for p in browser.processes]}), flush=True)
time.sleep(600)
"""


def _alive(pids: list[int]) -> list[int]:
    alive = []
    for pid in pids:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                alive.append(pid)
        except psutil.NoSuchProcess:
            continue
    return alive


def test_it_ends_the_browsers_of_a_server_that_was_killed():
    require_service(CHROMIUM.exists() and CHROMEDRIVER.exists(),
                    f"Chromium ({CHROMIUM}) and chromedriver ({CHROMEDRIVER})")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "ehrsite.settings", "SE_OFFLINE": "true"}
    server = subprocess.Popen([sys.executable, "-c", SERVER], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    try:
        started = json.loads(server.stdout.readline())
    finally:
        server.send_signal(signal.SIGKILL)
        server.wait(10)
    profile, pids = started["profile"], started["pids"]
    assert Path(profile).name.startswith(f"{drivers.PROFILE_PREFIX}{server.pid}-")
    assert _alive(pids), "the killed server's browser should still be running before the sweep"

    assert drivers.orphans_reap() >= 1

    assert _alive(pids) == []
    assert not Path(profile).exists()


def test_it_leaves_the_browsers_of_a_live_server_alone():
    require_service(CHROMIUM.exists() and CHROMEDRIVER.exists(),
                    f"Chromium ({CHROMIUM}) and chromedriver ({CHROMEDRIVER})")
    browser = drivers.browser_start()
    try:
        drivers.orphans_reap()
        chromedriver = browser.processes[0]
        # Chromium starts and ends helper processes of its own: its main process and driver must live.
        main_chromium = [p.pid for p in chromedriver.children() if p.name() in {"chromium", "chrome"}]
        assert _alive([chromedriver.pid, *main_chromium]) == [chromedriver.pid, *main_chromium]
        assert main_chromium and Path(browser.profile_dir).exists()
        assert browser.driver.execute_script("return 1 + 1") == 2
    finally:
        drivers.browser_quit(browser, wait=True)
