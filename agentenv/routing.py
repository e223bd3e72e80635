"""Which database a query goes to: the bound episode's copy, or the main database.

`bind_episode(episode)` sets a context variable for the duration of a block (an API
step, a browser request of the episode, a Celery task). Context variables follow
the code into threads started by asgiref's sync_to_async, and never leak between
concurrent requests, so two episodes served at the same time never see each other.
"""

from contextlib import contextmanager
from contextvars import ContextVar

from agentenv import snapshots

# The apps whose tables are the chart: copied per episode.
EHR_APPS = frozenset({"clinical", "orders", "notes", "inbasket"})

_bound_alias: ContextVar[str | None] = ContextVar("episode_alias", default=None)


def bound_alias() -> str | None:
    return _bound_alias.get()


@contextmanager
def bind_alias(alias: str, name: str):
    """Send the EHR apps' queries to the copy `name` (registered as `alias`)."""
    snapshots.ensure_registered(alias, name)
    token = _bound_alias.set(alias)
    try:
        yield alias
    finally:
        _bound_alias.reset(token)
        if _bound_alias.get() != alias:
            snapshots.release_thread_connection(alias)


def bind_episode(episode):
    if not episode.database_alias:
        raise ValueError(f"episode {episode.id} has no database")
    return bind_alias(episode.database_alias, episode.database_name)


class EpisodeRouter:
    """EHR apps go to the bound episode's database; everything else to `default`.

    Unbound EHR queries return None, so Django follows the instance hint (a patient
    read from the golden database keeps its related queries there) and otherwise
    uses `default`, where clinicians work by hand.
    """

    def _route(self, model, **hints):
        if model._meta.app_label in EHR_APPS:
            return _bound_alias.get()
        return "default"

    db_for_read = _route
    db_for_write = _route

    def allow_relation(self, obj1, obj2, **hints):
        # Chart rows only ever relate within one copy: a row of one episode pointing at a
        # row of another (or of the golden database) would be a silent cross-episode leak.
        if obj1._meta.app_label in EHR_APPS and obj2._meta.app_label in EHR_APPS:
            return obj1._state.db == obj2._state.db
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        # Every alias gets every table: the golden database is built by `migrate` and
        # episode copies inherit its schema; `default` holds the chart clinicians edit by hand.
        return True
