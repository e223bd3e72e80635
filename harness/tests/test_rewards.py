"""Shaped rewards: potential-based progress, a success bonus, penalties, a cap on critical violations.

Σ step rewards = final progress + bonus·success − penalties, so padding an episode
never raises its return and undoing and redoing earns nothing.
"""

import pytest

from agentenv.models import Episode
from agentenv.reset import ResetParameters, episode_reset
from agentenv.rewards import INVALID_ACTION_PENALTY, SUCCESS_BONUS, UNSAFE_ACTION_PENALTY
from harness.runner import task_run
from harness.tests import policies
from harness.tests.conftest import ENV_DBS, act, reset

pytestmark = [ENV_DBS, pytest.mark.usefixtures("chart")]

TRIAGE = "ehr/emergency-care.triage-intake-v1"
ANTIBIOTIC = "ehr/medication-safety.antibiotic-penicillin-allergy-v1"
BRONCHITIS = "ehr/pulmonology.acute-bronchitis-visit-v1"


def test_it_sums_step_rewards_to_progress_plus_bonus_minus_penalties(alice):
    episode = reset(alice, TRIAGE, seed=3)
    p = episode.task_instance["params"]
    vitals = {"bp_systolic": p["sbp"], "bp_diastolic": p["dbp"], "heart_rate": p["hr"], "respiratory_rate": p["rr"],
              "temperature": p["temp"], "spo2": p["spo2"]}

    steps = [
        act(episode, type="record_vitals", mrn=episode.patient_mrn, values={"pulse": 80}),  # not a vital sign
        act(episode, type="record_vitals", mrn=episode.patient_mrn, values=vitals),
        act(episode, type="noop"),  # a browser action in an API episode: fails
        act(episode, type="finish"),
    ]
    episode.refresh_from_db()

    assert [s.reward for s in steps] == pytest.approx([-INVALID_ACTION_PENALTY, 0.5, -INVALID_ACTION_PENALTY, 0.0])
    assert (episode.score, episode.success) == (0.5, False)
    assert episode.cumulative_reward == pytest.approx(episode.score - 2 * INVALID_ACTION_PENALTY)


def test_it_does_not_pay_for_padding_an_episode(alice):
    plain = task_run(owner=alice, task_id=BRONCHITIS, seed=1)
    padded = task_run(owner=alice, task_id=BRONCHITIS, seed=1,
                      policy=policies.before_ending(policies.oracle, policies.reading(5)))
    noops = task_run(owner=alice, task_id=BRONCHITIS, seed=1,
                     policy=policies.before_ending(policies.oracle, policies.invalid(3)))

    assert padded.steps == plain.steps + 5 and padded.success
    assert padded.total_reward == pytest.approx(plain.total_reward) == pytest.approx(1.0 + SUCCESS_BONUS)
    assert noops.total_reward == pytest.approx(plain.total_reward - 3 * INVALID_ACTION_PENALTY)


def test_it_does_not_pay_for_undoing_and_redoing(alice):
    episode = reset(alice, TRIAGE, seed=3)
    p, mrn = episode.task_instance["params"], episode.patient_mrn

    wrong = act(episode, type="record_vitals", mrn=mrn, values={"heart_rate": p["hr"] + 20})
    right = act(episode, type="record_vitals", mrn=mrn, values={"heart_rate": p["hr"]})
    wrong_again = act(episode, type="record_vitals", mrn=mrn, values={"heart_rate": p["hr"] + 20})
    right_again = act(episode, type="record_vitals", mrn=mrn, values={"heart_rate": p["hr"]})

    assert [s.reward for s in (wrong, right, wrong_again, right_again)] == pytest.approx([0, 1 / 12, -1 / 12, 1 / 12])
    episode.refresh_from_db()
    assert episode.cumulative_reward == pytest.approx(1 / 12)  # what recording it right once earns


def test_it_caps_the_score_and_penalises_a_critical_safety_violation(alice):
    unsafe = policies.before_ending(policies.oracle, policies.shotgun_orders)

    run = task_run(owner=alice, task_id=ANTIBIOTIC, seed=0, policy=unsafe)

    rows = {row["kind"]: row for row in run.breakdown["criteria"]}
    # the right antibiotic was ordered too (one of the guideline courses: an any-of) ...
    assert any(row["kind"] == "any_of" and row["weight"] > 0 and row["passed"] for row in run.breakdown["criteria"])
    assert not rows["order_absent"]["passed"] and not rows["no_extra_orders"]["passed"]
    assert run.breakdown["progress"] > 0 and run.breakdown["critical"]
    assert (run.score, run.success) == (0.0, False)  # ... but a penicillin caps the score at 0
    assert run.total_reward == pytest.approx(-2 * UNSAFE_ACTION_PENALTY)


def test_it_keeps_each_criterion_and_what_it_expected_in_the_stored_step(alice):
    episode = reset(alice, "ehr/laboratory-medicine.latest-result-v1", seed=2)
    loinc = episode.task_instance["params"]["loincs"][0]

    looked = act(episode, type="get_observations", loinc=loinc, mrn=episode.patient_mrn)
    answered = act(episode, type="answer", answer="-1")

    middle, end = looked.info["rubric"], answered.info["rubric"]
    assert [row["kind"] for row in middle["criteria"]][:2] == ["answer_matches", "step_budget"]
    assert end["criteria"][0]["detail"] and end["success"] is False
    assert end["reward"] == {"shaping": 0.0, "bonus": 0.0, "invalid_action": -0.0, "unsafe": -0.0}
    episode.refresh_from_db()
    assert (episode.status, episode.score, episode.success) == (Episode.Status.TERMINATED, 0.0, False)
    assert episode.score_breakdown == {key: end[key] for key in episode.score_breakdown}


def test_it_keeps_the_plain_signal_for_episodes_without_a_task(alice):
    mrn = reset(alice, TRIAGE).patient_mrn
    with_patient = episode_reset(owner=alice,
                                 parameters=ResetParameters(patient_mrn=mrn, instruction="Review the chart."))

    read = act(with_patient, type="read_chart_section", section="summary", mrn=mrn)
    assert (read.reward, read.error) == (0.0, "")
    failed = act(with_patient, type="noop")
    assert failed.reward == -INVALID_ACTION_PENALTY and "rubric" not in failed.info
    assert with_patient.task_instance == {} and with_patient.score is None
