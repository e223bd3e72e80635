"""EHRGymClient against a live server: typed results, the episode's life, and every API error."""

import asyncio
import threading
import time
import uuid

import pytest
from ehrgym_client import (
    AsyncEHRGymClient,
    BadRequest,
    Conflict,
    ConnectionFailed,
    EHRGymClient,
    NoEpisode,
    NotFound,
    Unauthorized,
    Unavailable,
)
from ehrgym_client.client import _reset_body
from ehrgym_client.types import EpisodeState, Observation, StepResult, Task, Trajectory

from agentenv import errors
from agentenv.models import Episode

from .conftest import LATEST_RESULT


def test_it_lists_published_tasks_with_filters(server):
    with EHRGymClient(server.url, server.token) as client:
        every = client.tasks()
        skills = client.tasks(tier="skill")
        lab = client.tasks(domain="laboratory-medicine")

    assert len(every) >= 60 and all(isinstance(task, Task) for task in every)
    assert skills and {task.tier for task in skills} == {"skill"} and len(skills) < len(every)
    assert LATEST_RESULT in {task.task_id for task in lab} and {task.domain for task in lab} == {"laboratory-medicine"}


def test_it_runs_a_task_episode_with_typed_results_and_closes_it_on_exit(server):
    with EHRGymClient(server.url, server.token) as client:
        first = client.reset(task_id=LATEST_RESULT, seed=3)
        assert isinstance(first.observation, Observation) and first.observation.step == 0
        assert first.observation.goal and first.info["task_id"] == LATEST_RESULT

        step = client.step({"type": "search_patients", "query": "a"})
        assert isinstance(step, StepResult) and step.observation.step == 1 and not step.done
        state = client.state()
        assert isinstance(state, EpisodeState) and (state.status, state.step_count) == ("running", 1)
        assert state.episode_id == first.episode_id == client.episode_id

        done = client.step({"type": "answer", "answer": "I do not know"})
        assert done.terminated and done.done and not done.truncated
        trajectory = client.trajectory()
        assert isinstance(trajectory, Trajectory) and [s.index for s in trajectory.steps] == [1, 2]
        assert trajectory.steps[1].action == {"type": "answer", "answer": "I do not know"}
        assert trajectory.cumulative_reward == pytest.approx(step.reward + done.reward)
        episode_id = first.episode_id

    episode = Episode.objects.get(pk=episode_id)
    assert episode.released_at is not None  # leaving the block closed it: its database is gone


def test_the_same_seed_gives_the_same_instance(server):
    with EHRGymClient(server.url, server.token) as client:
        one = client.reset(task_id=LATEST_RESULT, seed=11).observation.goal
        two = client.reset(task_id=LATEST_RESULT, seed=11).observation.goal
        previous = client.episode_id
    assert one == two
    # reset closed the episode before it.
    assert Episode.objects.exclude(pk=previous).get(owner__username="alice").released_at is not None


@pytest.mark.parametrize("body, message", [
    ({"task_id": "ehr/no-such.task-v1", "seed": 1}, "task_id:"),
    ({"patient_mrn": "E404", "instruction": "Review the chart."}, "No patient with MRN 'E404'"),
    ({"task_id": LATEST_RESULT, "seed": -1}, "seed: Input should be greater than or equal to 0"),
])
def test_a_refused_reset_raises_bad_request_with_the_servers_message(server, body, message):
    with EHRGymClient(server.url, server.token) as client, pytest.raises(BadRequest) as raised:
        client.reset(**body)
    assert raised.value.status == 400 and message in str(raised.value)


def test_a_wrong_token_raises_unauthorized(server):
    with EHRGymClient(server.url, "not-a-token") as client, pytest.raises(Unauthorized) as raised:
        client.tasks()
    assert raised.value.status == 401 and str(raised.value) == "Invalid token."


def test_an_unknown_episode_raises_not_found(server):
    with EHRGymClient(server.url, server.token) as client:
        client.episode_id = str(uuid.uuid4())
        with pytest.raises(NotFound) as raised:
            client.state()
    assert raised.value.status == 404 and str(raised.value) == "No such episode."


def test_a_step_after_the_end_raises_conflict(server):
    with EHRGymClient(server.url, server.token) as client:
        client.reset(task_id=LATEST_RESULT, seed=2)
        client.step({"type": "finish"})
        with pytest.raises(Conflict) as raised:
            client.step({"type": "finish"})
    assert raised.value.status == 409 and "is terminated" in str(raised.value)


def test_no_free_slot_raises_unavailable_with_the_servers_hint(server, settings):
    settings.EHRGYM_MAX_EPISODES = 1
    with EHRGymClient(server.url, server.token) as holder, EHRGymClient(server.url, server.token, retries=0) as late:
        holder.reset(task_id=LATEST_RESULT, seed=1)
        with pytest.raises(Unavailable) as raised:
            late.reset(task_id=LATEST_RESULT, seed=2)
    assert raised.value.status == 503 and "episode slots" in str(raised.value)
    assert raised.value.retry_after == errors.CapacityError.retry_after_s


def test_it_retries_a_503_after_the_servers_retry_after(server, settings, monkeypatch):
    settings.EHRGYM_MAX_EPISODES = 1
    monkeypatch.setattr(errors.CapacityError, "retry_after_s", 1)
    with EHRGymClient(server.url, server.token) as holder, EHRGymClient(server.url, server.token, retries=2) as late:
        holder.reset(task_id=LATEST_RESULT, seed=1)
        releaser = threading.Timer(0.3, holder.close)  # the slot frees up while the client waits
        releaser.start()
        started = time.monotonic()
        first = late.reset(task_id=LATEST_RESULT, seed=2)
        waited = time.monotonic() - started
        releaser.join()
    assert first.observation.step == 0
    assert waited >= 1.0  # it waited the Retry-After (1 s) before asking again, not the 0.3 s it took


def test_a_step_before_reset_raises_no_episode(server):
    with EHRGymClient(server.url, server.token) as client, pytest.raises(NoEpisode, match="call reset first"):
        client.step({"type": "finish"})


def test_an_unreachable_server_raises_connection_failed():
    with EHRGymClient("http://127.0.0.1:9", "token", timeout=2) as client, pytest.raises(ConnectionFailed) as raised:
        client.tasks()
    assert "Cannot reach EHRGym at http://127.0.0.1:9" in str(raised.value)


def test_it_leaves_split_out_of_the_reset_body_unless_given():
    common = dict(task_id=LATEST_RESULT, seed=4, mode=None, patient_mrn=None, instruction=None, step_limit=None,
                  screenshot=False, set_of_marks=False)
    assert _reset_body(**common, split=None) == {"task_id": LATEST_RESULT, "seed": 4}
    assert _reset_body(**common, split="heldout")["split"] == "heldout"


def test_the_async_client_runs_an_episode_and_raises_the_same_errors(server):
    async def run():
        async with AsyncEHRGymClient(server.url, server.token) as client:
            first = await client.reset(task_id=LATEST_RESULT, seed=5)
            step = await client.step({"type": "finish"})
            with pytest.raises(Conflict):
                await client.step({"type": "finish"})
            state = await client.close()
            client.episode_id = str(uuid.uuid4())
            with pytest.raises(NotFound):
                await client.trajectory()
            return first, step, state

    first, step, state = asyncio.run(run())
    assert step.terminated and state.status == "terminated" and state.episode_id == first.episode_id


def test_closing_returns_the_final_state_once(server):
    with EHRGymClient(server.url, server.token) as client:
        client.reset(task_id=LATEST_RESULT, seed=6)
        client.step({"type": "finish"})
        final = client.close()
        again = client.close()
    assert final.status == "terminated" and final.success is False and again is None
    assert Episode.objects.get(pk=final.episode_id).released_at is not None
