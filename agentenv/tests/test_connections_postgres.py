"""64 agents at once on PostgreSQL, through a real server: the connections it opens stay bounded
(issue 16, item 10). Before, each concurrent request had its own thread and up to two connections
(the main database and its episode's copy): 32 agents peaked at 47 connections, and 64 could pass a
default server's 100. The agent APIs now queue beyond EHRGYM_MAX_CONCURRENT_API_REQUESTS per process, and
at most EHRGYM_EPISODE_IDLE_CONNECTIONS connections to episode copies wait between requests.
"""

import threading
import time

import psycopg
import pytest
import requests
from django.db import connections

from agentenv.models import Episode
from agentenv.tests.browser_support import asgi_server  # noqa: F401
from agentenv.tests.conftest import EPISODE_DBS, JAMES_MRN, MARIA_MRN

pytestmark = [EPISODE_DBS, pytest.mark.usefixtures("golden"), pytest.mark.slow]
AGENTS = 64
LIMIT = 8
# Connections to episode copies kept between an episode's requests (agentenv/episode_postgresql), per process.
KEPT = 8
# Beyond the limit's two connections a request: the test process's own (main and golden) and the server's
# start-up work.
SLACK = 6


@pytest.fixture
def limited(settings):
    """Set before the server process starts (it inherits this process's settings)."""
    if connections["default"].vendor != "postgresql":
        pytest.skip("counts PostgreSQL connections: runs in the PostgreSQL pass of make test")
    settings.EHRGYM_MAX_CONCURRENT_API_REQUESTS = LIMIT
    settings.EHRGYM_EPISODE_IDLE_CONNECTIONS = KEPT
    settings.EHRGYM_MAX_EPISODES = AGENTS


class ConnectionSampler(threading.Thread):
    """The most connections to this test's databases (main, golden, episode copies) seen at once."""

    def __init__(self, prefix: str, config: dict):
        super().__init__(daemon=True)
        self.prefix, self.config, self.peak, self.done = prefix, config, 0, threading.Event()

    def run(self):
        with psycopg.connect(dbname="postgres", host=self.config["HOST"] or "127.0.0.1",
                             port=self.config["PORT"] or 5432, user=self.config["USER"] or "postgres",
                             password=self.config["PASSWORD"] or None, autocommit=True) as admin:
            while not self.done.is_set():
                count = admin.execute("SELECT count(*) FROM pg_stat_activity WHERE datname LIKE %s",
                                      [self.prefix.replace("_", r"\_") + "%"]).fetchone()[0]
                self.peak = max(self.peak, count)
                time.sleep(0.02)


def test_64_agents_at_once_keep_the_connections_bounded(limited, asgi_server, django_user_model):
    users = [django_user_model.objects.create_user(username=f"agent{n}") for n in range(AGENTS)]
    from rest_framework.authtoken.models import Token

    tokens = [Token.objects.create(user=user).key for user in users]
    config = connections["default"].settings_dict
    sampler = ConnectionSampler(config["NAME"], config)
    sampler.start()
    start, failures = threading.Barrier(AGENTS), []

    def agent(n: int) -> None:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {tokens[n]}"
        mrn = (MARIA_MRN, JAMES_MRN)[n % 2]
        start.wait()
        reset = session.post(f"{asgi_server}/api/v1/episodes", json={"patient_mrn": mrn, "instruction": "Review."},
                             timeout=300)
        if reset.status_code != 201:
            failures.append(f"agent {n}: reset {reset.status_code} {reset.text[:200]}")
            return
        episode = reset.json()["episode_id"]
        for action in ({"type": "open_chart", "mrn": mrn}, {"type": "read_chart_section", "section": "results"}):
            step = session.post(f"{asgi_server}/api/v1/episodes/{episode}/step", json={"action": action}, timeout=300)
            if step.status_code != 200:
                failures.append(f"agent {n}: step {step.status_code} {step.text[:200]}")

    threads = [threading.Thread(target=agent, args=(n,)) for n in range(AGENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(600)
    sampler.done.set()
    sampler.join(10)

    assert not failures, "\n".join(failures[:10])
    assert Episode.objects.filter(step_count=2).count() == AGENTS  # 64 episodes open at once, each stepped
    assert 0 < sampler.peak <= 2 * LIMIT + KEPT + SLACK, f"peak {sampler.peak} connections"
