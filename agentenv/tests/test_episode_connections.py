"""PostgreSQL episode copies keep one connection between an episode's requests (agentenv/episode_postgresql):
a step no longer pays a new server process (5 to 8 ms) before its first query, and the kept connections stay
bounded and die with their copy."""

import time

import pytest
from django.db import connections

from agentenv import snapshots
from agentenv.close import episode_close
from agentenv.episode_postgresql import base as kept_connections
from agentenv.routing import bind_episode
from agentenv.tests.conftest import EPISODE_DBS, MARIA_MRN, act, start

pytestmark = [EPISODE_DBS, pytest.mark.usefixtures("golden")]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connections["default"].vendor != "postgresql":
        pytest.skip("SQLite copies are files opened in a fraction of a millisecond: nothing to keep")


def _backend_pid(episode) -> int:
    """The PostgreSQL server process serving this request of the episode (a request = one bind)."""
    with bind_episode(episode):
        with connections[episode.database_alias].cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            return cursor.fetchone()[0]


def _alive(pid: int) -> bool:
    """Whether the server process still runs; one whose client hung up ends within moments, not at once."""
    for _ in range(100):
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid])
            if cursor.fetchone()[0] == 0:
                return False
        time.sleep(0.02)
    return True


def test_an_episodes_requests_share_one_connection_which_its_close_ends(alice):
    episode = start(alice)
    act(episode, type="read_chart_section", section="problems", mrn=MARIA_MRN)
    first = _backend_pid(episode)
    act(episode, type="read_chart_section", section="results", mrn=MARIA_MRN)

    assert _backend_pid(episode) == first
    assert connections.settings[episode.database_alias]["ENGINE"] == snapshots.EPISODE_POSTGRES_ENGINE

    episode_close(episode=episode)
    assert not _alive(first)


def test_the_kept_connections_are_bounded_least_recently_used_first(alice, settings, monkeypatch):
    settings.EHRGYM_EPISODE_IDLE_CONNECTIONS = 2
    monkeypatch.setattr(kept_connections, "ACTIVE_SECONDS", 0)  # every kept connection has idled long enough
    episodes = [start(alice) for _ in range(3)]
    pids = [_backend_pid(episode) for episode in episodes]

    assert kept_connections.kept_count() == 2
    assert not _alive(pids[0]) and _alive(pids[1]) and _alive(pids[2])
    assert _backend_pid(episodes[2]) == pids[2]


def test_episodes_stepping_in_turn_beyond_the_bound_do_not_make_every_step_reconnect(alice, settings):
    # Three episodes stepping in turn, room for two: closing the least recently used would close the connection
    # each episode is about to need, and every step would start a PostgreSQL server process.
    settings.EHRGYM_EPISODE_IDLE_CONNECTIONS = 2
    episodes = [start(alice) for _ in range(3)]
    rounds = [[_backend_pid(episode) for episode in episodes] for _ in range(3)]

    first, second, third = zip(*rounds, strict=True)
    assert len(set(first)) == 1 and len(set(second)) == 1  # kept from round to round
    assert len(set(third)) == 3  # the one beyond the bound reconnects each time
    assert kept_connections.kept_count() == 2


def test_none_is_kept_when_turned_off_or_idle_too_long(alice, settings):
    settings.EHRGYM_EPISODE_IDLE_CONNECTIONS = 0
    episode = start(alice)
    first = _backend_pid(episode)
    assert kept_connections.kept_count() == 0 and not _alive(first)

    settings.EHRGYM_EPISODE_IDLE_CONNECTIONS = 4
    settings.EHRGYM_EPISODE_IDLE_CONNECTION_SECONDS = 0  # anything kept has waited too long by the next request
    second = _backend_pid(episode)
    assert _backend_pid(episode) != second and not _alive(second)


def test_a_connection_left_in_a_transaction_is_closed_not_kept(alice):
    episode = start(alice)
    with bind_episode(episode):
        connection = connections[episode.database_alias]
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
        connection.connection.execute("BEGIN")  # a transaction Django does not know of
    assert kept_connections.kept_count() == 0 and not _alive(pid)
