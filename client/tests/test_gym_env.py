"""EHRGym-v0 against a live server: Gymnasium's own checker, determinism, and bad actions."""

import json

import ehrgym_client  # noqa: F401 (registers EHRGym-v0)
import gymnasium
import pytest
from ehrgym_client.gym_env import INVALID_ACTION_PENALTY
from gymnasium.utils.env_checker import check_env

from agentenv.models import Episode

from .conftest import LATEST_RESULT


@pytest.fixture
def make(server):
    made = []

    def make_env(**options):
        env = gymnasium.make("EHRGym-v0", base_url=server.url, token=server.token, task=LATEST_RESULT, **options)
        made.append(env)
        return env

    yield make_env
    for env in made:
        env.close()


def test_it_passes_gymnasiums_env_checker(make):
    env = make()
    check_env(env.unwrapped)


def test_the_same_seed_gives_the_same_episode(make):
    env = make()
    first, info = env.reset(seed=21)
    again, again_info = env.reset(seed=21)
    assert first == again and info["seed"] == again_info["seed"] == 21
    assert info["episode_id"] != again_info["episode_id"]
    assert first.startswith("Goal: ") and "Step 0 of " in first
    assert env.observation_space.contains(first)


def test_an_unparsable_action_is_an_error_observation_with_a_penalty(make):
    env = make()
    env.reset(seed=4)
    observation, reward, terminated, truncated, info = env.step("open the chart please")
    assert "Error: The action is not valid JSON" in observation and "Step 1 of " in observation
    assert (reward, terminated, truncated) == (-INVALID_ACTION_PENALTY, False, False)
    assert info == {"action_type": None, "error": info["error"]} and info["error"].startswith("The action is not")

    observation, reward, *_ = env.step('["finish"]')
    assert 'a JSON object with a string "type"' in observation and reward == -INVALID_ACTION_PENALTY
    # Refused by the server (a field it does not know): its own error and penalty.
    observation, reward, terminated, truncated, info = env.step(json.dumps({"type": "finish", "colour": "blue"}))
    assert "Extra inputs are not permitted" in info["error"] and reward == pytest.approx(-INVALID_ACTION_PENALTY)
    assert env.observation_space.contains(observation)


def test_refused_actions_count_against_the_step_limit(make):
    env = make()
    env.reset(seed=4, options={"step_limit": 3})
    steps = [env.step("nonsense") for _ in range(3)]
    assert [truncated for *_, truncated, _ in steps] == [False, False, True]
    assert "the episode has ended" in steps[-1][0]
    assert Episode.objects.get(pk=env.unwrapped.episode_id).released_at is not None


def test_an_episode_ends_with_a_terminal_action(make):
    env = make(render_mode="ansi")
    env.reset(seed=9)
    observation, reward, terminated, truncated, info = env.step('{"type": "answer", "answer": "no idea"}')
    assert terminated and not truncated and info == {"action_type": "answer", "error": None}
    assert observation.endswith("The episode has ended.") and env.render() == observation
