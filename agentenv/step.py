"""Taking a step: validate the action, run it on the episode's database (or in its browser) with the step number
on audit events, then score and record the step the same way in both modes."""

import json
import logging
import time
from dataclasses import dataclass
from datetime import timedelta

import pydantic
from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from agentenv import rewards, snapshots, spectator
from agentenv.actions import ActionContext, ActionError, handler_for, parse_action
from agentenv.actions.browser import BrowserAction
from agentenv.browser import sessions as browser_sessions
from agentenv.close import episode_close
from agentenv.errors import ActionTooLarge, EpisodeNotRunning
from agentenv.kept_trajectories import trajectory_remember
from agentenv.models import Episode, Step
from agentenv.observations import observation_of
from agentenv.routing import bind_episode
from clinical.audit import episode_step_context

logger = logging.getLogger(__name__)

TERMINAL_ACTIONS = frozenset({"answer", "finish", "report_infeasible"})


def episode_step(*, episode: Episode, action: dict) -> Step:
    """Take one action. An invalid or failing action is an observation, not an exception.

    Raises EpisodeNotRunning if the episode has ended or another step of it committed first.
    """
    started_at, started = timezone.now(), time.perf_counter()
    size = len(json.dumps(action, ensure_ascii=False).encode())
    if size > settings.EHRGYM_MAX_ACTION_BYTES:
        raise ActionTooLarge(f"The action is {size} bytes of JSON; a step takes at most "
                             f"{settings.EHRGYM_MAX_ACTION_BYTES}.")
    episode_require_running(episode, now=started_at)
    try:
        if episode.mode == Episode.Mode.BROWSER:
            return _browser_step(episode=episode, action=action, started_at=started_at, started=started)
        return _api_step(episode=episode, action=action, started_at=started_at, started=started)
    except Exception as error:
        # A close (DELETE, the reaper) that lands mid-step drops the database under it: whatever that broke, the
        # client's answer is that the episode ended, not a server error.
        if not Episode.objects.filter(pk=episode.pk, released_at__isnull=False).exists():
            raise
        # The step registered the alias again after the close had forgotten it.
        snapshots.unregister(episode.database_alias)
        raise EpisodeNotRunning(f"Episode {episode.id} was closed while this step ran.") from error


def episode_require_running(episode: Episode, *, now=None) -> None:
    """Raise EpisodeNotRunning unless the episode is running and not idle past its TTL (which closes it).

    What a step checks first; protocols that read an episode's chart (FHIR) check the same."""
    if not episode.is_running:
        raise EpisodeNotRunning(f"Episode {episode.id} is {episode.status}.")
    if episode.expires_at is not None and episode.expires_at < (now or timezone.now()):
        # Idle past its TTL: the reaper's to close, whether or not it has come by yet.
        episode_close(episode=episode)
        raise EpisodeNotRunning(f"Episode {episode.id} expired: it was idle for more than "
                                f"{settings.EHRGYM_EPISODE_TTL_SECONDS} s, and its database was dropped.")


def action_run(*, action: dict, actor: str, alias: str = "default") -> tuple[object, str | None]:
    """Run one semantic action outside any episode, e.g. a staff client's FHIR write on the main database: the
    same parsing, handler, savepoint and error messages as a step, with no step, reward or trajectory.
    Returns (result, error): the action's result, or None and why it failed."""
    outcome = _run_action(action, ActionContext(actor=actor, open_mrn="", route="", alias=alias))
    return outcome.result, outcome.error


# --- Running the action ---------------------------------------------------------------


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


def _context(episode: Episode) -> ActionContext:
    return ActionContext(
        actor=episode.owner.username, open_mrn=episode.open_mrn, route=episode.route, alias=episode.database_alias
    )


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


# --- The two modes ----------------------------------------------------------------------


def _api_step(*, episode: Episode, action: dict, started_at, started: float) -> Step:
    """A step of an API-mode episode: the action's chart writes and the step record commit together."""
    index, context = episode.step_count + 1, _context(episode)
    with bind_episode(episode), episode_step_context(index):
        # The chart writes and the step record commit together or not at all: if another
        # step of this episode won the race, raising here rolls the chart back too.
        with transaction.atomic(using=episode.database_alias):
            outcome = _run_action(action, context, allowed=_allowed_actions(episode))
            timings = {"action": round((time.perf_counter() - started) * 1000, 2)}
            return _step_record(episode=episode, index=index, action=action, outcome=outcome, timings=timings,
                                started_at=started_at, started=started)


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
        index, context = episode.step_count + 1, _context(episode)
        with bind_episode(episode), episode_step_context(index):
            outcome = _run_action(action, context, allowed=_allowed_actions(episode))
            timings = {"action": round((time.perf_counter() - started) * 1000, 2)}
            page = _page_read(episode, session, outcome, timings)
            events, session.events = session.events, []
            with transaction.atomic(using=episode.database_alias):
                step = _step_record(episode=episode, index=index, action=action, outcome=outcome, timings=timings,
                                    started_at=started_at, started=started, events=events, browser=page or {})
        if page is not None:
            session.last_observation = {"fields": page, "timings": timings}
    if outcome.fatal is not None:
        browser_sessions.session_close(episode_id=episode.id)
    return step


def _page_read(episode: Episode, session, outcome: _Outcome, timings: dict) -> dict | None:
    """The page's observation fields after the action (None if the browser is gone or the page unreadable, which
    `outcome` then reports); the route is where the browser is."""
    if outcome.fatal is not None:
        return None
    try:
        page, observe_timings = session.observe()
        timings.update(observe_timings)
    except browser_sessions.BrowserUnavailable as error:
        outcome.error = outcome.fatal = str(error)
        return None
    except Exception as error:  # a page that cannot be read is reported, not raised
        logger.exception("episode %s: reading the page failed", episode.id)
        unreadable = f"The page could not be read: {type(error).__name__}"
        outcome.error = f"{outcome.error} {unreadable}" if outcome.error else unreadable
        return None
    if page is not None:
        # A semantic action's chart stays open for the next semantic action unless the browser is in another chart.
        outcome.route = session.route
        outcome.open_mrn = browser_sessions.mrn_of(session.route) or outcome.open_mrn
    return page


# --- Scoring and recording, the same for both modes ---------------------------------------


def _step_record(*, episode: Episode, index: int, action: dict, outcome: _Outcome, timings: dict, started_at,
                 started: float, events: list | None = None, browser: dict | None = None) -> Step:
    """Score the step and commit it. Called in a transaction on the episode database, so the rubric reads the
    chart as the step leaves it."""
    terminated = outcome.terminal and outcome.error is None
    # A browser that died ends the episode (only a browser-mode step has one).
    truncated = not terminated and (index >= episode.step_limit or outcome.fatal is not None)
    reward = rewards.step_reward(
        episode=episode, step_index=index, agent_error=outcome.agent_error, action=action,
        route=outcome.route, answer=outcome.answer, terminated=terminated, truncated=truncated,
    )
    info = {"timings_ms": timings, **({"events": events} if events else {}),
            **({"rubric": reward.info} if reward.info else {})}
    return _step_commit(
        episode=episode, index=index, action=action, outcome=outcome, reward=reward.value, terminated=terminated,
        truncated=truncated, started_at=started_at, started=started, info=info, browser=browser,
        episode_changes=reward.episode_changes, trajectory=reward.trajectory,
    )


@transaction.atomic(using="default")
def _step_commit(*, episode, index, action, outcome, reward, terminated, truncated, started_at, started, info,
                 browser=None, episode_changes=None, trajectory=None):
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
    if trajectory is not None:  # the next step's rubric starts from it, once this step is in the database
        transaction.on_commit(lambda: trajectory_remember(episode.pk, trajectory), using="default")
    # The row as the update left it, without reading it back: the update's condition (the step count this episode
    # was read with) proves no other step wrote it since, so its reward sum was current.
    changes["cumulative_reward"] = episode.cumulative_reward + reward
    for field, value in changes.items():
        setattr(episode, field, value)
    observation = observation_of(episode, result=outcome.result, error=outcome.error, browser=browser)
    step = Step.objects.create(
        episode=episode,
        index=index,
        action=action,
        # The screenshot goes to the agent, not into the trajectory (a few hundred kB each); nor does axtree_txt
        # (the axtree reformatted, agentenv.browser.axtree_txt: it would double the trajectory's largest field).
        observation={**observation, **{name: None for name in ("screenshot", "axtree_txt") if observation.get(name)}},
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
