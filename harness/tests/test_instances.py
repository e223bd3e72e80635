"""Instances: seeded sampling over patients × variants, rendering from the episode's own chart at reset."""

import pytest
from django.core.exceptions import ValidationError

from agentenv.models import Episode
from harness.instances import instance_preview, instance_space
from harness.models import Task
from harness.tests.conftest import ENV_DBS, act, reset

pytestmark = [ENV_DBS, pytest.mark.usefixtures("chart")]

LATEST = "ehr/laboratory-medicine.latest-result-v1"


def test_it_spreads_seeds_over_patients_and_variants(alice):
    task = Task.objects.get(task_id=LATEST)
    space = instance_space(task)

    previews = [instance_preview(task=task, seed=seed) for seed in range(12)]

    assert len(space) == len(set(space)) > 20
    assert len({p.patient_mrn for p in previews}) > 3 and len({p.variant for p in previews}) > 3
    assert all((p.variant, p.patient_mrn) in space for p in previews)


def test_it_fills_the_goal_and_the_expected_answer_from_the_episodes_chart(alice):
    episode = reset(alice, LATEST, seed=4)
    instance = episode.task_instance
    shown = act(episode, type="get_observations", mrn=episode.patient_mrn, loinc=instance["facts"]["result"]["loinc"])

    assert episode.task_id == LATEST and episode.instruction == instance["instruction"]
    assert f"(MRN {episode.patient_mrn})" in episode.instruction
    assert instance["params"]["patient_name"] in episode.instruction
    assert shown.observation["goal"] == episode.instruction
    newest = shown.observation["last_action_result"]["observations"][0]
    assert instance["facts"]["result"]["answer"] in instance["facts"]["result"]["values"]
    assert newest["value"] in instance["facts"]["result"]["values"]
    assert instance["rubric"][0]["expected"] == instance["facts"]["result"]["values"]


def test_it_takes_the_step_limit_from_the_task_and_keeps_the_seed(alice):
    episode = reset(alice, LATEST, seed=4)

    assert (episode.step_limit, episode.seed) == (Task.objects.get(task_id=LATEST).step_limit, 4)
    assert reset(alice, LATEST, seed=4, step_limit=5).step_limit == 5


def test_it_asks_one_patients_instance_when_given_the_patient(alice):
    task = Task.objects.get(task_id=LATEST)
    mrn = instance_space(task)[-1][1]

    assert reset(alice, LATEST, seed=123, patient_mrn=mrn).patient_mrn == mrn
    with pytest.raises(ValidationError) as raised:
        reset(alice, "ehr/medication-safety.antibiotic-penicillin-allergy-v1", patient_mrn="0000000")
    assert "is not eligible" in raised.value.message_dict["patient_mrn"][0]


def test_it_refuses_drafts_unknown_tasks_and_modes_the_task_does_not_allow(alice):
    Task.objects.filter(task_id=LATEST).update(status=Task.Status.DRAFT, allowed_actions=Task.ActionSet.BROWSER)

    with pytest.raises(ValidationError, match="No published task"):
        reset(alice, LATEST)
    with pytest.raises(ValidationError, match="No published task 'ehr/nothing.here-v1'"):
        reset(alice, "ehr/nothing.here-v1")
    with pytest.raises(ValidationError, match="reset with mode browser"):
        reset(alice, LATEST, allow_draft_task=True)
    with pytest.raises(ValidationError, match="give task_id or instruction"):
        reset(alice, "ehr/emergency-care.triage-intake-v1", instruction="Do something else.")
    assert not Episode.objects.exists()


def test_it_holds_a_semantic_only_task_to_semantic_actions(alice):
    Task.objects.filter(task_id=LATEST).update(allowed_actions=Task.ActionSet.SEMANTIC)
    episode = reset(alice, LATEST, seed=0)

    refused = act(episode, type="noop")
    done = act(episode, type="finish")

    assert refused.error == "This task is done with semantic actions only: noop is a browser action."
    assert done.terminated and done.error == ""


def test_it_leaves_no_trace_when_the_chart_cannot_support_the_instance(alice):
    broken = Task.objects.create(
        task_id="ehr/laboratory-medicine.missing-lab-v1", title="A lab nobody has", tier="skill",
        domain="laboratory-medicine", instruction="Report {lab}.", oracle="laboratory-medicine.latest-result",
        facts={"lab": {"fact": "latest_observation", "loincs": ["0000-0"]}},
        rubric=[{"kind": "answer_matches", "expected": "{lab}"}], status=Task.Status.PUBLISHED,
    )

    with pytest.raises(ValidationError) as raised:
        reset(alice, broken.task_id, seed=0)

    assert "cannot be asked of patient" in raised.value.message_dict["task_id"][0]
    assert "has no numeric result of 0000-0" in raised.value.message_dict["task_id"][0]
    assert not Episode.objects.exists()
