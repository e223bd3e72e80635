"""The In Basket actions: list Maria's result notifications, acknowledge one with a comment, route one to the
chart; each writes an audit event of the step, in the episode's copy only."""

import pytest
from django.db import connections

from agentenv.rewards import INVALID_ACTION_PENALTY
from agentenv.routing import bind_episode
from agentenv.tests.conftest import EPISODE_DBS, JAMES_MRN, MARIA_MRN, act, start
from clinical.models import AuditEvent, Observation
from inbasket.models import ResultNotification
from inbasket.services import notifications_for_results

pytestmark = [EPISODE_DBS, pytest.mark.usefixtures("golden", "notified")]


@pytest.fixture
def notified(golden):
    """Maria's three abnormal A1c results are in the In Basket."""
    notifications_for_results(list(Observation.objects.using("golden").filter(loinc="4548-4")))
    connections["golden"].close()


def ok(step) -> dict:
    assert step.error == "", step.error
    return step.observation["last_action_result"]


def test_it_lists_a_patients_open_notifications_newest_first_with_counts(alice):
    episode = start(alice)

    listed = ok(act(episode, type="list_inbasket", mrn=MARIA_MRN, kind="abnormal"))

    assert [n["value"] for n in listed["notifications"]] == [6.9, 7.4, 8.1]
    assert {n["kind"] for n in listed["notifications"]} == {"abnormal"}
    assert listed["open_counts"] == {"critical": 0, "abnormal": 3, "normal": 0}
    assert act(episode, type="list_inbasket", mrn=MARIA_MRN, kind="abnormal").observation["route"] == (
        f"/patients/{MARIA_MRN}/inbasket/?kind=abnormal")
    assert ok(act(episode, type="list_inbasket", mrn=JAMES_MRN))["notifications"] == []
    assert ok(act(episode, type="list_inbasket", kind="critical"))["count"] == 0


def test_it_acknowledges_with_a_comment_and_audits_the_step_in_the_episode_only(alice):
    episode = start(alice)
    newest = ok(act(episode, type="list_inbasket", mrn=MARIA_MRN))["notifications"][0]

    done = ok(act(episode, type="acknowledge_result", notification_id=newest["id"], comment="Seen; plan repeat."))

    assert done["notification"]["status"] == "acknowledged" and done["notification"]["comment"] == "Seen; plan repeat."
    assert done["open_counts"]["abnormal"] == 2
    assert ok(act(episode, type="list_inbasket", mrn=MARIA_MRN, status="acknowledged"))["count"] == 1
    episode.refresh_from_db()
    with bind_episode(episode):
        event = AuditEvent.objects.get(action="inbasket.acknowledge")
        assert (event.actor, event.episode_step, event.details["comment"]) == ("alice", 2, "Seen; plan repeat.")
    assert not ResultNotification.objects.using("golden").exclude(status="new").exists()


def test_it_routes_a_result_to_the_chart_and_shows_its_history(alice):
    episode = start(alice)
    newest = ok(act(episode, type="list_inbasket", mrn=MARIA_MRN))["notifications"][0]

    step = act(episode, type="route_result", notification_id=newest["id"])

    routed = ok(step)
    assert routed["notification"]["status"] == "routed"
    assert [r["value"] for r in routed["results"]] == [6.9, 7.4, 8.1]
    assert step.observation["route"] == (f"/patients/{MARIA_MRN}/results/4548-4/")


def test_it_refuses_an_unknown_or_already_acknowledged_notification_with_a_clear_error(alice):
    episode = start(alice)
    unknown = act(episode, type="acknowledge_result", notification_id=999999)
    assert "No result notification #999999" in unknown.error and unknown.reward == -INVALID_ACTION_PENALTY
    newest = ok(act(episode, type="list_inbasket", mrn=MARIA_MRN))["notifications"][0]
    ok(act(episode, type="acknowledge_result", notification_id=newest["id"]))
    again = act(episode, type="acknowledge_result", notification_id=newest["id"])
    assert "already acknowledged by alice" in again.error
    bad = act(episode, type="list_inbasket", kind="urgent")
    assert "kind" in bad.error
