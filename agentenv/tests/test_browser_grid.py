"""Browser mode on a real Selenium Grid (EHRGYM_SELENIUM_REMOTE_URL): the Selenium server runs this machine's
Chromium, and the episode's WebDriver session, recorded in the database, is re-attached by a process that did
not start it (issue 19)."""


import pytest

from agentenv.browser import sessions as browser_sessions
from agentenv.close import episode_close
from agentenv.models import Episode, EpisodeBrowser
from agentenv.tests.browser_support import BROWSER_DBS, RESET, browser_reset, browser_step, ehr  # noqa: F401
from agentenv.tests.conftest import JAMES_MRN, MARIA_MRN
from agentenv.tests.selenium_grid import grid_sessions, grid_settles, selenium_grid  # noqa: F401

pytestmark = [pytest.mark.browser, BROWSER_DBS]


@pytest.fixture
def on_grid(settings, selenium_grid, ehr):  # noqa: F811
    settings.EHRGYM_SELENIUM_REMOTE_URL = selenium_grid
    before = set(grid_sessions(selenium_grid))
    yield selenium_grid
    # Closing the episodes the test left open quits their browsers: none may be left on the grid.
    for episode in Episode.objects.filter(released_at__isnull=True):
        episode_close(episode=episode)
    assert grid_settles(selenium_grid, lambda sessions: sessions <= before), "a browser was left on the grid"


def test_browser_episodes_run_on_the_grid_and_their_session_is_recorded(alice_api, on_grid):
    body = browser_reset(alice_api, screenshot=True)
    episode_id = body["episode_id"]
    assert f"[patient-link-{MARIA_MRN}]" in body["observation"]["axtree"] and body["observation"]["screenshot"]

    record = EpisodeBrowser.objects.get(episode_id=episode_id)
    assert record.grid_url == on_grid and record.driver_session_id in grid_sessions(on_grid)

    chart = browser_step(alice_api, episode_id, type="click", bid=f"patient-link-{MARIA_MRN}")
    assert chart["observation"]["route"] == f"/patients/{MARIA_MRN}/"
    assert chart["observation"]["patient_mrn"] == MARIA_MRN
    results = browser_step(alice_api, episode_id, type="click", bid="chart-tab-results")
    assert '[results-analyte-4548-4] link "Hemoglobin A1c trend"' in results["observation"]["axtree"]

    assert alice_api.delete(f"{RESET}/{episode_id}").status_code == 200
    assert grid_settles(on_grid, lambda sessions: record.driver_session_id not in sessions)


def test_a_process_that_did_not_start_the_browser_steps_on_in_the_same_grid_session(alice_api, on_grid):
    episode_id = browser_reset(alice_api)["episode_id"]
    typed = browser_step(alice_api, episode_id, type="fill", bid="patient-list-search", value="Okafor")
    assert 'value="Okafor"' in typed["observation"]["axtree"]
    session_id = EpisodeBrowser.objects.get(episode_id=episode_id).driver_session_id

    # This process forgets the browser, as a web process that never served the episode knows nothing of it.
    with browser_sessions._sessions_lock:
        browser_sessions._sessions.clear()

    # It re-attaches to the recorded session: the text typed before is still in the box (a new browser would have
    # opened the page afresh, and said so in info.events).
    searched = browser_step(alice_api, episode_id, type="press", key_comb="Enter")
    assert "events" not in searched["info"]
    assert searched["observation"]["route"].startswith("/patients/?q=Okafor&")
    assert f"patient-link-{JAMES_MRN}" in searched["observation"]["axtree"]
    assert EpisodeBrowser.objects.get(episode_id=episode_id).driver_session_id == session_id


def test_a_grid_session_that_died_is_replaced_and_recorded_anew(alice_api, on_grid):
    episode_id = browser_reset(alice_api)["episode_id"]
    session = browser_sessions.session_get(episode_id)
    old = session.driver.session_id
    session.driver.quit()  # the grid ends the session (a node restart, its idle timeout)

    step = browser_step(alice_api, episode_id, type="click", bid=f"patient-link-{MARIA_MRN}")
    assert step["info"]["events"][0]["event"] == "browser_restarted"
    assert step["observation"]["route"] == f"/patients/{MARIA_MRN}/"
    record = EpisodeBrowser.objects.get(episode_id=episode_id)
    assert record.driver_session_id != old and record.driver_session_id in grid_sessions(on_grid)
    assert Episode.objects.get(pk=episode_id).status == Episode.Status.RUNNING
