"""Stateless web processes (issue 19): two real web servers on one PostgreSQL database and one Redis, as behind a
load balancer. One client's requests alternate between them; a spectator on one sees the steps taken through the
other (the Redis channel layer); a browser episode on the Selenium Grid is stepped by both, in one browser."""

import asyncio
import json
import re
import secrets
from urllib.parse import urlsplit

import pytest
import requests
import websockets

from agentenv.tests.selenium_grid import grid_sessions, grid_settles, selenium_grid  # noqa: F401  (the cluster asks for it)
from bench.server import free_port, manage, postgres_reachable, postgres_reset, server_env, start_server, stop_server
from conftest import REDIS_TEST_URL, redis_available, require_service

PG_SERVER = "postgres://postgres@127.0.0.1:5432"
# Two patients of the shipped population (the servers run on the real golden database, not the tests' small one).
FIRST_MRN, SECOND_MRN, SECOND_NAME = "1016091", "1263720", "Carrasquillo"
PASSWORD = "scale-out-" + secrets.token_hex(8)
SETUP = f"""
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
user = get_user_model().objects.create_user("scaler", password="{PASSWORD}")
print(Token.objects.create(user=user).key)
"""

# Its servers run on a PostgreSQL database of their own whatever the suite's engine, and browser episodes on the grid:
# marked `browser`, it runs once, in the SQLite pass of `make test`.
pytestmark = [pytest.mark.slow, pytest.mark.browser]


@pytest.fixture(scope="module")
def cluster(request, tmp_path_factory):
    """(server A's URL, server B's URL, API token, grid URL or None): two server processes on one PostgreSQL database
    and one Redis; browsers on the Selenium Grid when it can run here."""
    database_url = f"{PG_SERVER}/ehrgym_scaleout_{secrets.token_hex(4)}"
    require_service(postgres_reachable(database_url), f"PostgreSQL at {PG_SERVER}")
    require_service(redis_available(), f"Redis at {REDIS_TEST_URL}")
    try:
        grid = request.getfixturevalue("selenium_grid")
    except pytest.skip.Exception:  # API episodes and spectators are checked all the same
        grid = None
    data_dir = tmp_path_factory.mktemp("scale-out")
    postgres_reset(database_url, create=True)
    servers = []
    try:
        env = {**server_env(data_dir, database_url), "REDIS_URL": REDIS_TEST_URL, "EHRGYM_POOL_SIZE": "0",
               "EHRGYM_BROWSER_POOL_SIZE": "0", "EHRGYM_SECRET_KEY": secrets.token_urlsafe(50)}
        if grid:
            env["EHRGYM_SELENIUM_REMOTE_URL"] = grid
        manage(env, "migrate", "--noinput")
        manage(env, "build_golden")
        token = manage(env, "shell", "-c", SETUP).splitlines()[-1]
        ports = [free_port(), free_port()]
        # Both servers' browsers reach the EHR through server A, as through a load balancer.
        env["EHRGYM_BROWSER_BASE_URL"] = f"http://127.0.0.1:{ports[0]}"
        for name, port in zip("ab", ports, strict=True):
            servers.append(start_server(env, port, log=data_dir / f"server-{name}.log"))
        yield f"http://127.0.0.1:{ports[0]}", f"http://127.0.0.1:{ports[1]}", token, grid
    finally:
        for server in servers:
            stop_server(server)
        postgres_reset(database_url, create=False)


def api(token: str) -> requests.Session:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    return session


def reset(session, base: str, **body) -> dict:
    response = session.post(f"{base}/api/v1/episodes", json={"patient_mrn": FIRST_MRN,
                                                             "instruction": "Review the chart.", **body}, timeout=120)
    assert response.status_code == 201, response.text
    return response.json()


def step(session, base: str, episode_id: str, **action) -> dict:
    response = session.post(f"{base}/api/v1/episodes/{episode_id}/step", json={"action": action}, timeout=120)
    assert response.status_code == 200, response.text
    return response.json()


def test_one_clients_api_episode_alternates_between_the_two_servers(cluster):
    a, b, token, _ = cluster
    client = api(token)
    episode_id = reset(client, a)["episode_id"]
    servers = [b, a, b, a]
    results = [step(client, base, episode_id, type="open_chart", mrn=mrn)
               for base, mrn in zip(servers, [FIRST_MRN, SECOND_MRN, FIRST_MRN, SECOND_MRN], strict=True)]
    assert [result["observation"]["patient_mrn"] for result in results] == [FIRST_MRN, SECOND_MRN] * 2
    trajectory = client.get(f"{b}/api/v1/episodes/{episode_id}/trajectory", timeout=30).json()
    assert [entry["index"] for entry in trajectory["steps"]] == [1, 2, 3, 4]
    assert client.delete(f"{b}/api/v1/episodes/{episode_id}", timeout=30).status_code == 200
    late = client.post(f"{a}/api/v1/episodes/{episode_id}/step", json={"action": {"type": "noop"}}, timeout=30)
    assert late.status_code == 409


def logged_in_cookies(base: str) -> str:
    """The Cookie header of a browser signed in to the EHR through the login page."""
    browser = requests.Session()
    page = browser.get(f"{base}/accounts/login/", timeout=30)
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    signed_in = browser.post(f"{base}/accounts/login/", data={"username": "scaler", "password": PASSWORD,
                                                               "csrfmiddlewaretoken": csrf},
                             headers={"Referer": f"{base}/accounts/login/"}, timeout=30, allow_redirects=False)
    assert signed_in.status_code == 302, signed_in.text[-2000:]
    return "; ".join(f"{name}={value}" for name, value in browser.cookies.items())


async def watch(b: str, episode_id: str, cookies: str, take_steps) -> list[dict]:
    """The messages a spectator connected to server B receives while `take_steps` runs (in a thread)."""
    netloc = urlsplit(b).netloc
    url = f"ws://{netloc}/ws/episodes/{episode_id}/watch"
    received = []
    async with websockets.connect(url, additional_headers={"Cookie": cookies, "Origin": b}) as socket:
        received.append(json.loads(await asyncio.wait_for(socket.recv(), 30)))  # the episode as it stands
        await asyncio.to_thread(take_steps)
        while not any(message.get("kind") == "step" and message["index"] == 2 for message in received):
            received.append(json.loads(await asyncio.wait_for(socket.recv(), 60)))
    return received


def test_a_spectator_on_one_server_sees_the_steps_taken_through_the_other(cluster):
    a, b, token, _ = cluster
    client = api(token)
    episode_id = reset(client, a)["episode_id"]

    def take_steps():
        step(client, a, episode_id, type="open_chart", mrn=FIRST_MRN)
        step(client, a, episode_id, type="open_chart", mrn=SECOND_MRN)

    messages = asyncio.run(watch(b, episode_id, logged_in_cookies(b), take_steps))
    assert messages[0]["kind"] == "episode" and messages[0]["episode_id"] == episode_id
    steps = {message["index"]: message for message in messages if message.get("kind") == "step"}
    assert steps[1]["action_type"] == "open_chart" and steps[1]["route"] == f"/patients/{FIRST_MRN}/"
    assert steps[2]["route"] == f"/patients/{SECOND_MRN}/"
    client.delete(f"{a}/api/v1/episodes/{episode_id}", timeout=30)


def test_a_browser_episode_on_the_grid_is_stepped_by_both_servers_in_one_browser(cluster):
    a, b, token, grid = cluster
    if grid is None:
        pytest.skip("no Selenium Grid on this machine (Java and the Selenium server jar): browser episodes not run")
    client = api(token)
    episode_id = reset(client, a, mode="browser")["episode_id"]
    typed = step(client, b, episode_id, type="fill", bid="patient-list-search", value=SECOND_NAME)
    assert f'value="{SECOND_NAME}"' in typed["observation"]["axtree"]
    # Server A presses Enter in the box server B typed into: the same browser, no restart.
    searched = step(client, a, episode_id, type="press", key_comb="Enter")
    assert "events" not in searched["info"]
    assert searched["observation"]["route"].startswith(f"/patients/?q={SECOND_NAME}&")
    chart = step(client, b, episode_id, type="click", bid=f"patient-link-{SECOND_MRN}")
    assert chart["observation"]["route"] == f"/patients/{SECOND_MRN}/" and "events" not in chart["info"]
    opened = set(grid_sessions(grid))
    assert client.delete(f"{b}/api/v1/episodes/{episode_id}", timeout=60).status_code == 200
    assert grid_settles(grid, lambda sessions: len(sessions) == len(opened) - 1), "the episode's browser is left"
