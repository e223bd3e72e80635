"""Every episode works on its own copy: episodes never see each other's changes, and
the golden database never changes, however many episodes run."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections

from agentenv.routing import bind_episode
from agentenv.tests.conftest import EPISODE_DBS, MARIA_MRN, act, start
from clinical.models import Allergy, AuditEvent, Condition, Observation, Patient

pytestmark = [EPISODE_DBS, pytest.mark.usefixtures("golden")]


def _problems(episode) -> list[str]:
    step = act(episode, type="read_chart_section", section="problems", mrn=MARIA_MRN)
    return sorted(p["display"] for p in step.observation["last_action_result"]["active"])


def test_it_keeps_two_episodes_on_the_same_patient_apart(alice, bob):
    first, second = start(alice), start(bob)

    act(first, type="add_problem", mrn=MARIA_MRN, code="38341003", display="Hypertension")
    act(second, type="set_code_status", mrn=MARIA_MRN, code_status="comfort")
    act(second, type="add_problem", mrn=MARIA_MRN, code="195967001", display="Asthma")

    assert _problems(first) == ["Diabetes mellitus type 2", "Hypertension"]
    assert _problems(second) == ["Asthma", "Diabetes mellitus type 2"]
    with bind_episode(first):
        assert Patient.objects.get(mrn=MARIA_MRN).code_status == "full"
    with bind_episode(second):
        assert Patient.objects.get(mrn=MARIA_MRN).code_status == "comfort"


def test_it_keeps_episodes_apart_when_their_steps_run_at_the_same_time(alice):
    episodes = [start(alice) for _ in range(4)]

    def run(numbered):
        number, episode = numbered
        try:
            for reading in range(5):
                # Each episode records its own heart rates: 60+number, 70+number, ...
                act(episode, type="record_vitals", mrn=MARIA_MRN, values={"heart_rate": 60 + 10 * reading + number})
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(run, enumerate(episodes)))

    for number, episode in enumerate(episodes):
        with bind_episode(episode):
            rates = sorted(Observation.objects.filter(loinc="8867-4").values_list("value_num", flat=True))
            assert rates == [60 + 10 * reading + number for reading in range(5)]
            assert set(AuditEvent.objects.values_list("episode_step", flat=True)) == {1, 2, 3, 4, 5}


def _golden_fingerprint() -> dict:
    golden = "golden"
    return {
        "patients": list(Patient.objects.using(golden).order_by("mrn").values_list("mrn", "code_status")),
        "conditions": list(Condition.objects.using(golden).order_by("pk").values_list("code", "clinical_status")),
        "allergies": Allergy.objects.using(golden).count(),
        "observations": Observation.objects.using(golden).count(),
        "audit_events": AuditEvent.objects.using(golden).count(),
    }


def test_it_never_changes_the_golden_database(alice):
    before = _golden_fingerprint()
    connections["golden"].close()

    for _ in range(3):
        episode = start(alice)
        act(episode, type="add_problem", mrn=MARIA_MRN, code="38341003", display="Hypertension")
        act(episode, type="set_code_status", mrn=MARIA_MRN, code_status="dnr")
        act(episode, type="add_allergy", mrn=MARIA_MRN, substance="Latex")
        act(episode, type="record_vitals", mrn=MARIA_MRN, values={"spo2": 91})
        act(episode, type="finish")

    assert _golden_fingerprint() == before


def test_it_keeps_the_main_database_out_of_episodes(alice):
    """A clinician's chart in the main database is not an episode's chart."""
    episode = start(alice)
    act(episode, type="add_allergy", mrn=MARIA_MRN, substance="Latex")
    assert not Patient.objects.using("default").exists() and not Allergy.objects.using("default").exists()


def test_an_episode_copy_commits_without_waiting_for_the_disk(alice):
    episode = start(alice)
    if not connections.settings[episode.database_alias]["ENGINE"].endswith("sqlite3"):
        pytest.skip("PostgreSQL copies keep the server's durability settings")
    with bind_episode(episode):
        with connections[episode.database_alias].cursor() as cursor:
            cursor.execute("PRAGMA synchronous")
            assert cursor.fetchone()[0] == 0  # OFF: the copy is thrown away with the episode
