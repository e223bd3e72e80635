"""Evaluation runs: an agent on a seeded sample of task instances, in parallel, with a report.

`evaluation_create` fixes the plan (which task and instance seed each episode index runs:
the published tasks matching the filters, shuffled by the run's seed and taken in turn,
so N episodes spread over the tasks); `evaluation_episode_run` runs one index through the
real environment (reset, the agent's actions through the step path, close) and records
an EvaluationEpisode; `evaluation_finish` totals the run and writes its report. The
command runs the indexes in worker threads or as Celery tasks: an episode's result
depends only on the plan, the agent and the index, never on which worker ran it.
"""

import logging
import random
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed

from django.contrib.auth import get_user_model
from django.db import IntegrityError, connections, transaction
from django.utils import timezone

from agentenv.close import episode_close
from agentenv.models import Episode
from agentenv.reset import ResetParameters, episode_observation, episode_reset
from harness.agents import Agent
from harness.instances import Instance
from harness.models import Evaluation, EvaluationEpisode, Task
from harness.runner import Driven, drive
from harness.selectors import (
    evaluation_episode_find,
    evaluation_episode_get,
    task_find,
    task_tiers_and_domains,
    tasks_published,
)

logger = logging.getLogger(__name__)

EVALUATOR_USERNAME = "evaluator"
# Browser-only tasks need a browser per episode and browser actions: the baselines act semantically.
SEMANTIC_SETS = (Task.ActionSet.SEMANTIC, Task.ActionSet.BOTH)


class EvaluationError(Exception):
    """The run cannot be planned (no task matches the filters)."""


def evaluator_user():
    """The user evaluation episodes run as (not a person: no usable password)."""
    user, created = get_user_model().objects.get_or_create(username=EVALUATOR_USERNAME)
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def evaluation_tasks(*, tier: str = "", domain: str = "", task_id: str = "") -> list[Task]:
    tasks = tasks_published(tier=tier, domain=domain).filter(allowed_actions__in=SEMANTIC_SETS)
    if task_id:
        tasks = tasks.filter(task_id=task_id)
    return list(tasks)


def evaluation_plan(*, tasks: list[Task], episodes: int, seed: int, split: str = "heldout") -> list[dict]:
    """Episode index → task and instance seed: every task in turn (shuffled), a fresh seed each, drawn in
    `split` (held-out by default: instances a training run on the train split never saw)."""
    rng = random.Random(seed)
    order = [task.task_id for task in tasks]
    rng.shuffle(order)
    plan = []
    for index in range(episodes):
        if index and index % len(order) == 0:
            rng.shuffle(order)
        plan.append({"task_id": order[index % len(order)], "seed": rng.randrange(2**31), "split": split})
    return plan


@transaction.atomic(using="default")
def evaluation_create(*, agent: str, episodes: int, seed: int, workers: int = 1, backend: str = "threads",
                      tier: str = "", domain: str = "", task_id: str = "", split: str = "heldout") -> Evaluation:
    tasks = evaluation_tasks(tier=tier, domain=domain, task_id=task_id)
    if not tasks:
        raise EvaluationError("No published task (with semantic actions) matches "
                              f"tier={tier or '*'} domain={domain or '*'} task={task_id or '*'}.")
    return Evaluation.objects.create(
        agent=agent, seed=seed, workers=workers, backend=backend, owner=evaluator_user(),
        filters={"tier": tier, "domain": domain, "task": task_id, "episodes": episodes, "split": split},
        plan=evaluation_plan(tasks=tasks, episodes=episodes, seed=seed, split=split), episodes_planned=episodes,
    )


def agent_seed(evaluation: Evaluation, index: int) -> int:
    """The agent's own randomness for one episode: fixed by the run's seed and the index."""
    return random.Random(f"{evaluation.seed}:{index}").randrange(2**31)


def _criterion_failure(breakdown: dict) -> tuple[str, str]:
    """The first critical constraint violated, else the first required goal that failed."""
    rows = breakdown.get("criteria") or []
    for row in rows:
        if row.get("constraint") and row.get("severity") == "critical" and not row.get("passed"):
            return f"critical: {row['kind']}", f"{row.get('label') or row['id']}: {row.get('detail') or ''}".strip()
    for row in rows:
        if row.get("required") and not row.get("constraint") and not row.get("passed"):
            return (f"criterion failed: {row['kind']}",
                    f"{row.get('label') or row['id']}: {row.get('detail') or ''}".strip(": "))
    return "", ""


def failure_reason(*, episode: Episode | None, driven: Driven | None, problem: str = "") -> tuple[str, str]:
    """A category for the report's chart and the detail behind it ("" when the episode succeeded)."""
    if episode is None:
        return "not started", problem
    if episode.success:
        return "", ""
    criterion, detail = _criterion_failure(episode.score_breakdown or {})
    if driven is not None and driven.policy_error:
        return "agent error", driven.policy_error
    if episode.status == Episode.Status.ERRORED:
        return "environment error", episode.error
    if episode.status == Episode.Status.TRUNCATED:
        return "step limit reached", detail or f"{episode.step_count} steps"
    if episode.status == Episode.Status.CLOSED:
        return "no terminal action", "the agent stopped without answer, finish or report_infeasible"
    if criterion:
        return criterion, detail
    return "not successful", f"score {episode.score}"


def evaluation_episode_run(*, evaluation: Evaluation, index: int, agent: Agent) -> EvaluationEpisode:
    """Run episode `index` of the plan with `agent` and record it; running an index twice is harmless."""
    existing = evaluation_episode_find(evaluation=evaluation, index=index)
    if existing is not None:
        return existing
    item = evaluation.plan[index]
    task = task_find(task_id=item["task_id"])
    started = time.perf_counter()
    episode, driven, problem = None, None, ""
    if hasattr(agent, "run"):  # an exploit runs its own episodes
        episode, problem = _exploit_episode(evaluation=evaluation, index=index, item=item, agent=agent)
    else:
        try:
            episode = episode_reset(owner=evaluation.owner, parameters=ResetParameters(
                task_id=item["task_id"], seed=item["seed"], split=item.get("split", "")))
        except Exception as error:  # the report shows an instance that could not start, the run goes on
            logger.warning("evaluation %s #%s: reset failed: %s", evaluation.pk, index, error)
            problem = f"{type(error).__name__}: {error}"
        if episode is not None:
            try:
                instance = Instance.from_json(episode.task_instance)
                observation = episode_observation(episode=episode)
                if hasattr(agent, "drive_episode"):  # another protocol than the actions (MedAgentBench's)
                    driven = agent.drive_episode(episode, instance, observation, seed=agent_seed(evaluation, index))
                else:
                    driven = drive(episode, agent.policy(instance, observation, seed=agent_seed(evaluation, index)))
            finally:
                episode = episode_close(episode=episode)
    category, detail = failure_reason(episode=episode, driven=driven, problem=problem)
    if problem.startswith(NOT_APPLICABLE):
        category, detail = "not applicable", problem
    try:
        return EvaluationEpisode.objects.create(
            evaluation=evaluation, index=index, episode=episode, task_id=item["task_id"],
            tier=task.tier if task else "", domain=task.domain if task else "", seed=item["seed"],
            patient_mrn=episode.patient_mrn if episode else "", success=bool(episode and episode.success),
            score=episode.score if episode else None, reward_sum=episode.cumulative_reward if episode else 0.0,
            steps=episode.step_count if episode else 0, invalid_actions=driven.invalid_actions if driven else 0,
            failure=category[:120], failure_detail=detail, duration_s=round(time.perf_counter() - started, 3),
            exploit=agent.exploit_for(index) if hasattr(agent, "exploit_for") else "",
        )
    except IntegrityError:  # a redelivered Celery task ran the same index: the first record stands
        return evaluation_episode_get(evaluation=evaluation, index=index)


NOT_APPLICABLE = "not applicable"


def _exploit_episode(*, evaluation: Evaluation, index: int, item: dict, agent) -> tuple[Episode | None, str]:
    """The episode an exploit agent's run ended on (its best), or why there is none."""
    name = agent.exploit_for(index)
    try:
        result = agent.run(owner=evaluation.owner, task_id=item["task_id"], seed=item["seed"],
                           split=item.get("split", ""), index=index)
    except Exception as error:  # the report shows an instance that could not run, the run goes on
        logger.warning("evaluation %s #%s: exploit %s failed: %s", evaluation.pk, index, name, error)
        return None, f"{type(error).__name__}: {error}"
    if result is None:
        return None, f"{NOT_APPLICABLE}: {name} has nothing to try on this instance"
    return Episode.objects.get(pk=result.episode_id), ""


def evaluation_missing_record(*, evaluation: Evaluation, reason: str) -> list[EvaluationEpisode]:
    """Record the plan's indexes no worker reported (a lost worker) as failed episodes."""
    done = set(evaluation.results.values_list("index", flat=True))
    tiers, domains = task_tiers_and_domains()
    return [
        EvaluationEpisode.objects.create(
            evaluation=evaluation, index=index, task_id=item["task_id"], tier=tiers.get(item["task_id"], ""),
            domain=domains.get(item["task_id"], ""), seed=item["seed"], failure="not run", failure_detail=reason,
        )
        for index, item in enumerate(evaluation.plan) if index not in done
    ]


def evaluation_finish(*, evaluation: Evaluation, out_dir, error: str = "") -> Evaluation:
    """Total the run, write its report (report.json, report.html) into `out_dir`, and close it."""
    from harness.evaluation_report import report_write  # the report module imports the plots

    results = list(evaluation.results.order_by("index"))
    evaluation.episodes_done = len(results)
    evaluation.successes = sum(1 for result in results if result.success)
    evaluation.success_rate = round(evaluation.successes / len(results), 4) if results else 0.0
    evaluation.mean_reward = round(sum(r.reward_sum for r in results) / len(results), 4) if results else 0.0
    evaluation.finished_at = timezone.now()
    evaluation.status = Evaluation.Status.FAILED if error else Evaluation.Status.FINISHED
    evaluation.error = error
    evaluation.report_path = str(report_write(evaluation=evaluation, results=results, out_dir=out_dir))
    evaluation.save(update_fields=["episodes_done", "successes", "success_rate", "mean_reward", "finished_at",
                                   "status", "error", "report_path"])
    return evaluation


OnResult = Callable[[EvaluationEpisode], None]


def evaluation_run_threads(*, evaluation: Evaluation, agent: Agent, workers: int, on_result: OnResult) -> None:
    """Run every index of the plan on `workers` threads (one: in this thread)."""
    evaluation.owner  # noqa: B018 (loaded once here, not concurrently by the threads that share the run)
    indexes = range(evaluation.episodes_planned)
    if workers <= 1:
        for index in indexes:
            on_result(evaluation_episode_run(evaluation=evaluation, index=index, agent=agent))
        return

    def one(index: int) -> EvaluationEpisode:
        try:
            return evaluation_episode_run(evaluation=evaluation, index=index, agent=agent)
        finally:
            # Django opens connections per thread; a pool thread's would outlive the run otherwise.
            connections.close_all()

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="evaluate") as pool:
        for future in as_completed([pool.submit(one, index) for index in indexes]):
            on_result(future.result())


def evaluation_run_celery(*, evaluation: Evaluation, on_result: OnResult, idle_timeout_s: float,
                          poll_s: float = 0.5) -> None:
    """Send every index of the plan to the Celery workers and wait for their records.

    Progress is read from the database (the records the workers write), so no result
    backend is needed. When nothing new arrives for `idle_timeout_s` the missing indexes
    are recorded as "not run" (a worker died or no worker listens on the queue).
    """
    from harness.tasks import evaluation_episode  # the task module imports this one

    for index in range(evaluation.episodes_planned):
        evaluation_episode.delay(evaluation.pk, index)
    seen: set[int] = set()
    last_progress = time.monotonic()
    while len(seen) < evaluation.episodes_planned:
        fresh = list(evaluation.results.exclude(index__in=seen).order_by("index"))
        for result in fresh:
            seen.add(result.index)
            on_result(result)
        if fresh:
            last_progress = time.monotonic()
        elif time.monotonic() - last_progress > idle_timeout_s:
            for result in evaluation_missing_record(
                evaluation=evaluation, reason=f"no worker reported it within {idle_timeout_s:.0f} s"
            ):
                seen.add(result.index)
                on_result(result)
        else:
            time.sleep(poll_s)
