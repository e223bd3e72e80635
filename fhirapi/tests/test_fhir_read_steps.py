"""FHIR reads on an episode are steps: each is recorded as the chart read it amounts to, so a task's rubric judges
an agent that reads through FHIR as it judges one that reads through the REST actions or the pages."""

import requests
from fhirclient.models.observation import Observation

from fhirapi.tests.conftest import episode_started

LATEST_GLUCOSE = "ehr/endocrinology.latest-glucose-v1"
GLUCOSE = ("2345-7", "2339-0")


def _answer(base, text: str):
    answer = requests.post(f"{base.base_url.split('/fhir/r4/')[0]}/step",
                           json={"action": {"type": "answer", "answer": text}},
                           headers={"Authorization": f"Bearer {base.token}"}, timeout=60)
    assert answer.status_code == 200, answer.text
    return base.refreshed()


def _newest_glucose(base) -> float:
    """One search, as an agent would send it (fhirclient's perform_resources would follow every next link)."""
    answer = requests.get(f"{base.base_url}Observation", timeout=60, headers={"Authorization": f"Bearer {base.token}"},
                          params={"patient": base.mrn, "code": ",".join(GLUCOSE), "_sort": "-date", "_count": "1"})
    assert answer.status_code == 200, answer.text
    return Observation(answer.json()["entry"][0]["resource"]).valueQuantity.value


def test_a_task_read_through_fhir_and_answered_succeeds(chart, live_server, alice):
    base = episode_started(live_server.url, alice.auth_token.key, task_id=LATEST_GLUCOSE, seed=3)
    value = _newest_glucose(base)

    episode = base.refreshed()
    assert episode.step_count == 1
    assert episode.steps.get().action == {"type": "read_chart_section", "section": "results", "mrn": base.mrn,
                                          "limit": 1}
    episode = _answer(base, f"{value} mg/dL")
    assert episode.success is True and episode.score == 1


def test_the_same_answer_without_reading_the_chart_earns_nothing(chart, live_server, alice):
    reader = episode_started(live_server.url, alice.auth_token.key, task_id=LATEST_GLUCOSE, seed=3)
    value = _newest_glucose(reader)
    guesser = episode_started(live_server.url, alice.auth_token.key, task_id=LATEST_GLUCOSE, seed=3)
    assert guesser.mrn == reader.mrn
    episode = _answer(guesser, f"{value} mg/dL")  # right, but not read in this episode
    assert episode.success is False


def test_reads_map_to_the_section_they_show(chart_episode):
    base = chart_episode
    for path in (f"Condition?patient={base.mrn}", f"Observation?patient=Patient/{base.mrn}&category=vital-signs",
                 f"Patient/{base.mrn}", f"ServiceRequest?patient={base.mrn}",
                 f"Patient?birthdate={base.episode.task_instance.get('dob', '1950-01-01')}", "metadata"):
        answer = requests.get(f"{base.base_url}{path}", headers={"Authorization": f"Bearer {base.token}"},
                              timeout=60)
        assert answer.status_code == 200, (path, answer.text)
    actions = [step.action for step in base.refreshed().steps.order_by("index")]
    assert [(a["type"], a.get("section")) for a in actions] == [
        ("read_chart_section", "problems"), ("read_chart_section", "vitals"), ("read_chart_section", "summary"),
        ("list_orders", None), ("search_patients", None)]  # metadata is no read of the chart
    assert all(a["mrn"] == base.mrn for a in actions[:4])
