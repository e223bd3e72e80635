"""Where a FHIR request reads and writes: the main database, or one episode's copy of the golden database.

A scope gives the database to read (the episode's alias, bound the way agentenv binds a step) and a runner
that performs a write's semantic actions: on an episode, each is a step (`agentenv.step.episode_step`, so it is
audited, scored by the task's rubric and recorded in the trajectory); on the main database, the same action
handlers run directly (`agentenv.step.action_run`), with no episode and no scoring.
"""

import uuid
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass

from agentenv import selectors
from agentenv.errors import ActionTooLarge, EpisodeNotRunning
from agentenv.models import Episode
from agentenv.routing import bind_episode
from agentenv.step import action_run, episode_require_running, episode_step
from fhirapi.outcomes import FHIRError


class ActionRefused(Exception):
    """An action of a write failed; the message is the EHR's (the same an agent's step would get)."""


class MainRunner:
    def __init__(self, actor: str):
        self.actor = actor

    def run(self, action: dict) -> dict:
        result, error = action_run(action=action, actor=self.actor)
        if error:
            raise ActionRefused(error)
        return result


class EpisodeRunner:
    def __init__(self, episode: Episode):
        self.episode = episode
        self.actor = episode.owner.username
        self.steps: list = []  # the agentenv Step of each action run, in order

    def run(self, action: dict) -> dict:
        try:
            step = episode_step(episode=self.episode, action=action)
        except EpisodeNotRunning as error:
            raise FHIRError(409, str(error), code="conflict") from None
        except ActionTooLarge as error:
            raise FHIRError(413, str(error)) from None
        self.episode = step.episode
        self.steps.append(step)
        if step.observation.get("last_action_error"):
            raise ActionRefused(step.observation["last_action_error"])
        return step.observation["last_action_result"]


@dataclass
class Scope:
    base_url: str
    can_write: bool
    runner: MainRunner | EpisodeRunner
    episode: Episode | None = None

    def database(self) -> AbstractContextManager:
        """Bind the episode's database for the block (the main database needs no binding)."""
        return bind_episode(self.episode) if self.episode is not None else nullcontext()


def main_scope(request, base_url: str) -> Scope:
    return Scope(base_url=base_url, can_write=request.user.is_staff, runner=MainRunner(request.user.username))


def episode_scope_of(episode: Episode, base_url: str) -> Scope:
    """An episode's scope for a caller in this process (the MedAgentBench interface), as its owner."""
    return Scope(base_url=base_url, can_write=True, runner=EpisodeRunner(episode), episode=episode)


def episode_scope(request, episode_id: str, base_url: str) -> Scope:
    """The owner's running episode (404 for anyone else's, as the REST API answers; 409 once it has ended)."""
    try:
        episode = selectors.episode_get_for_owner(episode_id=uuid.UUID(episode_id), owner=request.user)
    except (ValueError, Episode.DoesNotExist):
        raise FHIRError(404, "No such episode.") from None
    try:
        episode_require_running(episode)
    except EpisodeNotRunning as error:
        raise FHIRError(409, str(error), code="conflict") from None
    if not episode.database_alias:
        raise FHIRError(409, f"Episode {episode.id} holds no database.", code="conflict")
    return episode_scope_of(episode, base_url)
