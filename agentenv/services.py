"""Episode lifecycle and the warm pool.

reset: claim a ready copy of the golden database from the pool (or make one), bind
it, check the task's patient is there, and start the episode (in browser mode, with its
own headless Chromium logged in as the owner). step: validate the action, run it on the
episode's database with the step number on audit events, and record the step. close:
drop the copy and quit the browser. The pool is refilled after each reset commits.
"""

import json
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

from agentenv import rewards, snapshots, spectator
from agentenv.actions import ActionContext, ActionError, handler_for, parse_action
from agentenv.actions.browser import BrowserAction
from agentenv.browser import sessions as browser_sessions
from agentenv.models import DatabaseCopy, Episode, Step
from agentenv.observations import observation_of
from agentenv.routing import bind_episode
from agentenv.task_source import TaskUnavailable, task_source
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


class ActionTooLarge(ValueError):
    """An action over EHRGYM_MAX_ACTION_BYTES: refused before it is taken or stored."""


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


def pool_claim(*, episode: Episode | None = None) -> DatabaseCopy | None:
    """Take a ready copy out of the pool, or None if it is empty. With an episode, the copy passes to it in the
    same transaction: the reaper never sees it referenced by nothing."""
    for row in _pool_rows().filter(status=DatabaseCopy.Status.READY)[:8]:
        with transaction.atomic(using="default"):
            # A conditional delete: of two resets racing for this copy, exactly one deletes it.
            if DatabaseCopy.objects.filter(pk=row.pk, status=DatabaseCopy.Status.READY).delete()[0]:
                if episode is not None:
                    Episode.objects.filter(pk=episode.pk).update(database_alias=row.alias, database_name=row.name)
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
def _episode_create(*, owner, patient_mrn: str, instruction: str, seed: int | None, step_limit: int, mode: str,
                    screenshot: bool, set_of_marks: bool, channel: str, client_episode_id: str) -> Episode:
    _capacity_lock()
    holding = Episode.objects.filter(released_at__isnull=True)
    if holding.count() >= settings.EHRGYM_MAX_EPISODES:
        raise CapacityError(f"All {settings.EHRGYM_MAX_EPISODES} episode slots are in use.")
    # A browser holds a few hundred MB: browser episodes have a lower limit of their own.
    if mode == Episode.Mode.BROWSER and (
        holding.filter(mode=Episode.Mode.BROWSER).count() >= settings.EHRGYM_MAX_BROWSER_EPISODES
    ):
        raise CapacityError(f"All {settings.EHRGYM_MAX_BROWSER_EPISODES} browser episode slots are in use.")
    return Episode.objects.create(
        owner=owner,
        patient_mrn=patient_mrn,
        instruction=instruction,
        seed=seed if seed is not None else secrets.randbits(31),
        step_limit=step_limit,
        mode=mode,
        screenshot=screenshot,
        set_of_marks=set_of_marks,
        channel=channel,
        client_episode_id=client_episode_id,
        expires_at=timezone.now() + timedelta(seconds=settings.EHRGYM_EPISODE_TTL_SECONDS),
    )


def episode_reset(
    *, owner, patient_mrn: str = "", instruction: str = "", seed: int | None = None, step_limit: int | None = None,
    mode: str = Episode.Mode.API, screenshot: bool = False, set_of_marks: bool = False,
    channel: str = Episode.Channel.REST, client_episode_id: str = "", task_id: str = "", split: str = "",
    allow_draft_task: bool = False,
) -> Episode:
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
    plan = None
    if task_id:
        if (instruction or "").strip():
            raise ValidationError({"instruction": "A task renders its own instruction: give task_id or instruction."})
        plan = task_source().plan(
            task_id=task_id, seed=seed, patient_mrn=(patient_mrn or "").strip(), mode=mode, split=split,
            allow_draft=allow_draft_task,
        )
        # The title stands in until the instruction is rendered from the episode's own chart.
        patient_mrn, seed, instruction = plan.patient_mrn, plan.seed, plan.title
        step_limit = step_limit or plan.step_limit
    elif split:
        raise ValidationError({"split": "A split draws a task's instances: give task_id too."})
    patient_mrn = (patient_mrn or "").strip()
    if not patient_mrn:
        raise ValidationError({"patient_mrn": "This field is required."})
    if not (instruction or "").strip():
        raise ValidationError({"instruction": "This field is required."})
    if mode not in Episode.Mode.values:
        raise ValidationError({"mode": f"Must be one of {', '.join(Episode.Mode.values)}."})
    if mode != Episode.Mode.BROWSER and (screenshot or set_of_marks):
        raise ValidationError({"screenshot": 'Screenshots need a browser: reset with "mode": "browser".'})
    if set_of_marks and not screenshot:
        raise ValidationError(
            {"set_of_marks": 'Set-of-marks boxes are drawn on the screenshot: add "screenshot": true.'})
    episode = _episode_create(
        owner=owner, patient_mrn=patient_mrn, instruction=instruction.strip(), seed=seed,
        step_limit=step_limit or settings.EHRGYM_DEFAULT_STEP_LIMIT, mode=mode, screenshot=screenshot,
        set_of_marks=set_of_marks, channel=channel, client_episode_id=client_episode_id,
    )
    row = pool_claim(episode=episode)
    if row is not None:
        info = _copy_info(row)
    else:
        info = snapshots.new_copy_info()
        # Named on the episode before it exists, so a copy is never left that nothing refers to (the reaper drops
        # those: a server killed mid-reset leaves them).
        Episode.objects.filter(pk=episode.pk).update(database_alias=info.alias, database_name=info.name)
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
    instance, problem = None, ""
    with bind_episode(episode):
        found = Patient.objects.filter(mrn=patient_mrn).exists()
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
        raise ValidationError({"patient_mrn": f"No patient with MRN {patient_mrn!r} in the golden database."})
    now = timezone.now()
    episode.status = Episode.Status.RUNNING
    episode.started_at = now
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
        try:
            browser_sessions.session_open(episode=episode)
        except browser_sessions.BrowserUnavailable as error:
            logger.error("episode %s: %s", episode.id, error)
            snapshots.copy_drop(info)
            Episode.objects.filter(pk=episode.pk).update(
                status=Episode.Status.ERRORED, error=str(error), ended_at=timezone.now(), released_at=timezone.now(),
            )
            raise EnvironmentUnavailable(f"The episode's browser could not be started: {error}") from error
    episode.reset_ms = (time.perf_counter() - started) * 1000
    Episode.objects.filter(pk=episode.pk).update(reset_ms=episode.reset_ms)
    schedule_pool_refill()
    return episode


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
    # The environment cannot go on (the browser died and could not be restarted).
    fatal: str | None = None


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


TERMINAL_ACTIONS = frozenset({"answer", "finish", "report_infeasible"})


def _refusal(parsed, allowed: str) -> str | None:
    """Why a task's allowed action set rules this action out (terminal actions always count)."""
    if allowed == "both" or parsed.type in TERMINAL_ACTIONS:
        return None
    if allowed == "semantic" and isinstance(parsed, BrowserAction):
        return f"This task is done with semantic actions only: {parsed.type} is a browser action."
    if allowed == "browser" and not isinstance(parsed, BrowserAction):
        return f"This task is done in the browser: {parsed.type} is a semantic action."
    return None


def _allowed_actions(episode: Episode) -> str:
    return (episode.task_instance or {}).get("allowed_actions", "both")


def _run_action(raw: dict, context: ActionContext, *, allowed: str = "both") -> _Outcome:
    try:
        parsed = parse_action(raw)
    except pydantic.ValidationError as error:
        return _Outcome(error=_pydantic_message(error), agent_error=True, action_type=str(raw.get("type", "")))
    refusal = _refusal(parsed, allowed)
    if refusal:
        return _Outcome(error=refusal, agent_error=True, action_type=parsed.type)
    outcome = _Outcome(action_type=parsed.type)
    try:
        if isinstance(parsed, BrowserAction):
            # The browser's requests write to the episode database from the server's own
            # threads: a transaction held here would lock them out (SQLite) until it ended.
            result = handler_for(parsed)(parsed, context)
        else:
            # A savepoint: a failing action leaves nothing half-written in the chart.
            with transaction.atomic(using=context.alias):
                result = handler_for(parsed)(parsed, context)
    except browser_sessions.BrowserUnavailable as error:
        outcome.error = outcome.fatal = str(error)
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
    size = len(json.dumps(action, ensure_ascii=False).encode())
    if size > settings.EHRGYM_MAX_ACTION_BYTES:
        raise ActionTooLarge(f"The action is {size} bytes of JSON; a step takes at most "
                             f"{settings.EHRGYM_MAX_ACTION_BYTES}.")
    if not episode.is_running:
        raise EpisodeNotRunning(f"Episode {episode.id} is {episode.status}.")
    if episode.expires_at is not None and episode.expires_at < started_at:
        # Idle past its TTL: the reaper's to close, whether or not it has come by yet.
        episode_close(episode=episode)
        raise EpisodeNotRunning(f"Episode {episode.id} expired: it was idle for more than "
                                f"{settings.EHRGYM_EPISODE_TTL_SECONDS} s, and its database was dropped.")
    try:
        if episode.mode == Episode.Mode.BROWSER:
            return _browser_step(episode=episode, action=action, started_at=started_at, started=started)
        return _api_step(episode=episode, action=action, started_at=started_at, started=started)
    except Exception as error:
        # A close (DELETE, the reaper) that lands mid-step drops the database under it: whatever that broke, the
        # client's answer is that the episode ended, not a server error.
        if not Episode.objects.filter(pk=episode.pk, released_at__isnull=False).exists():
            raise
        raise EpisodeNotRunning(f"Episode {episode.id} was closed while this step ran.") from error


def _api_step(*, episode: Episode, action: dict, started_at, started: float) -> Step:
    """A step of an API-mode episode: the action's chart writes and the step record commit together."""
    index = episode.step_count + 1
    context = ActionContext(
        actor=episode.owner.username, open_mrn=episode.open_mrn, route=episode.route, alias=episode.database_alias
    )
    with bind_episode(episode), episode_step_context(index):
        # The chart writes and the step record commit together or not at all: if another
        # step of this episode won the race, raising here rolls the chart back too.
        with transaction.atomic(using=episode.database_alias):
            outcome = _run_action(action, context, allowed=_allowed_actions(episode))
            action_ms = (time.perf_counter() - started) * 1000
            terminated = outcome.terminal and outcome.error is None
            truncated = not terminated and index >= episode.step_limit
            reward = rewards.step_reward(
                episode=episode, step_index=index, agent_error=outcome.agent_error, action=action,
                route=outcome.route, answer=outcome.answer, terminated=terminated, truncated=truncated,
            )
            step = _step_commit(
                episode=episode, index=index, action=action, outcome=outcome, reward=reward.value,
                terminated=terminated, truncated=truncated, started_at=started_at, started=started,
                info={"timings_ms": {"action": round(action_ms, 2)},
                      **({"rubric": reward.info} if reward.info else {})},
                episode_changes=reward.episode_changes,
            )
    return step


def _browser_step(*, episode: Episode, action: dict, started_at, started: float) -> Step:
    """A step of a browser-mode episode: act (in the browser or semantically), then read the page.

    No episode-database transaction is held while the browser works: its requests write
    to that database from the server's threads. One step at a time per browser instead.
    """
    session = browser_sessions.session_for(episode)
    with browser_sessions.stepping(session):
        # Checked after waiting for the browser: a step that lost the race must not act.
        current = Episode.objects.filter(pk=episode.pk).values_list("status", "step_count").first()
        if current != (Episode.Status.RUNNING, episode.step_count):
            raise EpisodeNotRunning(f"Episode {episode.id} has ended or another step was taken first.")
        index = episode.step_count + 1
        context = ActionContext(
            actor=episode.owner.username, open_mrn=episode.open_mrn, route=episode.route, alias=episode.database_alias
        )
        with bind_episode(episode), episode_step_context(index):
            outcome = _run_action(action, context, allowed=_allowed_actions(episode))
            timings = {"action": round((time.perf_counter() - started) * 1000, 2)}
            page = None
            if outcome.fatal is None:
                try:
                    page, observe_timings = session.observe()
                    timings.update(observe_timings)
                except browser_sessions.BrowserUnavailable as error:
                    outcome.error = outcome.fatal = str(error)
                except Exception as error:  # a page that cannot be read is reported, not raised
                    logger.exception("episode %s: reading the page failed", episode.id)
                    unreadable = f"The page could not be read: {type(error).__name__}"
                    outcome.error = f"{outcome.error} {unreadable}" if outcome.error else unreadable
            if page is not None:
                # The route is where the browser is; a semantic action's chart stays open
                # for the next semantic action unless the browser is in another chart.
                outcome.route = session.route
                outcome.open_mrn = browser_sessions.mrn_of(session.route) or outcome.open_mrn
            events, session.events = session.events, []
            with transaction.atomic(using=episode.database_alias):
                terminated = outcome.terminal and outcome.error is None
                truncated = not terminated and (index >= episode.step_limit or outcome.fatal is not None)
                reward = rewards.step_reward(
                    episode=episode, step_index=index, agent_error=outcome.agent_error, action=action,
                    route=outcome.route, answer=outcome.answer, terminated=terminated, truncated=truncated,
                )
                step = _step_commit(
                    episode=episode, index=index, action=action, outcome=outcome, reward=reward.value,
                    terminated=terminated, truncated=truncated, started_at=started_at, started=started,
                    info={"timings_ms": timings, **({"events": events} if events else {}),
                          **({"rubric": reward.info} if reward.info else {})},
                    browser=page or {}, episode_changes=reward.episode_changes,
                )
        if page is not None:
            session.last_observation = {"fields": page, "timings": timings}
    if outcome.fatal is not None:
        browser_sessions.session_close(episode_id=episode.id)
    return step


@transaction.atomic(using="default")
def _step_commit(*, episode, index, action, outcome, reward, terminated, truncated, started_at, started, info,
                 browser=None, episode_changes=None):
    now = timezone.now()
    if outcome.fatal is not None:
        status = Episode.Status.ERRORED
    elif terminated:
        status = Episode.Status.TERMINATED
    else:
        status = Episode.Status.TRUNCATED if truncated else Episode.Status.RUNNING
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
    if outcome.fatal is not None:
        changes["error"] = outcome.fatal
    if status != Episode.Status.RUNNING:
        changes["ended_at"] = now
    # The rubric's final verdict (score, success, breakdown) when this step ends a task episode.
    changes.update(episode_changes or {})
    # Conditional on the step count we started from: of two concurrent steps, one wins.
    won = Episode.objects.filter(pk=episode.pk, status=Episode.Status.RUNNING, step_count=index - 1).update(**changes)
    if not won:
        raise EpisodeNotRunning(f"Episode {episode.id} has ended or another step was taken first.")
    episode.refresh_from_db()
    observation = observation_of(episode, result=outcome.result, error=outcome.error, browser=browser)
    step = Step.objects.create(
        episode=episode,
        index=index,
        action=action,
        # The screenshot goes to the agent, not into the trajectory (a few hundred kB each).
        observation={**observation, "screenshot": None} if observation.get("screenshot") else observation,
        reward=reward,
        error=outcome.error or "",
        terminated=terminated,
        truncated=truncated,
        started_at=started_at,
        duration_ms=(time.perf_counter() - started) * 1000,
        info=info,
    )
    step.observation = observation
    if observation.get("screenshot"):
        # Spectators see a thumbnail of it, made off the agent's critical path.
        transaction.on_commit(lambda: spectator.screenshot_published(step, observation["screenshot"]), using="default")
    else:
        transaction.on_commit(lambda: spectator.step_published(step), using="default")
    return step


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
    browser_sessions.session_close(episode_id=episode.pk)
    if claimed and episode.database_alias:
        snapshots.copy_drop(
            snapshots.DatabaseCopyInfo(episode.database_alias, episode.database_name, snapshots.vendor()))
    episode.refresh_from_db()
    if claimed:
        spectator.episode_published(episode)
    return episode


def episodes_reap(*, now=None) -> list[Episode]:
    """Close episodes idle past their TTL; end episodes a dead server left half created; drop copies a dead
    worker left half made, and copies nothing refers to. Returns the episodes it closed or ended."""
    now = now or timezone.now()
    reaped = [
        episode_close(episode=episode)
        for episode in Episode.objects.filter(released_at__isnull=True, expires_at__lt=now)
    ]
    for episode in Episode.objects.filter(released_at__isnull=True, status=Episode.Status.CREATED,
                                          created_at__lt=now - STALE_COPY_AGE):
        if Episode.objects.filter(pk=episode.pk, released_at__isnull=True).update(
                status=Episode.Status.ERRORED, error="The server stopped before the episode was ready.",
                ended_at=now, released_at=now):
            if episode.database_name:
                snapshots.copy_drop(snapshots.DatabaseCopyInfo(episode.database_alias, episode.database_name,
                                                               snapshots.vendor()))
            reaped.append(episode)
    for row in DatabaseCopy.objects.filter(status=DatabaseCopy.Status.CREATING, created_at__lt=now - STALE_COPY_AGE):
        if DatabaseCopy.objects.filter(pk=row.pk, status=DatabaseCopy.Status.CREATING).delete()[0]:
            snapshots.copy_drop(_copy_info(row))
    for info in _copies_unreferenced():
        logger.warning("dropping episode database %s: nothing refers to it", info.name)
        snapshots.copy_drop(info)
    return reaped


def _copies_unreferenced() -> list[snapshots.DatabaseCopyInfo]:
    # Listed before the references are read: every copy is referenced (by its episode or its pool row) before it is
    # made, so one that exists and is referenced by nothing afterwards is an orphan, not a copy being made.
    existing = snapshots.copies_existing()
    held = set(Episode.objects.filter(released_at__isnull=True).exclude(database_name="")
               .values_list("database_name", flat=True))
    held |= set(DatabaseCopy.objects.values_list("name", flat=True))
    return [info for info in existing if info.name not in held]
