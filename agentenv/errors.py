"""Why a reset or a step was refused: the protocols (REST, OpenEnv, WebSocket) turn these into their own errors."""


class CapacityError(Exception):
    """Every episode slot is taken; the client should retry later."""

    retry_after_s = 5


class EpisodeNotRunning(Exception):
    """A step on an episode that has ended (or another step got there first)."""


class ActionTooLarge(ValueError):
    """An action over EHRGYM_MAX_ACTION_BYTES: refused before it is taken or stored."""


class EnvironmentUnavailable(Exception):
    """The episode's database could not be prepared (a server problem, not the client's)."""


class BrowserElsewhere(Exception):
    """A step on a browser episode whose local Chromium runs in another server process (the message names it)."""
