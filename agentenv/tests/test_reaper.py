"""The reaper thread of the embedded default (agentenv/reaper.py): without Redis there is no Celery beat, and
idle episodes used to keep their databases and slots forever."""

import threading
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from agentenv import reaper
from agentenv.models import Episode
from agentenv.tests.conftest import EPISODE_DBS, start

pytestmark = [EPISODE_DBS, pytest.mark.usefixtures("golden")]


def test_the_thread_closes_an_idle_episode_on_its_own(alice):
    idle, busy = start(alice), start(alice)
    Episode.objects.filter(pk=idle.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    stop = threading.Event()

    thread = reaper.reaper_start(interval_s=0.2, stop=stop)
    try:
        deadline = time.monotonic() + 20
        while Episode.objects.get(pk=idle.pk).released_at is None and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        stop.set()
        thread.join(5)

    assert Episode.objects.get(pk=idle.pk).status == Episode.Status.CLOSED
    assert Episode.objects.get(pk=busy.pk).status == Episode.Status.RUNNING
    assert not thread.is_alive()


def test_a_failing_pass_does_not_end_the_thread(alice, monkeypatch):
    passes = []

    def flaky():
        passes.append(time.monotonic())
        if len(passes) == 1:
            raise RuntimeError("database went away")
        return 0

    monkeypatch.setattr(reaper, "reap_once", flaky)
    stop = threading.Event()
    thread = reaper.reaper_start(interval_s=0.05, stop=stop)
    deadline = time.monotonic() + 10
    while len(passes) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    stop.set()
    thread.join(5)
    assert len(passes) >= 3
