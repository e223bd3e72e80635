"""A local Chromium belongs to the server process that started it (issue 19): another live process refuses the
episode's steps with a 409 naming the owner; a process that finds the owner gone takes the episode over."""

import os
import socket

import pytest

from agentenv.browser import drivers
from agentenv.browser import sessions as browser_sessions
from agentenv.models import EpisodeBrowser
from agentenv.tests.browser_support import BROWSER_DBS, RESET, browser_reset, browser_step, ehr  # noqa: F401
from agentenv.tests.conftest import MARIA_MRN

pytestmark = [pytest.mark.browser, BROWSER_DBS, pytest.mark.usefixtures("ehr")]


def forget_and_hand_to(episode_id: str, owner: str) -> None:
    """As seen from another process: it drives no browser for the episode, and the record names `owner`.
    This process's browser is quit (by `ehr` at the end) since it is out of the session table."""
    with browser_sessions._sessions_lock:
        session = browser_sessions._sessions.pop(episode_id)
    drivers.browser_quit(session.browser)
    EpisodeBrowser.objects.filter(episode_id=episode_id).update(owner=owner)


def test_another_live_process_answers_409_naming_the_owner(alice_api):
    episode_id = browser_reset(alice_api)["episode_id"]
    record = EpisodeBrowser.objects.get(episode_id=episode_id)
    assert record.grid_url == "" and record.owner.endswith(f":{os.getpid()}")
    forget_and_hand_to(episode_id, "ehr-web-2:4242")

    refused = alice_api.post(f"{RESET}/{episode_id}/step", {"action": {"type": "noop"}}, format="json")
    assert refused.status_code == 409
    detail = refused.json()["detail"]
    assert "server process ehr-web-2:4242" in detail and "EHRGYM_SELENIUM_REMOTE_URL" in detail
    # Nothing was taken: the episode is where it was.
    assert alice_api.get(f"{RESET}/{episode_id}").json()["step_count"] == 0


def test_a_process_on_the_owners_host_takes_over_when_the_owner_is_gone(alice_api):
    episode_id = browser_reset(alice_api)["episode_id"]
    forget_and_hand_to(episode_id, f"{socket.gethostname()}:{2**22 + 7}")  # above pid_max's default: no such process

    taken = browser_step(alice_api, episode_id, type="click", bid=f"patient-link-{MARIA_MRN}")
    assert taken["info"]["events"][0]["event"] == "browser_restarted"
    assert taken["observation"]["route"] == f"/patients/{MARIA_MRN}/"
    assert EpisodeBrowser.objects.get(episode_id=episode_id).owner.endswith(f":{os.getpid()}")
