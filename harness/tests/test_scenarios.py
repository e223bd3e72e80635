"""The MedAgentBench electrolyte tasks on every branch, with the scenario overlay's patients.

The oracle suite samples two seeds per template, which rarely land on a given branch of
a template with over a hundred variants. Here each branch of the potassium and magnesium
replacement tasks is asked explicitly (a patient of that branch, and the seed that names it),
run to the end with the oracle through the real step path, and must reach full success: with
the replacement order signed at the protocol dose where the result is low, and nothing
ordered where it is not, or where the magnesium protocol's renal exclusion applies.
"""

import pytest

from agentenv.models import Episode
from clinical.models import Observation, Patient
from harness import sampling
from harness.instances import GOLDEN, instance_space
from harness.models import Task
from harness.oracles import oracle_get
from harness.runner import task_run
from harness.tests.conftest import ENV_DBS
from seeddata.scenarios import is_scenario_id

pytestmark = [ENV_DBS, pytest.mark.usefixtures("chart")]

POTASSIUM = "ehr/laboratory-medicine.potassium-replacement-v1"
MAGNESIUM = "ehr/laboratory-medicine.magnesium-replacement-v1"
K_LOW = ["low, 10 mEq", "low, 20 mEq", "low, 30 mEq", "low, 40 mEq"]
MG_LOW = ["severe hypomagnesemia", "moderate hypomagnesemia", "mild hypomagnesemia"]
BRANCHES = ([(POTASSIUM, branch, "kcl-ordered") for branch in K_LOW]
            + [(MAGNESIUM, branch, "mg-ordered") for branch in MG_LOW]
            + [(POTASSIUM, "not low", "kcl-not-ordered"), (MAGNESIUM, "not low", "mg-not-ordered"),
               (MAGNESIUM, "none in window", "mg-not-ordered"), (MAGNESIUM, "eGFR below 30", "mg-not-ordered")])
MG_LOWER_LIMIT = 1.7  # the lab's reference range for serum magnesium: 1.7-2.2 mg/dL


def _scenario_patient(mrn: str) -> bool:
    patient = Patient.objects.using(GOLDEN).get(mrn=mrn)
    return any(is_scenario_id(fhir_id) for fhir_id in
               Observation.objects.using(GOLDEN).filter(patient=patient).values_list("fhir_id", flat=True))


def _instance_of(task: Task, branch: str) -> tuple[int, str, int]:
    """(variant, MRN, seed) of an instance on `branch`, a scenario patient's when there is one."""
    space = instance_space(task)
    on_branch = [(v, mrn) for v, mrn in space if task.variant_list[v]["branch"] == branch]
    assert on_branch, f"{task.task_id} has no instance on the branch {branch!r}"
    variant, mrn = next((pick for pick in on_branch if _scenario_patient(pick[1])), on_branch[0])
    return variant, mrn, seed_naming(task, variant, mrn)


def seed_naming(task: Task, variant: int, mrn: str) -> int:
    """The seed that names this instance among the patient's (a reset with patient_mrn), as sampling picks."""
    mine = [entry for entry in sampling.entries(task) if entry.mrn == mrn]
    return next(seed for seed in range(100_000)
                if (sampling.pick(mine, seed).variant, sampling.pick(mine, seed).mrn) == (variant, mrn))


def _recording(oracle, steps: list):
    """The oracle, keeping each action it takes with the observation that answered it."""
    def policy(instance):
        actions = oracle(instance)
        action = next(actions)
        while True:
            observation = yield action
            steps.append((action, observation))
            try:
                action = actions.send(observation)
            except StopIteration:
                return
    return policy


def _row(run, criterion_id: str) -> dict:
    return next(row for row in run.breakdown["criteria"] if row["id"] == criterion_id)


def _signed_orders(steps: list) -> list[dict]:
    signed = []
    for action, observation in steps:
        if action["type"] == "sign_orders":
            signed += observation["last_action_result"].get("signed", [])
    return signed


@pytest.mark.parametrize(("task_id", "branch", "criterion"), BRANCHES,
                         ids=[f"{t.rsplit('.', 1)[1]}:{b}" for t, b, _ in BRANCHES])
def test_the_oracle_solves_each_branch_of_the_electrolyte_tasks(alice, task_id, branch, criterion):
    task = Task.objects.get(task_id=task_id)
    variant, mrn, seed = _instance_of(task, branch)
    steps: list = []

    run = task_run(owner=alice, task_id=task_id, seed=seed, patient_mrn=mrn,
                   policy=_recording(oracle_get(task.oracle), steps))

    instance = Episode.objects.get(pk=run.episode_id).task_instance
    assert (instance["variant"], instance["patient_mrn"], instance["params"]["branch"]) == (variant, mrn, branch)
    assert run.errors == [] and run.status == "terminated"
    assert (run.score, run.success) == (1.0, True), run.breakdown
    row = _row(run, criterion)
    assert row["passed"] and row["required"], row
    placed = [action for action, _ in steps if action["type"] == "place_order"]
    if criterion.endswith("not-ordered"):
        assert placed == []
        if branch == "eGFR below 30":  # a low magnesium the protocol leaves to the physician
            assert 0 < instance["facts"]["reading"]["answer"] < MG_LOWER_LIMIT or not _scenario_patient(mrn)
        return
    reading, dose = instance["facts"]["reading"]["answer"], instance["params"]["dose"]
    if task_id == POTASSIUM:
        assert reading < 3.5 and dose == round((3.5 - reading) * 100) // 10 * 10
        assert _row(run, "k-recheck")["passed"]
        assert [(a["orderable"], a.get("dose")) for a in placed] == [("8591-po", dose), ("2823-3", None)]
    else:
        assert reading < MG_LOWER_LIMIT and dose == (4 if reading < 1.0 else 2 if reading < 1.5 else 1)
        assert [(a["orderable"], a["dose"], a["route"], a["frequency"]) for a in placed] == [
            ("6585-iv", dose, "IV", "ONCE")]
    signed = sorted((order["orderable"], order["dose"]) for order in _signed_orders(steps))
    assert signed == sorted((action["orderable"], action.get("dose")) for action in placed)


def test_the_low_potassium_and_magnesium_branches_come_from_the_scenario_overlay():
    for task_id, low in ((POTASSIUM, K_LOW), (MAGNESIUM, MG_LOW[:2])):
        task = Task.objects.get(task_id=task_id)
        mrns = {mrn for v, mrn in instance_space(task) if task.variant_list[v]["branch"] in low}
        assert mrns and all(_scenario_patient(mrn) for mrn in mrns), task_id
