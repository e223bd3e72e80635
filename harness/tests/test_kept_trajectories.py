"""A step's rubric sees the whole trajectory without reading it again (agentenv.kept_trajectories): a process keeps each
episode's trajectory as its last committed step left it. Reading every earlier step's rows and JSON at each step
made step N cost O(N). What is kept must be what the database holds, and a step this process cannot take from it
(another process took the step before, the trajectory was let go) must score the same from the database."""

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext

from agentenv import kept_trajectories as trajectory
from agentenv.close import episode_close
from agentenv.models import Step
from clinical.models import AuditEvent
from harness.tests.conftest import ENV_DBS, act, reset

pytestmark = [ENV_DBS, pytest.mark.usefixtures("chart")]

TRIAGE = "ehr/emergency-care.triage-intake-v1"


def actions_of(episode) -> list[dict]:
    """A triage episode's steps: a failing action, two partial recordings, a read, an undo and a finish."""
    p, mrn = episode.task_instance["params"], episode.patient_mrn
    return [
        {"type": "record_vitals", "mrn": mrn, "values": {"pulse": 80}},
        {"type": "record_vitals", "mrn": mrn, "values": {"heart_rate": p["hr"]}},
        {"type": "read_chart_section", "section": "vitals", "mrn": mrn},
        {"type": "record_vitals", "mrn": mrn, "values": {"heart_rate": p["hr"] + 20}},
        {"type": "record_vitals", "mrn": mrn, "values": {"bp_systolic": p["sbp"], "bp_diastolic": p["dbp"]}},
        {"type": "finish"},
    ]


def act_committed(episode, capture, **action):
    """A step, and what runs once it commits (the test's transaction never does)."""
    with capture(execute=True):
        return act(episode, **action)


def test_what_a_process_keeps_is_what_the_database_holds(alice, django_capture_on_commit_callbacks):
    episode = reset(alice, TRIAGE, seed=3)
    for action in actions_of(episode)[:-1]:
        act_committed(episode, django_capture_on_commit_callbacks, **action)
        episode.refresh_from_db()
        kept = trajectory._kept[episode.pk]
        assert kept.steps == episode.step_count
        assert kept == trajectory._read(episode, episode.step_count + 1)


def test_a_step_does_not_read_the_earlier_steps_again(alice, django_capture_on_commit_callbacks):
    episode = reset(alice, TRIAGE, seed=3)
    for action in actions_of(episode)[:3]:
        act_committed(episode, django_capture_on_commit_callbacks, **action)
    episode.refresh_from_db()
    with CaptureQueriesContext(connections["default"]) as queries:
        act_committed(episode, django_capture_on_commit_callbacks, type="read_chart_section", section="summary",
                      mrn=episode.patient_mrn)
    step_table = Step._meta.db_table
    assert not [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT") and step_table in q["sql"]]


def test_a_step_scores_the_same_when_its_trajectory_is_read_from_the_database(alice,
                                                                              django_capture_on_commit_callbacks):
    kept_episode, read_episode = reset(alice, TRIAGE, seed=3), reset(alice, TRIAGE, seed=3)
    kept, read = [], []
    for action in actions_of(kept_episode):
        kept.append(act_committed(kept_episode, django_capture_on_commit_callbacks, **action))
        assert trajectory._kept[kept_episode.pk].steps == len(kept)
        # As if another process had taken every step of this one: nothing kept here.
        trajectory.trajectory_forget(read_episode.pk)
        read.append(act(read_episode, **action))
        trajectory.trajectory_forget(read_episode.pk)
    assert [step.reward for step in kept] == pytest.approx([step.reward for step in read])
    assert [step.info["rubric"] for step in kept] == [step.info["rubric"] for step in read]
    assert kept[-1].terminated and sum(step.reward for step in kept) != 0


def test_a_closed_episode_is_let_go_and_the_kept_ones_are_bounded(alice, monkeypatch,
                                                                   django_capture_on_commit_callbacks):
    episode = reset(alice, TRIAGE, seed=3)
    act_committed(episode, django_capture_on_commit_callbacks, **actions_of(episode)[1])
    assert episode.pk in trajectory._kept
    episode_close(episode=episode)
    assert episode.pk not in trajectory._kept

    monkeypatch.setattr(trajectory, "MAX_EPISODES", 3)
    monkeypatch.setattr(trajectory, "MAX_ACTION_BYTES", 200)
    one_step = trajectory.Trajectory(0).extended(action={"type": "finish"}, route="/", potential=0.0, violated=[])
    for name in "abcd":
        trajectory.trajectory_remember(name, one_step)
    assert [key for key in trajectory._kept if key in "abcd"] == ["b", "c", "d"]
    big = one_step.extended(action={"type": "answer", "answer": "x" * 300}, route="/", potential=0.0, violated=[])
    trajectory.trajectory_remember("e", big)
    assert [key for key in trajectory._kept if key in "abcde"] == ["e"]  # the newest stays, however large
    for name in "abcde":
        trajectory.trajectory_forget(name)
    assert trajectory._kept_bytes == sum(kept.action_bytes for kept in trajectory._kept.values())


def _audit_reads(episode, capture, **action) -> int:
    """Queries of the audit events table that a step made on the episode's database."""
    with CaptureQueriesContext(connections[episode.database_alias]) as queries:
        act_committed(episode, capture, **action)
    table = AuditEvent._meta.db_table
    return sum(1 for q in queries.captured_queries if q["sql"].startswith("SELECT") and table in q["sql"])


def test_steps_of_an_episode_that_recorded_no_audit_event_read_none_back(alice, django_capture_on_commit_callbacks):
    # Most steps only read the chart: reading the (no) events back cost a query at every step.
    episode = reset(alice, TRIAGE, seed=3)
    read, write = actions_of(episode)[2], actions_of(episode)[1]
    assert [_audit_reads(episode, django_capture_on_commit_callbacks, **read) for _ in range(3)] == [0, 0, 0]

    # Once a step recorded some, every later step reads them.
    assert _audit_reads(episode, django_capture_on_commit_callbacks, **write) == 1
    assert _audit_reads(episode, django_capture_on_commit_callbacks, **read) == 1

    # A trajectory this process did not keep (another took the steps) says nothing of them: they are read.
    fresh = reset(alice, TRIAGE, seed=3)
    act_committed(fresh, django_capture_on_commit_callbacks, **read)
    trajectory.trajectory_forget(fresh.pk)
    fresh.refresh_from_db()
    assert _audit_reads(fresh, django_capture_on_commit_callbacks, **read) == 1
