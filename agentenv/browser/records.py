"""Where each browser-mode episode's browser runs, recorded in the database (EpisodeBrowser), so that web
processes need no sticky routing.

On a Selenium Grid a WebDriver session is reachable from anywhere by its id: any process re-attaches to it. A
local Chromium is reachable only from the process that started it (its chromedriver is that process's child):
another process answers with an error naming the owner, unless the owner is gone (same host, no such process),
in which case it takes the episode over with a new browser at the last page.
"""

import os
import socket

import psutil

from agentenv.errors import BrowserElsewhere
from agentenv.models import EpisodeBrowser


def this_process() -> str:
    """host:pid of this process, as recorded for the browsers it starts."""
    return f"{socket.gethostname()}:{os.getpid()}"


def record_save(*, episode_id, driver_session_id: str, grid_url: str, login_session_key: str) -> None:
    EpisodeBrowser.objects.update_or_create(episode_id=episode_id, defaults={
        "driver_session_id": driver_session_id, "grid_url": grid_url, "owner": this_process(),
        "login_session_key": login_session_key,
    })


def record_of(episode_id) -> EpisodeBrowser | None:
    return EpisodeBrowser.objects.filter(episode_id=episode_id).first()


def owner_alive_elsewhere(record: EpisodeBrowser) -> bool:
    """Whether another live process (here, or on another host: it cannot be checked from here) owns the browser."""
    if record.owner == this_process():
        return False
    host, _, pid = record.owner.rpartition(":")
    if host != socket.gethostname():
        return True
    return pid.isdigit() and psutil.pid_exists(int(pid))


def refuse_local_elsewhere(record: EpisodeBrowser) -> None:
    """Raise BrowserElsewhere if the episode's local browser belongs to another live process."""
    if not record.grid_url and owner_alive_elsewhere(record):
        raise BrowserElsewhere(
            f"Episode {record.episode_id} runs its browser (local Chromium) in server process {record.owner}; "
            "send its steps to that process (sticky routing), or run the browsers on a Selenium Grid "
            "(EHRGYM_SELENIUM_REMOTE_URL) so that any server process can step any browser episode.")
