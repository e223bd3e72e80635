"""In Basket criteria, each alone: only what the episode acknowledged or routed counts."""

from datetime import timedelta

import pytest
from django.utils import timezone

from clinical.tests import factories
from harness.tests.support import ACTOR, check, episode
from inbasket import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def bob():
    return factories.make_bob()


@pytest.fixture
def inbox(bob):
    at = timezone.now() - timedelta(hours=1)
    rows = [factories.add_observation(bob, "2823-3", "Potassium", 2.2, "mmol/L", at=at, flag="LL"),
            factories.add_observation(bob, "2951-2", "Sodium", 140, "mmol/L", at=at),
            factories.add_observation(bob, "2345-7", "Glucose", 90, "mg/dL", at=at),
            factories.add_observation(bob, "4548-4", "Hemoglobin A1c", 8.1, "%", at=at, flag="H")]
    return {n.observation.loinc: n for n in services.notifications_for_results(rows)}


ACKNOWLEDGED_K = {"kind": "notification_acknowledged", "kinds": ["critical"], "loinc": "2823-3",
                  "comment_required": True}


def test_an_acknowledgement_counts_only_in_the_episode_and_with_the_comment_asked_for(bob, inbox):
    assert not check(ACKNOWLEDGED_K, bob).passed
    services.notification_acknowledge(notification=inbox["2823-3"], actor=ACTOR, comment="")
    assert not check(ACKNOWLEDGED_K, bob).passed  # before the episode

    inbox["2823-3"].status = "new"
    inbox["2823-3"].save()
    with episode(2):
        services.notification_acknowledge(notification=inbox["2823-3"], actor=ACTOR)
    assert "with a comment" in check(ACKNOWLEDGED_K, bob).detail
    assert check({**ACKNOWLEDGED_K, "comment_required": False}, bob).passed


def test_every_normal_result_is_scored_by_the_share_acknowledged(bob, inbox):
    every = {"kind": "notification_acknowledged", "kinds": ["normal"], "every": True}
    with episode(1):
        services.notification_acknowledge(notification=inbox["2951-2"], actor=ACTOR)
    half = check(every, bob)
    assert (half.score, half.passed) == (0.5, False) and "1 of 2" in half.detail

    with episode(2):
        services.notification_acknowledge(notification=inbox["2345-7"], actor=ACTOR)
    assert check(every, bob).score == 1.0


def test_acknowledging_an_abnormal_result_breaks_left_open_and_routing_counts_separately(bob, inbox):
    left_open = {"kind": "notifications_left_open", "kinds": ["abnormal", "critical"]}
    routed = {"kind": "notification_routed", "kinds": ["abnormal"], "loinc": "4548-4"}
    assert check(left_open, bob).passed and not check(routed, bob).passed

    with episode(1):
        services.notification_route(notification=inbox["4548-4"], actor=ACTOR)
    assert check(routed, bob).passed and check(left_open, bob).passed
    with episode(2):
        services.notification_acknowledge(notification=inbox["4548-4"], actor=ACTOR)
    broken = check(left_open, bob)
    assert not broken.passed and "4548-4" in broken.detail
