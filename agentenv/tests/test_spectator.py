"""The spectator view: the owner (or staff) watches an episode's steps live over a WebSocket
or replays them from the trajectory; anyone else finds nothing there."""

import base64

import pytest
import requests
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from agentenv.close import episode_close
from agentenv.middleware import COOKIE_NAME, episode_browser_token
from agentenv.models import Episode
from agentenv.tests.browser_support import asgi_server  # noqa: F401
from agentenv.tests.conftest import EPISODE_DBS, MARIA_MRN, act, start
from ehrsite.asgi import application

pytestmark = [EPISODE_DBS, pytest.mark.usefixtures("golden")]


def by_testid(testid: str) -> tuple[str, str]:
    return By.CSS_SELECTOR, f'[data-testid="{testid}"]'


def _browser_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def staff():
    return get_user_model().objects.create_user(username="sam", is_staff=True)


def test_it_shows_the_owner_and_staff_the_trajectory_and_hides_it_from_anyone_else(alice, bob, staff):
    episode = start(alice, instruction="Review Maria's A1c.")
    act(episode, type="open_chart", mrn=MARIA_MRN)
    act(episode, type="click", bid="nowhere")  # an API-mode episode: an error step
    url = f"/episodes/{episode.pk}/watch"

    page = _browser_of(alice).get(url)
    assert page.status_code == 200
    html = page.content.decode()
    for testid in ("watch-status", "watch-goal", "watch-steps", "watch-step-1", "watch-step-2", "watch-replay"):
        assert f'data-testid="{testid}"' in html
    assert "open_chart" in html and "Review Maria&#x27;s A1c." in html
    assert f"/patients/{MARIA_MRN}/" in html and "browser-mode episode" in html
    # Its live socket must close with the page: leaving it is an ordinary page load.
    assert '<body class="" data-navigation="document">' in html

    assert _browser_of(staff).get(url).status_code == 200
    assert _browser_of(bob).get(url).status_code == 404
    assert _browser_of(bob).get(f"/episodes/{episode.pk}/steps/1/thumbnail.jpg").status_code == 404
    anonymous = Client().get(url)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")


def test_it_serves_a_steps_thumbnail_to_the_owner(alice):
    episode = start(alice)
    step = act(episode, type="search_patients", query="Garcia")
    jpeg = b"\xff\xd8\xff\xe0fake-jpeg"
    type(step).objects.filter(pk=step.pk).update(thumbnail=base64.b64encode(jpeg).decode())

    response = _browser_of(alice).get(f"/episodes/{episode.pk}/steps/1/thumbnail.jpg")

    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg" and response.content == jpeg
    assert _browser_of(alice).get(f"/episodes/{episode.pk}/steps/2/thumbnail.jpg").status_code == 404


def _session_cookie(user) -> dict:
    return {settings.SESSION_COOKIE_NAME: _browser_of(user).cookies[settings.SESSION_COOKIE_NAME].value}


def _socket(episode, cookies: dict | None = None, origin: bytes = b"http://testserver"):
    cookie = "; ".join(f"{name}={value}" for name, value in (cookies or {}).items())
    headers = [(b"origin", origin), (b"cookie", cookie.encode())]
    return WebsocketCommunicator(application, f"/ws/episodes/{episode.pk}/watch", headers=headers)


def test_it_streams_each_step_live_to_the_owner(alice):
    episode = start(alice)
    act(episode, type="open_chart", mrn=MARIA_MRN)
    owner = _session_cookie(alice)

    async def watch():
        socket = _socket(episode, owner)
        connected, _ = await socket.connect()
        assert connected
        state = await socket.receive_json_from(timeout=5)
        backlog = await socket.receive_json_from(timeout=5)
        assert state["kind"] == "episode" and state["status"] == "running" and state["step_count"] == 1
        assert backlog["kind"] == "step" and backlog["index"] == 1 and backlog["action_type"] == "open_chart"

        await sync_to_async(act)(episode, type="read_chart_section", section="allergies")
        live = await socket.receive_json_from(timeout=5)
        assert live["kind"] == "step" and live["index"] == 2
        assert live["action"] == {"type": "read_chart_section", "section": "allergies"}
        assert live["route"] == f"/patients/{MARIA_MRN}/allergies/" and live["reward"] == 0.0
        assert live["episode"]["step_count"] == 2 and live["thumbnail_url"] is None

        await sync_to_async(episode_close)(episode=episode)
        closed = await socket.receive_json_from(timeout=5)
        assert closed["kind"] == "episode" and closed["status"] == "closed" and closed["ended"]
        await socket.disconnect()

    async_to_sync(watch)()


def test_it_refuses_the_socket_to_strangers_episode_browsers_and_other_sites(alice, bob):
    episode = start(alice)
    owner, stranger = _session_cookie(alice), _session_cookie(bob)
    browser = {**owner, COOKIE_NAME: episode_browser_token(episode)}

    async def refused(socket) -> bool:
        connected, _ = await socket.connect()
        await socket.disconnect()
        return not connected

    async def check():
        assert await refused(_socket(episode))  # anonymous
        assert await refused(_socket(episode, stranger))
        assert await refused(_socket(episode, browser))
        assert await refused(_socket(episode, owner, origin=b"https://evil.example"))
        assert not await refused(_socket(episode, owner))

    async_to_sync(check)()
    assert Episode.objects.get(pk=episode.pk).status == Episode.Status.RUNNING


@pytest.mark.browser
def test_it_shows_a_browser_episode_live_in_a_real_browser(asgi_server, chrome, alice, artifacts_dir):
    """The agent works in its browser through the REST API (on Daphne); its owner watches
    in another browser, and each step appears as it is taken, with a screenshot."""
    agent = requests.Session()
    agent.headers["Authorization"] = f"Bearer {alice.auth_token.key}"
    reset = agent.post(f"{asgi_server}/api/v1/episodes", json={
        "patient_mrn": MARIA_MRN, "instruction": "Review Maria Garcia's A1c trend.", "mode": "browser",
        "screenshot": True,
    }, timeout=60)
    assert reset.status_code == 201, reset.text
    episode_id = reset.json()["episode_id"]

    def step(**action) -> dict:
        response = agent.post(f"{asgi_server}/api/v1/episodes/{episode_id}/step", json={"action": action}, timeout=60)
        assert response.status_code == 200, response.text
        return response.json()

    try:
        step(type="click", bid=f"patient-link-{MARIA_MRN}")
        chrome.get(f"{asgi_server}/accounts/login/")
        session = _session_cookie(alice)[settings.SESSION_COOKIE_NAME]
        chrome.add_cookie({"name": settings.SESSION_COOKIE_NAME, "value": session})
        chrome.get(f"{asgi_server}/episodes/{episode_id}/watch")
        wait = WebDriverWait(chrome, 30)
        wait.until(EC.text_to_be_present_in_element(by_testid("watch-live"), "live"))
        assert chrome.find_element(*by_testid("watch-step-1")).is_displayed()

        step(type="click", bid="chart-tab-results")
        step(type="click", bid="results-analyte-4548-4")

        wait.until(EC.presence_of_element_located(by_testid("watch-step-3")))
        wait.until(EC.text_to_be_present_in_element(by_testid("watch-step-count"), "3"))
        assert chrome.find_element(*by_testid("watch-route")).text == f"/patients/{MARIA_MRN}/results/4548-4/"
        shot = chrome.find_element(*by_testid("watch-screenshot"))
        natural_width = "return arguments[0].naturalWidth"
        wait.until(lambda _: shot.is_displayed() and chrome.execute_script(natural_width, shot) > 100)
        chrome.save_screenshot(str(artifacts_dir / "spectator_live.png"))
    finally:
        agent.delete(f"{asgi_server}/api/v1/episodes/{episode_id}", timeout=60)
    WebDriverWait(chrome, 30).until(EC.text_to_be_present_in_element(by_testid("watch-status"), "closed"))
