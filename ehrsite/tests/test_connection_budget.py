"""The web server's PostgreSQL connections are the server's, shared by its processes: two processes, each with one
process's defaults, opened more than PostgreSQL's default 100 under 64 agents, and resets failed with "too many
clients" (bench/http_bench.py --web-processes 2)."""

import pytest

from ehrsite.connection_budget import (
    COPYING,
    api_requests_default,
    db_pool_default,
    idle_episode_connections_default,
    web_processes,
)

# PostgreSQL's default max_connections (100), less the 3 it keeps for superusers.
POSTGRES_DEFAULT_CONNECTIONS = 97


def process_connections(environ: dict) -> int:
    """The most a web process holds: its main-database pool, an episode connection per running API request, and
    the episode connections it keeps idle."""
    return db_pool_default(environ) + api_requests_default(environ) + idle_episode_connections_default(environ)


@pytest.mark.parametrize("processes", [1, 2, 3, 4, 5, 6])
def test_a_server_of_up_to_six_processes_stays_within_a_default_postgresql(processes):
    environ = {"EHRGYM_WEB_PROCESSES": str(processes)}
    assert processes * (process_connections(environ) + COPYING) <= POSTGRES_DEFAULT_CONNECTIONS


def test_more_processes_open_no_more_than_three_would_and_a_few_each():
    # Past three, each process's floor and its copying connections add up: the README says to raise max_connections.
    three = 3 * process_connections({"EHRGYM_WEB_PROCESSES": "3"})
    for processes in (4, 8):
        assert processes * process_connections({"EHRGYM_WEB_PROCESSES": str(processes)}) <= three + 12 * processes


def test_each_process_takes_its_share_of_the_servers_defaults():
    one, two = {}, {"EHRGYM_WEB_PROCESSES": "2"}
    assert (api_requests_default(one), idle_episode_connections_default(one), db_pool_default(one)) == (16, 57, 20)
    assert (api_requests_default(two), idle_episode_connections_default(two), db_pool_default(two)) == (8, 24, 12)
    # However many processes, each still runs a few requests at once.
    assert api_requests_default({"EHRGYM_WEB_PROCESSES": "16"}) == 4


def test_one_process_keeps_a_connection_for_every_episode_it_may_hold():
    # An episode without one reconnects at its next step: PostgreSQL starts a server process for it.
    assert api_requests_default({}) + idle_episode_connections_default({}) >= 64  # EHRGYM_MAX_EPISODES


def test_a_value_set_in_the_environment_is_the_processes_own():
    environ = {"EHRGYM_WEB_PROCESSES": "2", "EHRGYM_MAX_CONCURRENT_API_REQUESTS": "30"}
    assert db_pool_default(environ) == 34  # the pool follows the requests a process runs
    # The idle connections give way to what was set: a process's share, 48, leaves none beside 34 + 30 + 4.
    assert idle_episode_connections_default(environ) == 0
    assert idle_episode_connections_default({"EHRGYM_DB_POOL_SIZE": "30"}) == 97 - 30 - 16 - COPYING


@pytest.mark.parametrize("value", ["", "two", "0", "-3"])
def test_a_missing_or_bad_process_count_counts_as_one(value):
    # ehrsite.serve refuses a bad EHRGYM_WEB_PROCESSES with a message; the settings must still load meanwhile.
    assert web_processes({"EHRGYM_WEB_PROCESSES": value}) == 1
