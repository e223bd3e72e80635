"""One exception class per API error, each carrying the server's own message."""


class EHRGymError(Exception):
    """An EHRGym request failed. `status` is the HTTP status (None when no answer came)."""

    status: int | None = None

    def __init__(self, message: str, *, status: int | None = None, body: object = None):
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status
        self.body = body  # the parsed JSON of the answer, for field-level details


class BadRequest(EHRGymError):
    """400: the request does not fit the API (field errors, an unknown patient or task)."""

    status = 400


class Unauthorized(EHRGymError):
    """401: no token, or a token the server does not know."""

    status = 401


class NotFound(EHRGymError):
    """404: no such episode (or it belongs to someone else)."""

    status = 404


class Conflict(EHRGymError):
    """409: the episode has ended; start a new one with reset."""

    status = 409


class Unavailable(EHRGymError):
    """503: no free episode slot, still none after the retries. `retry_after` is the server's last hint."""

    status = 503

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs):
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class ConnectionFailed(EHRGymError):
    """The server could not be reached (wrong URL, not running, timed out)."""


class NoEpisode(EHRGymError):
    """step, state, trajectory need an episode: call reset first."""


BY_STATUS = {cls.status: cls for cls in (BadRequest, Unauthorized, NotFound, Conflict, Unavailable)}
