"""Episode lifecycle and the warm pool.

reset: claim a ready copy of the golden database from the pool (or make one), bind
it, check the task's patient is there, and start the episode. step: validate the
action, run it on the episode's database with the step number on audit events, and
record the step. close: drop the copy. The pool is refilled after each reset commits.
"""

import logging
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import timedelta

import pydantic
from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import connections, transaction
from django.db.models import Case, F, Value, When
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from agentenv import rewards, snapshots
from agentenv.actions import ActionContext, ActionError, handler_for, parse_action
from agentenv.models import DatabaseCopy, Episode, Step
from agentenv.observations import observation_of
from agentenv.routing import bind_episode
from clinical.audit import episode_step_context
from clinical.models import Patient

logger = logging.getLogger(__name__)

# Copies stuck in "creating" this long belong to a worker that died mid-copy.
STALE_COPY_AGE = timedelta(minutes=10)
# A constant key for PostgreSQL's advisory lock that serializes capacity checks.
CAPACITY_LOCK_KEY = 0x45485247  # "EHRG"


class CapacityError(Exception):
    """Every episode slot is taken; the client should retry later."""

    retry_after_s = 5


class EpisodeNotRunning(Exception):
    """A step on an episode that has ended (or another step got there first)."""


class EnvironmentUnavailable(Exception):
    """The episode's database could not be prepared (a server problem, not the client's)."""


# --- The warm pool -------------------------------------------------------------------


def _copy_info(row) -> snapshots.DatabaseCopyInfo:
    return snapshots.DatabaseCopyInfo(row.alias, row.name, row.vendor)


def _pool_rows():
    return DatabaseCopy.objects.filter(source=snapshots.golden_name(), vendor=snapshots.vendor())


def pool_refill(*, size: int | None = None) -> list[DatabaseCopy]:
    """Top the pool up to `size` (EHRGYM_POOL_SIZE) copies; returns the new ones."""
    target = settings.EHRGYM_POOL_SIZE if size is None else size
    made = []
    # Copies being created count, so two refills running at once do not overshoot.
    while _pool_rows().count() < target:
        info = snapshots.new_copy_info()
        row = DatabaseCopy.objects.create(
            alias=info.alias, name=info.name, vendor=info.vendor, source=snapshots.golden_name()
        )
        try:
            snapshots.copy_create(info)
        except Exception:
            DatabaseCopy.objects.filter(pk=row.pk).delete()
            snapshots.copy_drop(info)
            raise
        DatabaseCopy.objects.filter(pk=row.pk).update(status=DatabaseCopy.Status.READY)
        row.status = DatabaseCopy.Status.READY
        made.append(row)
    return made


def pool_claim() -> DatabaseCopy | None:
    """Take a ready copy out of the pool, or None if it is empty."""
    for row in _pool_rows().filter(status=DatabaseCopy.Status.READY)[:8]:
        # A conditional delete: of two resets racing for this copy, exactly one deletes it.
        if DatabaseCopy.objects.filter(pk=row.pk, status=DatabaseCopy.Status.READY).delete()[0]:
            return row
    return None


def pool_drain() -> int:
    """Drop every ready copy (e.g. after the golden database was rebuilt)."""
    dropped = 0
    while (row := pool_claim()) is not None:
        snapshots.copy_drop(_copy_info(row))
        dropped += 1
    return dropped


_background_refill = threading.Lock()


def _refill_in_background() -> None:
    """Without a Celery broker tasks run in-process: refilling inline would make every
    reset wait for a new copy, which the pool exists to avoid. One thread at a time."""
    if not _background_refill.acquire(blocking=False):
        return

    def run():
        try:
            from agentenv.tasks import pool_refill as pool_refill_task

            pool_refill_task.apply()
        except Exception:
            logger.exception("warm pool refill failed")
        finally:
            connections.close_all()
            _background_refill.release()

    threading.Thread(target=run, name="ehrgym-pool-refill", daemon=True).start()


def schedule_pool_refill() -> None:
    if settings.EHRGYM_POOL_SIZE == 0:
        return
    if settings.CELERY_TASK_ALWAYS_EAGER and settings.EHRGYM_POOL_REFILL_IN_BACKGROUND:
        transaction.on_commit(_refill_in_background, using="default")
        return
    from agentenv.tasks import pool_refill as pool_refill_task

    transaction.on_commit(lambda: pool_refill_task.delay(), using="default")


# --- Reset ---------------------------------------------------------------------------


def _capacity_lock() -> None:
    # SQLite's IMMEDIATE transactions already serialize writers; PostgreSQL needs a lock
    # so two resets cannot both see the last free slot.
    conn = connections["default"]
    if conn.vendor == "postgresql":
        with conn.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CAPACITY_LOCK_KEY])


@transaction.atomic(using="default")
def _episode_create(*, owner, patient_mrn: str, instruction: str, seed: int | None, step_limit: int) -> Episode:
    _capacity_lock()
    holding = Episode.objects.filter(released_at__isnull=True).count()
    if holding >= settings.EHRGYM_MAX_EPISODES:
        raise CapacityError(f"All {settings.EHRGYM_MAX_EPISODES} episode slots are in use.")
    return Episode.objects.create(
        owner=owner,
        patient_mrn=patient_mrn,
        instruction=instruction,
        seed=seed if seed is not None else secrets.randbits(31),
        step_limit=step_limit,
        expires_at=timezone.now() + timedelta(seconds=settings.EHRGYM_EPISODE_TTL_SECONDS),
    )


def episode_reset(
    *, owner, patient_mrn: str, instruction: str, seed: int | None = None, step_limit: int | None = None
) -> Episode:
    """Start an episode on its own copy of the golden database.

    Raises CapacityError when every slot is taken, ValidationError when the patient is
    not in the golden database, EnvironmentUnavailable when no copy can be made.
    """
    started = time.perf_counter()
    patient_mrn = (patient_mrn or "").strip()
    if not patient_mrn:
        raise ValidationError({"patient_mrn": "This field is required."})
    if not (instruction or "").strip():
        raise ValidationError({"instruction": "This field is required."})
    episode = _episode_create(
        owner=owner, patient_mrn=patient_mrn, instruction=instruction.strip(), seed=seed,
        step_limit=step_limit or settings.EHRGYM_DEFAULT_STEP_LIMIT,
    )
    row = pool_claim()
    if row is not None:
        info = _copy_info(row)
    else:
        info = snapshots.new_copy_info()
        try:
            snapshots.copy_create(info)
        except Exception as error:
            logger.exception("could not copy the golden database for episode %s", episode.id)
            snapshots.copy_drop(info)
            Episode.objects.filter(pk=episode.pk).update(
                status=Episode.Status.ERRORED, error=f"{type(error).__name__}: {error}",
                ended_at=timezone.now(), released_at=timezone.now(),
            )
            raise EnvironmentUnavailable("The episode's database could not be prepared.") from error
    episode.database_alias, episode.database_name, episode.from_pool = info.alias, info.name, row is not None
    with bind_episode(episode):
        found = Patient.objects.filter(mrn=patient_mrn).exists()
    if not found:
        snapshots.copy_drop(info)
        # A mistyped MRN is the client's mistake: no trace of an episode that never ran.
        episode.delete()
        raise ValidationError({"patient_mrn": f"No patient with MRN {patient_mrn!r} in the golden database."})
    now = timezone.now()
    episode.status = Episode.Status.RUNNING
    episode.started_at = now
    episode.route = reverse("clinical:patient_list")
    episode.reset_ms = (time.perf_counter() - started) * 1000
    episode.save(update_fields=[
        "status", "started_at", "route", "database_alias", "database_name", "from_pool", "reset_ms",
    ])
    schedule_pool_refill()
    return episode


# --- Step ----------------------------------------------------------------------------


@dataclass
class _Outcome:
    result: object = None
    error: str | None = None
    agent_error: bool = False
    terminal: bool = False
    answer: str | None = None
    route: str | None = None
    open_mrn: str | None = None
    action_type: str = ""


def _pydantic_message(error: pydantic.ValidationError) -> str:
    parts = []
    for item in error.errors(include_url=False):
        where = ".".join(str(p) for p in item["loc"]) or "action"
        parts.append(f"{where}: {item['msg']}")
    return "Invalid action: " + "; ".join(parts)


def _django_message(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return "; ".join(f"{field}: {' '.join(messages)}" for field, messages in error.message_dict.items())
    return " ".join(error.messages)


def _run_action(raw: dict, context: ActionContext) -> _Outcome:
    try:
        parsed = parse_action(raw)
    except pydantic.ValidationError as error:
        return _Outcome(error=_pydantic_message(error), agent_error=True, action_type=str(raw.get("type", "")))
    outcome = _Outcome(action_type=parsed.type)
    try:
        # A savepoint: a failing action leaves nothing half-written in the chart.
        with transaction.atomic(using=context.alias):
            result = handler_for(parsed)(parsed, context)
    except ActionError as error:
        outcome.error, outcome.agent_error = str(error), True
    except ValidationError as error:
        outcome.error, outcome.agent_error = _django_message(error), True
    except ObjectDoesNotExist as error:
        outcome.error, outcome.agent_error = str(error), True
    except Exception as error:  # an environment bug must not end the agent's episode
        logger.exception("action %s failed", parsed.type)
        outcome.error = f"Internal error while running {parsed.type}: {type(error).__name__}"
    else:
        outcome.result, outcome.terminal, outcome.answer = result.data, result.terminal, result.answer
        outcome.route, outcome.open_mrn = result.route, result.open_mrn
    return outcome


def episode_step(*, episode: Episode, action: dict) -> Step:
    """Take one action. An invalid or failing action is an observation, not an exception.

    Raises EpisodeNotRunning if the episode has ended or another step of it committed first.
    """
    started_at, started = timezone.now(), time.perf_counter()
    if not episode.is_running:
        raise EpisodeNotRunning(f"Episode {episode.id} is {episode.status}.")
    index = episode.step_count + 1
    context = ActionContext(
        actor=episode.owner.username, open_mrn=episode.open_mrn, route=episode.route, alias=episode.database_alias
    )
    with bind_episode(episode), episode_step_context(index):
        # The chart writes and the step record commit together or not at all: if another
        # step of this episode won the race, raising here rolls the chart back too.
        with transaction.atomic(using=episode.database_alias):
            outcome = _run_action(action, context)
            action_ms = (time.perf_counter() - started) * 1000
            reward = rewards.step_reward(episode=episode, step_index=index, agent_error=outcome.agent_error)
            terminated = outcome.terminal and outcome.error is None
            truncated = not terminated and index >= episode.step_limit
            step = _step_commit(
                episode=episode, index=index, action=action, outcome=outcome, reward=reward,
                terminated=terminated, truncated=truncated, started_at=started_at, started=started,
                action_ms=action_ms,
            )
    return step


@transaction.atomic(using="default")
def _step_commit(*, episode, index, action, outcome, reward, terminated, truncated, started_at, started, action_ms):
    now = timezone.now()
    status = Episode.Status.TERMINATED if terminated else Episode.Status.TRUNCATED if truncated else Episode.Status.RUNNING
    changes = {
        "step_count": index,
        "cumulative_reward": F("cumulative_reward") + reward,
        "status": status,
        "last_step_at": now,
        "expires_at": now + timedelta(seconds=settings.EHRGYM_EPISODE_TTL_SECONDS),
    }
    if outcome.route is not None:
        changes["route"] = outcome.route
    if outcome.open_mrn is not None:
        changes["open_mrn"] = outcome.open_mrn
    if outcome.answer is not None:
        changes["answer"] = outcome.answer
    if status != Episode.Status.RUNNING:
        changes["ended_at"] = now
    # Conditional on the step count we started from: of two concurrent steps, one wins.
    won = Episode.objects.filter(pk=episode.pk, status=Episode.Status.RUNNING, step_count=index - 1).update(**changes)
    if not won:
        raise EpisodeNotRunning(f"Episode {episode.id} has ended or another step was taken first.")
    episode.refresh_from_db()
    observation = observation_of(episode, result=outcome.result, error=outcome.error)
    return Step.objects.create(
        episode=episode,
        index=index,
        action=action,
        observation=observation,
        reward=reward,
        error=outcome.error or "",
        terminated=terminated,
        truncated=truncated,
        started_at=started_at,
        duration_ms=(time.perf_counter() - started) * 1000,
    )


# --- Close and reap ------------------------------------------------------------------


def episode_close(*, episode: Episode) -> Episode:
    """Drop the episode's database. A running episode becomes closed; an ended one keeps
    its status. Closing twice is harmless."""
    now = timezone.now()
    claimed = Episode.objects.filter(pk=episode.pk, released_at__isnull=True).update(
        released_at=now,
        status=Case(
            When(status__in=[Episode.Status.CREATED, Episode.Status.RUNNING], then=Value(Episode.Status.CLOSED)),
            default=F("status"),
        ),
        ended_at=Coalesce(F("ended_at"), Value(now)),
    )
    if claimed and episode.database_alias:
        snapshots.copy_drop(snapshots.DatabaseCopyInfo(episode.database_alias, episode.database_name, snapshots.vendor()))
    episode.refresh_from_db()
    return episode


def episodes_reap(*, now=None) -> list[Episode]:
    """Close episodes idle past their TTL, and drop copies a dead worker left half made."""
    now = now or timezone.now()
    reaped = [
        episode_close(episode=episode)
        for episode in Episode.objects.filter(released_at__isnull=True, expires_at__lt=now)
    ]
    for row in DatabaseCopy.objects.filter(status=DatabaseCopy.Status.CREATING, created_at__lt=now - STALE_COPY_AGE):
        if DatabaseCopy.objects.filter(pk=row.pk, status=DatabaseCopy.Status.CREATING).delete()[0]:
            snapshots.copy_drop(_copy_info(row))
    return reaped
