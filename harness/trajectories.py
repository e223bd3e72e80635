"""Trajectories as JSON: one object per episode (its metadata, its result, and its steps in order).

The JSONL export (per run: one line per episode; per episode: one line) and the episode
page read the same shape, from the environment's stored steps. The SFT export writes each
episode as a tool-calling conversation instead, in TRL's conversational format (`messages`
with `tool_calls`, and `tools`): the text a model meets in the TRL tool environment
(ehrgym_client.text), so a model fine-tuned on it is at home there.
"""

import json
from collections.abc import Iterable, Iterator

from agentenv.models import Episode, Step
from harness.models import Evaluation, EvaluationEpisode
from harness.selectors import evaluation_episode_of


def step_json(step: Step) -> dict:
    return {
        "index": step.index, "action": step.action, "reward": step.reward, "error": step.error or None,
        "route": (step.observation or {}).get("route"), "terminated": step.terminated, "truncated": step.truncated,
        "observation": step.observation, "rubric": (step.info or {}).get("rubric"),
        "started_at": step.started_at.isoformat(), "duration_ms": round(step.duration_ms, 2),
    }


def episode_json(episode: Episode, result: EvaluationEpisode | None = None) -> dict:
    data = {
        "episode_id": str(episode.pk), "task_id": episode.task_id, "seed": episode.seed,
        "patient_mrn": episode.patient_mrn, "instruction": episode.instruction, "mode": episode.mode,
        "status": episode.status, "success": episode.success, "score": episode.score,
        "reward_sum": episode.cumulative_reward, "steps_taken": episode.step_count, "answer": episode.answer or None,
        "score_breakdown": episode.score_breakdown or None,
        "started_at": episode.started_at.isoformat() if episode.started_at else None,
        "ended_at": episode.ended_at.isoformat() if episode.ended_at else None,
        "steps": [step_json(step) for step in episode.steps.order_by("index")],
    }
    if result is not None:
        data["evaluation"] = {"id": result.evaluation_id, "agent": result.evaluation.agent, "index": result.index,
                              "tier": result.tier, "domain": result.domain, "failure": result.failure or None,
                              "failure_detail": result.failure_detail or None,
                              "invalid_actions": result.invalid_actions}
    return data


def evaluation_jsonl(evaluation: Evaluation) -> Iterator[str]:
    """One line per episode of the run, in plan order (episodes that never started are left out)."""
    results = evaluation.results.select_related("episode", "evaluation").filter(episode__isnull=False)
    for result in results.order_by("index").iterator(chunk_size=50):
        yield json.dumps(episode_json(result.episode, result)) + "\n"


def episode_jsonl(episode: Episode) -> Iterator[str]:
    result = evaluation_episode_of(episode)
    yield json.dumps(episode_json(episode, result)) + "\n"


def episode_sft_json(episode: Episode) -> dict:
    """One episode as a TRL conversational tool-calling example: `messages`, `tools`, and where it came from."""
    # Imported here: the client package registers its Gymnasium environment on import, which the
    # EHR's pages have no use for.
    from ehrgym_client.text import sft_messages
    from ehrgym_client.tool_env import tool_result_chars, tool_schemas

    steps = [{"action": step.action, "observation": step.observation, "terminated": step.terminated,
              "truncated": step.truncated} for step in episode.steps.order_by("index")]
    return {
        "messages": sft_messages(goal=episode.instruction, step_limit=episode.step_limit, steps=steps,
                                 result_chars=tool_result_chars()),
        "tools": tool_schemas(),
        "task_id": episode.task_id, "seed": episode.seed, "episode_id": str(episode.pk),
        "success": bool(episode.success), "reward_sum": episode.cumulative_reward,
    }


def sft_jsonl(episodes: Iterable[Episode], *, successful_only: bool = False,
              skipped: list | None = None) -> Iterator[str]:
    """One line per episode that fits a tool-calling conversation: API mode (semantic actions), with
    steps, and successful when asked. Each left-out episode is appended to `skipped` with the reason."""
    for episode in episodes:
        reason = ("browser mode" if episode.mode == Episode.Mode.BROWSER else
                  "no steps" if not episode.step_count else
                  "not successful" if successful_only and not episode.success else "")
        if reason:
            if skipped is not None:
                skipped.append((str(episode.pk), reason))
            continue
        yield json.dumps(episode_sft_json(episode)) + "\n"


def evaluation_episodes(evaluation: Evaluation) -> Iterator[Episode]:
    """The run's episodes in plan order (those that never started are left out)."""
    results = evaluation.results.select_related("episode").filter(episode__isnull=False).order_by("index")
    for result in results.iterator(chunk_size=50):
        yield result.episode
