"""An episode's browser reaches only its own episode's EHR pages: never the API, OpenEnv,
admin or spectator pages, never the main database, never another episode."""

import pytest
from django.conf import settings
from django.test import Client
from rest_framework import exceptions
from rest_framework.test import APIRequestFactory

from agentenv.browser import sessions as browser_sessions
from agentenv.browser.isolation import ClinicianSessionAuthentication, ForbiddenUrl, ehr_url, is_ehr_page
from agentenv.middleware import COOKIE_NAME, episode_browser_token
from agentenv.tests.browser_support import BROWSER_DBS, browser_reset, browser_step, ehr  # noqa: F401
from agentenv.tests.conftest import EPISODE_DBS, MARIA_MRN, start

BASE = "http://127.0.0.1:8000"
FORBIDDEN_PATHS = ["/api/v1/actions", "/api/schema/", "/admin/", "/openenv/state", "/openenv/health"]


def _episode_browser(episode, *, session_for=None) -> Client:
    """A Django test client holding what an episode's browser holds: its session and cookie."""
    browser = Client()
    browser.cookies[settings.SESSION_COOKIE_NAME] = browser_sessions._login_session(session_for or episode)
    browser.cookies[COOKIE_NAME] = episode_browser_token(episode)
    return browser


@pytest.mark.parametrize("url", ["/patients/", f"/patients/{MARIA_MRN}/results/", f"/patients/{MARIA_MRN}/notes/",
                                 f"{BASE}/patients/?q=Garcia", "/accounts/logout/"])
def test_it_lets_goto_open_ehr_pages(url):
    assert ehr_url(url, base_url=BASE).startswith(f"{BASE}/")


@pytest.mark.parametrize("url", [
    "/api/v1/episodes", "/admin/", "/openenv/reset", "/api/docs/",
    "/episodes/00000000-0000-0000-0000-000000000000/watch",
    "https://example.com/patients/", "http://127.0.0.1:9999/patients/", "javascript:alert(1)", "patients/", "/nowhere/",
])
def test_it_refuses_goto_outside_the_ehr(url):
    with pytest.raises(ForbiddenUrl):
        ehr_url(url, base_url=BASE)
    assert not is_ehr_page(url) or "://" in url


@EPISODE_DBS
@pytest.mark.usefixtures("golden")
class TestTheMiddleware:
    def test_it_answers_403_to_an_episode_browser_asking_for_the_controls(self, alice):
        browser = _episode_browser(start(alice))
        assert browser.get("/patients/").status_code == 200
        for path in FORBIDDEN_PATHS:
            response = browser.get(path)
            assert response.status_code == 403, path
        assert browser.post("/api/v1/episodes", {}).status_code == 403

    def test_it_refuses_the_browser_session_without_its_episode_cookie(self, alice):
        episode = start(alice)
        browser = _episode_browser(episode)
        del browser.cookies[COOKIE_NAME]
        # Without it the session would read and write the main database.
        assert browser.get("/patients/").status_code == 403
        assert browser.get("/api/v1/actions").status_code == 403

    def test_it_refuses_the_browser_session_with_another_episodes_cookie(self, alice):
        mine, other = start(alice), start(alice)
        browser = _episode_browser(other, session_for=mine)
        assert browser.get("/patients/").status_code == 403

    def test_it_refuses_episode_browser_sessions_in_the_api_session_authentication(self, alice):
        session_key = browser_sessions._login_session(start(alice))
        request = APIRequestFactory().get("/api/v1/actions")
        request.session = __import__("importlib").import_module(settings.SESSION_ENGINE).SessionStore(session_key)
        from rest_framework.request import Request

        with pytest.raises(exceptions.AuthenticationFailed, match="episode's browser session"):
            ClinicianSessionAuthentication().authenticate(Request(request))


@pytest.mark.browser
@BROWSER_DBS
@pytest.mark.usefixtures("ehr")
class TestInChromium:
    def test_it_refuses_goto_to_a_forbidden_url_with_a_clear_error(self, alice_api):
        episode_id = browser_reset(alice_api)["episode_id"]
        for url in ("/api/v1/actions", "/admin/", "/openenv/state", "https://example.com/"):
            step = browser_step(alice_api, episode_id, type="goto", url=url)
            assert "goto opens" in step["observation"]["last_action_error"], url
            assert step["observation"]["route"] == "/patients/"  # the browser never went there

    def test_it_answers_403_when_the_browser_requests_the_api_or_admin_itself(self, alice_api):
        body = browser_reset(alice_api)
        driver = browser_sessions.session_get(body["episode_id"]).driver
        fetch = "fetch(arguments[0], {method: arguments[1]}).then((r) => arguments[2](r.status));"
        for path, method in [("/api/v1/actions", "GET"), ("/api/v1/episodes", "POST"), ("/admin/", "GET"),
                             ("/openenv/state", "GET"), (f"/episodes/{body['episode_id']}/watch", "GET")]:
            assert driver.execute_async_script(fetch, path, method) == 403, path
        assert driver.execute_async_script(fetch, "/patients/", "GET") == 200
