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
# Enough for every episode of 64 agents on two processes to keep its connection most of the time (those running a
# request hold theirs apart): a new connection makes PostgreSQL start a server process, 5 to 8 ms on two cores.
SERVER_IDLE_EPISODE_CONNECTIONS = 40
# The pool's connections beyond the running API requests': WebSocket messages, the reaper, the pool's refill.
POOL_SPARE = 4
# The least share a process takes, whatever the number of processes.
MIN_API_REQUESTS = 4


def web_processes(environ=os.environ) -> int:
    try:
        return max(1, int(environ.get("EHRGYM_WEB_PROCESSES") or 1))
    except ValueError:  # ehrsite.serve refuses it with a message; settings need a number meanwhile
        return 1


def api_requests_default(environ=os.environ) -> int:
    return max(MIN_API_REQUESTS, SERVER_API_REQUESTS // web_processes(environ))


def idle_episode_connections_default(environ=os.environ) -> int:
    return SERVER_IDLE_EPISODE_CONNECTIONS // web_processes(environ)


def db_pool_default(environ=os.environ) -> int:
    """The web server's main-database pool: one connection per API request it runs, and the spare."""
    try:
        requests = int(environ.get("EHRGYM_MAX_CONCURRENT_API_REQUESTS") or api_requests_default(environ))
    except ValueError:  # settings refuse it with a message
        requests = api_requests_default(environ)
    return requests + POOL_SPARE
