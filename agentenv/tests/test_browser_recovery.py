"""A browser that dies mid-episode is replaced on the same database and page; if that fails
too the episode ends as errored. Either way no Chromium process is left behind."""

import psutil
import pytest
from django.utils import timezone

from agentenv import snapshots
from agentenv.browser import drivers
from agentenv.browser import sessions as browser_sessions
from agentenv.models import Episode
from agentenv.tests.browser_support import (  # noqa: F401  (ehr: a fixture)
    BROWSER_DBS,
    browser_processes,
    browser_reset,
    browser_step,
    ehr,
)
from agentenv.tests.conftest import MARIA_MRN

pytestmark = [pytest.mark.browser, BROWSER_DBS, pytest.mark.usefixtures("ehr")]


def _kill_chromium(episode_id: str) -> list[psutil.Process]:
    """SIGKILL the episode's Chromium (the browser process under chromedriver), as a crash would."""
    browser = browser_sessions.session_get(episode_id).browser
    chromedriver = psutil.Process(browser.driver.service.process.pid)
    tree = [chromedriver, *chromedriver.children(recursive=True)]
    for process in chromedriver.children():
        process.kill()
    return tree


def _all_exited(processes: list[psutil.Process]) -> bool:
    """True when every process is gone from the process table: none running, none a zombie."""
    psutil.wait_procs(processes, timeout=10)
    return not any(process.is_running() for process in processes)


def test_it_restarts_a_killed_browser_on_the_same_database_and_page(alice_api):
    episode_id = browser_reset(alice_api)["episode_id"]
    browser_step(alice_api, episode_id, type="goto", url=f"/patients/{MARIA_MRN}/allergies/")
    browser_step(alice_api, episode_id, type="set_code_status", mrn=MARIA_MRN, code_status="comfort")
    killed = _kill_chromium(episode_id)

    step = browser_step(alice_api, episode_id, type="click", bid="chart-tab-summary")

    events = step["info"]["events"]
    assert [e["event"] for e in events] == ["browser_restarted"]
    assert events[0]["route"] == f"/patients/{MARIA_MRN}/allergies/"
    assert "InvalidSessionId" in events[0]["reason"] or "disconnected" in events[0]["reason"]
    # The new browser is logged in, on the episode's database (the semantic change shows), and acted.
    assert step["observation"]["last_action_error"] is None
    assert step["observation"]["route"] == f"/patients/{MARIA_MRN}/"
    assert '[storyboard-code-status] definition "Comfort Care"' in step["observation"]["axtree"]
    assert _all_exited(killed)
    assert Episode.objects.get(pk=episode_id).status == Episode.Status.RUNNING


def test_it_ends_the_episode_as_errored_when_no_new_browser_starts(alice_api, monkeypatch):
    episode_id = browser_reset(alice_api)["episode_id"]
    killed = _kill_chromium(episode_id)

    def no_browser():
        raise OSError("chromedriver could not be started")

    monkeypatch.setattr(drivers, "browser_start", no_browser)
    step = browser_step(alice_api, episode_id, type="click", bid=f"patient-link-{MARIA_MRN}")

    assert "a new one could not be started: OSError: chromedriver could not be started" in (
        step["observation"]["last_action_error"])
    assert step["truncated"] and step["info"]["status"] == "errored"
    episode = Episode.objects.get(pk=episode_id)
    assert episode.status == Episode.Status.ERRORED and "could not be started" in episode.error
    assert browser_sessions.session_get(episode_id) is None
    assert _all_exited(killed) and browser_processes() == []
    again = alice_api.post(f"/api/v1/episodes/{episode_id}/step", {"action": {"type": "noop"}}, format="json")
    assert again.status_code == 409


def test_it_quits_the_browser_and_leaves_no_process_when_the_episode_closes(alice_api):
    episode_id = browser_reset(alice_api)["episode_id"]
    processes = browser_sessions.session_get(episode_id).browser.processes
    assert len(processes) >= 3  # chromedriver, the browser, its helpers

    closed = alice_api.delete(f"/api/v1/episodes/{episode_id}")

    assert closed.json()["status"] == "closed"
    assert browser_sessions.session_get(episode_id) is None
    assert _all_exited(processes)


def test_it_quits_the_browser_of_an_episode_closed_by_another_process(alice_api):
    episode_id = browser_reset(alice_api)["episode_id"]
    processes = browser_sessions.session_get(episode_id).browser.processes
    # What the reaper does in a Celery worker: it drops the database and marks the episode closed.
    episode = Episode.objects.get(pk=episode_id)
    snapshots.copy_drop(snapshots.DatabaseCopyInfo(episode.database_alias, episode.database_name, snapshots.vendor()))
    Episode.objects.filter(pk=episode_id).update(released_at=timezone.now(), status=Episode.Status.CLOSED)

    assert browser_sessions.sessions_sweep() == 1

    assert browser_sessions.session_get(episode_id) is None and _all_exited(processes)
