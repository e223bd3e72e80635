"""Requests of an episode's browser read and write that episode's database; the
router keeps environment records in the main database."""

import pytest
from django.test import Client

from agentenv.close import episode_close
from agentenv.middleware import COOKIE_NAME, HEADER_NAME, episode_browser_token
from agentenv.models import Episode
from agentenv.routing import EpisodeRouter, bind_episode, bound_alias
from agentenv.tests.conftest import EPISODE_DBS, JAMES_MRN, MARIA_MRN, act, start
from clinical.models import Patient

pytestmark = [EPISODE_DBS, pytest.mark.usefixtures("golden"), pytest.mark.urls("agentenv.tests.probe_urls")]


def test_it_binds_a_browser_request_to_its_episode_by_cookie(alice):
    dnr, comfort = start(alice), start(alice)
    act(dnr, type="set_code_status", mrn=MARIA_MRN, code_status="dnr")
    act(comfort, type="set_code_status", mrn=MARIA_MRN, code_status="comfort")

    for episode, status in ((dnr, "dnr"), (comfort, "comfort")):
        browser = Client()
        browser.cookies[COOKIE_NAME] = episode_browser_token(episode)
        assert browser.get("/probe/patients/").json()["patients"] == [[MARIA_MRN, status], [JAMES_MRN, "full"]]


def test_it_binds_by_header_and_refuses_a_forged_or_ended_episode(alice):
    episode = start(alice)
    client = Client()
    assert client.get("/probe/patients/", headers={HEADER_NAME: episode_browser_token(episode)}).status_code == 200
    assert client.get("/probe/patients/", headers={HEADER_NAME: str(episode.id)}).status_code == 403

    episode_close(episode=episode)
    gone = client.get("/probe/patients/", headers={HEADER_NAME: episode_browser_token(episode)})
    assert gone.status_code == 410  # never the main database instead


def test_it_sends_unbound_requests_to_the_main_database(alice):
    start(alice)
    assert Client().get("/probe/patients/").json() == {"patients": []}


def test_it_routes_only_the_ehr_apps_to_the_episode(alice):
    episode = start(alice)
    router = EpisodeRouter()
    with bind_episode(episode):
        assert bound_alias() == episode.database_alias
        assert router.db_for_write(Patient) == episode.database_alias
        assert router.db_for_read(Episode) == "default"
        assert Episode.objects.filter(pk=episode.pk).exists()  # read from the main database
    assert bound_alias() is None and router.db_for_read(Patient) is None
