"""Starting an episode: take a slot, claim a copy of the golden database (from the warm pool or a cold copy),
check the task's patient is in it, and, in browser mode, open the episode's own headless Chromium."""

import logging
import secrets
import time
from dataclasses import dataclass, replace
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from agentenv import snapshots
from agentenv.browser import sessions as browser_sessions
from agentenv.capacity import capacity_check
from agentenv.close import episodes_reap
from agentenv.errors import EnvironmentUnavailable
from agentenv.models import Episode
from agentenv.observations import observation_of
from agentenv.pool import copy_info, pool_claim, schedule_pool_refill
from agentenv.routing import bind_episode
from agentenv.task_source import RenderedTask, TaskPlan, TaskUnavailable, task_source
from clinical.models import Patient

logger = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class ResetParameters:
    """What a reset asks for: a task's instance (task_id, seed) or a free goal (patient_mrn, instruction), and the
    episode's options. agentenv.wire.ResetRequest carries the client's part of it over every protocol."""

    task_id: str = ""
    patient_mrn: str = ""
    instruction: str = ""
    seed: int | None = None
    split: str = ""
    step_limit: int | None = None
    mode: str = Episode.Mode.API
    screenshot: bool = False
    set_of_marks: bool = False
    channel: str = Episode.Channel.REST
    client_episode_id: str = ""
    allow_draft_task: bool = False


def episode_reset(*, owner, parameters: ResetParameters) -> Episode:
    """Start an episode on its own copy of the golden database; in browser mode, with its
    own browser open at the start page, logged in as `owner`.

    With a `task_id` the seed picks the task's instance (its patient, or one of
    `patient_mrn`'s instances, or one of a `split`'s) and the instruction is rendered
    from the episode's copy of the chart; without one, the patient and the instruction
    are given.

    Raises CapacityError when every slot is taken, ValidationError when the task or the
    patient is unknown or an option does not fit the mode, EnvironmentUnavailable
    when no copy (or no browser) can be made.
    """
    started = time.perf_counter()
    # Expired episodes give their slots back before this reset counts them, with or without a reaper running.
    if Episode.objects.filter(released_at__isnull=True, expires_at__lt=timezone.now()).exists():
        episodes_reap()
    parameters, plan = _parameters_resolved(parameters)
    episode = _episode_create(owner=owner, parameters=parameters)
    row = pool_claim(episode=episode)
    info = copy_info(row) if row is not None else _cold_copy(episode)
    episode.database_alias, episode.database_name, episode.from_pool = info.alias, info.name, row is not None
    try:
        instance = _chart_check(episode=episode, info=info, plan=plan)
    except ValidationError:
        raise  # the client's mistake: the check dropped the copy and deleted the episode
    except Exception as error:  # e.g. no connection to the copy: neither the slot nor the copy may stay taken
        _episode_failed(episode, info, f"{type(error).__name__}: {error}")
        raise
    episode.status = Episode.Status.RUNNING
    episode.started_at = timezone.now()
    episode.route = reverse("clinical:patient_list")
    saved = ["status", "started_at", "route", "database_alias", "database_name", "from_pool"]
    if instance is not None:
        episode.task_id, episode.task_instance, episode.instruction = (
            instance.task_id, instance.as_json(), instance.instruction
        )
        saved += ["task_id", "task_instance", "instruction"]
    # Saved before the browser opens: its first request is bound to the episode by this row.
    episode.save(update_fields=saved)
    if episode.mode == Episode.Mode.BROWSER:
        _browser_open(episode, info)
    episode.reset_ms = (time.perf_counter() - started) * 1000
    Episode.objects.filter(pk=episode.pk).update(reset_ms=episode.reset_ms)
    schedule_pool_refill()
    return episode


def _parameters_resolved(parameters: ResetParameters) -> tuple[ResetParameters, TaskPlan | None]:
    """The parameters checked and completed: with a task, its instance's patient, seed and step limit (and its
    title, which stands in until the instruction is rendered from the episode's own chart). Raises ValidationError."""
    plan = None
    if parameters.task_id:
        if (parameters.instruction or "").strip():
            raise ValidationError({"instruction": "A task renders its own instruction: give task_id or instruction."})
        plan = task_source().plan(
            task_id=parameters.task_id, seed=parameters.seed, patient_mrn=(parameters.patient_mrn or "").strip(),
            mode=parameters.mode, split=parameters.split, allow_draft=parameters.allow_draft_task,
        )
        parameters = replace(parameters, patient_mrn=plan.patient_mrn, seed=plan.seed, instruction=plan.title,
                             step_limit=parameters.step_limit or plan.step_limit)
    elif parameters.split:
        raise ValidationError({"split": "A split draws a task's instances: give task_id too."})
    parameters = replace(parameters, patient_mrn=(parameters.patient_mrn or "").strip(),
                         instruction=(parameters.instruction or "").strip())
    if not parameters.patient_mrn:
        raise ValidationError({"patient_mrn": "This field is required."})
    if not parameters.instruction:
        raise ValidationError({"instruction": "This field is required."})
    if parameters.mode not in Episode.Mode.values:
        raise ValidationError({"mode": f"Must be one of {', '.join(Episode.Mode.values)}."})
    if parameters.mode != Episode.Mode.BROWSER and (parameters.screenshot or parameters.set_of_marks):
        raise ValidationError({"screenshot": 'Screenshots need a browser: reset with "mode": "browser".'})
    if parameters.set_of_marks and not parameters.screenshot:
        raise ValidationError(
            {"set_of_marks": 'Set-of-marks boxes are drawn on the screenshot: add "screenshot": true.'})
    return parameters, plan


@transaction.atomic(using="default")
def _episode_create(*, owner, parameters: ResetParameters) -> Episode:
    capacity_check(mode=parameters.mode)
    return Episode.objects.create(
        owner=owner,
        patient_mrn=parameters.patient_mrn,
        instruction=parameters.instruction,
        seed=parameters.seed if parameters.seed is not None else secrets.randbits(31),
        step_limit=parameters.step_limit or settings.EHRGYM_DEFAULT_STEP_LIMIT,
        mode=parameters.mode,
        screenshot=parameters.screenshot,
        set_of_marks=parameters.set_of_marks,
        channel=parameters.channel,
        client_episode_id=parameters.client_episode_id,
        expires_at=timezone.now() + timedelta(seconds=settings.EHRGYM_EPISODE_TTL_SECONDS),
    )


def _cold_copy(episode: Episode) -> snapshots.DatabaseCopyInfo:
    """A new copy of the golden database for the episode, when the pool has none ready."""
    info = snapshots.new_copy_info()
    # Named on the episode before it exists, so a copy is never left that nothing refers to (the reaper drops
    # those: a server killed mid-reset leaves them).
    Episode.objects.filter(pk=episode.pk).update(database_alias=info.alias, database_name=info.name)
    try:
        snapshots.copy_create(info)
    except Exception as error:
        logger.exception("could not copy the golden database for episode %s", episode.id)
        _episode_failed(episode, info, f"{type(error).__name__}: {error}")
        raise EnvironmentUnavailable("The episode's database could not be prepared.") from error
    return info


def _episode_failed(episode: Episode, info: snapshots.DatabaseCopyInfo, error: str) -> None:
    """End an episode whose reset failed after it got its copy: errored and released first (its slot is free at
    once), then its copy dropped. A drop that fails too (the database server full, say) is the reaper's: no
    unreleased episode holds the copy any more."""
    now = timezone.now()
    Episode.objects.filter(pk=episode.pk).update(status=Episode.Status.ERRORED, error=error, ended_at=now,
                                                 released_at=now)
    try:
        snapshots.copy_drop(info)
    except Exception:
        logger.exception("episode %s: its copy %s could not be dropped; the reaper will", episode.id, info.name)


def _chart_check(*, episode: Episode, info: snapshots.DatabaseCopyInfo, plan: TaskPlan | None) -> RenderedTask | None:
    """The task's instance as the episode's copy of the chart holds it (None without a task). Raises
    ValidationError when the patient is not in the chart or the chart cannot support the instance."""
    instance, problem = None, ""
    with bind_episode(episode):
        found = Patient.objects.filter(mrn=episode.patient_mrn).exists()
        if found and plan is not None:
            try:
                instance = task_source().render(plan=plan)
            except TaskUnavailable as error:
                problem = str(error)
    if not found or problem:
        snapshots.copy_drop(info)
        # A mistyped MRN is the client's mistake: no trace of an episode that never ran.
        episode.delete()
        if problem:
            raise ValidationError({"task_id": problem})
        raise ValidationError({"patient_mrn": f"No patient with MRN {episode.patient_mrn!r} in the golden database."})
    return instance


def _browser_open(episode: Episode, info: snapshots.DatabaseCopyInfo) -> None:
    try:
        browser_sessions.session_open(episode=episode)
    except browser_sessions.BrowserUnavailable as error:
        logger.error("episode %s: %s", episode.id, error)
        _episode_failed(episode, info, str(error))
        raise EnvironmentUnavailable(f"The episode's browser could not be started: {error}") from error


def episode_observation(*, episode: Episode) -> dict:
    """The observation the agent last received, as it stands (what reset returns).

    A browser-mode episode's page fields come from its browser session in this process;
    they are null when this process holds no browser for it (the next step starts one).
    """
    if episode.mode != Episode.Mode.BROWSER:
        return observation_of(episode)
    session = browser_sessions.session_get(episode.id)
    page = session.last_observation if session is not None and session.last_observation else None
    return observation_of(episode, browser=page["fields"] if page else {})


def episode_reset_timings(*, episode: Episode) -> dict:
    """Milliseconds of the reset and, in browser mode, of reading the first page."""
    timings = {"reset": round(episode.reset_ms or 0.0, 2)}
    session = browser_sessions.session_get(episode.id) if episode.mode == Episode.Mode.BROWSER else None
    if session is not None and session.last_observation:
        timings.update(session.last_observation["timings"])
    return timings
