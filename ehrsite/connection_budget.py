"""The web server's PostgreSQL connections, shared by its processes.

PostgreSQL refuses a connection past max_connections (100 by default, 3 of them kept for superusers). A web
process holds its main-database pool (EHRGYM_DB_POOL_SIZE), a connection to an episode copy for each API request
it runs (at most EHRGYM_MAX_CONCURRENT_API_REQUESTS), the copies' idle connections it keeps between requests
(EHRGYM_EPISODE_IDLE_CONNECTIONS), and a few more while it copies and drops databases.

Each of these defaults is the whole server's, divided among its processes (EHRGYM_WEB_PROCESSES, which
`python -m ehrsite.serve` gives each process it starts): N processes open about as many connections as one.
Before, each of two processes took one process's defaults; under 64 agents they opened more than PostgreSQL
allowed, and resets failed with "too many clients". A value set in the environment is taken as it is, per process.

Pure functions of the environment: ehrsite/asgi.py needs the pool's size before Django's settings load.
"""

import os

SERVER_API_REQUESTS = 16
# The pool's connections beyond the running API requests': WebSocket messages, the reaper, the pool's refill.
POOL_SPARE = 4
# PostgreSQL's default max_connections (100), less the 3 it keeps for superusers: what the defaults fit in.
POSTGRES_CONNECTIONS = 97
# Connections a process opens beside its limits while it copies and drops databases (pool refill, dropper).
COPYING = 4
# The least share a process takes, whatever the number of processes.
MIN_API_REQUESTS = 4


def web_processes(environ=os.environ) -> int:
    # A bad value counts as one: ehrsite.serve refuses it with a message; settings need a number meanwhile.
    return max(1, _number(environ, "EHRGYM_WEB_PROCESSES", 1))


def api_requests_default(environ=os.environ) -> int:
    return max(MIN_API_REQUESTS, SERVER_API_REQUESTS // web_processes(environ))


def idle_episode_connections_default(environ=os.environ) -> int:
    """What a process's share of a default PostgreSQL's connections leaves once its pool, its requests' episode
    connections and its copying are counted: 57 for one process (with its 16 requests, every episode it may hold,
    EHRGYM_MAX_EPISODES = 64, keeps a connection), 24 each of two, 14 each of three.

    An episode whose connection was closed opens a new one at its next step, and PostgreSQL starts a server process
    for it (5 to 8 ms on two cores): with room for 56, 64 agents stepping back to back made 1,802 new connections
    in 1,920 steps."""
    share = POSTGRES_CONNECTIONS // web_processes(environ)
    return max(0, share - _number(environ, "EHRGYM_DB_POOL_SIZE", db_pool_default(environ))
               - _requests(environ) - COPYING)


def db_pool_default(environ=os.environ) -> int:
    """The web server's main-database pool: one connection per API request it runs, and the spare."""
    return _requests(environ) + POOL_SPARE


def _requests(environ) -> int:
    return _number(environ, "EHRGYM_MAX_CONCURRENT_API_REQUESTS", api_requests_default(environ))


def _number(environ, name: str, default: int) -> int:
    try:
        return int(environ.get(name) or default)
    except ValueError:  # settings (or ehrsite.serve) refuse it with a message
        return default
