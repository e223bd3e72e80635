"""Who may use which FHIR base, and every client mistake answered as an OperationOutcome with its status."""

import pytest
import requests
from django.contrib.auth import get_user_model
from fhirclient.models.observation import Observation
from fhirclient.models.patient import Patient
from rest_framework.authtoken.models import Token

from clinical.tests import factories
from fhirapi.tests.conftest import fhir_server

HEART_RATE = {"resourceType": "Observation", "status": "final",
              "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4"}]},
              "valueQuantity": {"value": 70, "unit": "/min"}}


def _outcome(answer, status: int) -> str:
    assert answer.status_code == status, answer.text
    assert answer.headers["Content-Type"].startswith("application/fhir+json")
    body = answer.json()
    assert body["resourceType"] == "OperationOutcome"
    return body["issue"][0]["diagnostics"]


@pytest.fixture
def main_chart(db):
    """Alice Walker's chart in the main database (factories), served at /fhir/r4/."""
    return factories.make_alice()


def test_the_main_database_is_read_with_a_token_and_written_by_staff_only(live_server, main_chart, staff, reader):
    base = f"{live_server.url}/fhir/r4/"
    assert _outcome(requests.get(f"{base}Patient", timeout=30), 401)
    assert _outcome(requests.get(f"{base}Patient", headers={"Authorization": "Bearer nope"}, timeout=30), 401)
    rita = fhir_server(base, reader[1])
    assert [p.id for p in Patient.where({"family": "walker"}).perform_resources_iter(rita)] == [main_chart.mrn]
    body = {**HEART_RATE, "subject": {"reference": f"Patient/{main_chart.mrn}"}}
    refused = requests.post(f"{base}Observation", json=body, headers={"Authorization": f"Token {reader[1]}"},
                            timeout=30)
    assert "Only staff" in _outcome(refused, 403)
    created = Observation(body).create(fhir_server(base, staff[1]))
    assert created["valueQuantity"]["value"] == 70
    assert main_chart.observations.filter(loinc="8867-4", recorded_by="sam").count() == 1  # no episode: main DB


def test_public_reads_open_the_main_database_to_reads_only(live_server, main_chart, settings):
    # For harnesses that send no token (MedAgentBench's), on a loopback server: reads only, never an episode's.
    base = f"{live_server.url}/fhir/r4/"
    settings.EHRGYM_FHIR_PUBLIC_READS = True
    answer = requests.get(f"{base}Patient", params={"family": "walker"}, timeout=30)
    assert answer.status_code == 200 and answer.json()["entry"][0]["resource"]["id"] == main_chart.mrn
    body = {**HEART_RATE, "subject": {"reference": f"Patient/{main_chart.mrn}"}}
    assert _outcome(requests.post(f"{base}Observation", json=body, timeout=30), 401)
    episode_base = f"{live_server.url}/api/v1/episodes/00000000-0000-0000-0000-000000000000/fhir/r4/"
    assert _outcome(requests.get(f"{episode_base}Patient", timeout=30), 401)


def test_an_episode_base_is_its_owners_and_closes_with_the_episode(chart, live_server, alice):
    from fhirapi.tests.conftest import busiest_patient, episode_started

    mrn, _ = busiest_patient()
    base = episode_started(live_server.url, alice.auth_token.key, patient_mrn=mrn, instruction="Review the chart.")
    bob = get_user_model().objects.create_user("bob")
    bobs = {"Authorization": f"Bearer {Token.objects.create(user=bob).key}"}
    assert _outcome(requests.get(f"{base.base_url}Patient/{mrn}", headers=bobs, timeout=30), 404) == \
        "No such episode."
    assert _outcome(requests.get(f"{base.base_url}Patient/{mrn}", timeout=30), 401)
    owner = {"Authorization": f"Bearer {base.token}"}
    assert requests.get(f"{base.base_url}Patient/{mrn}", headers=owner, timeout=30).status_code == 200
    closed = requests.delete(base.base_url.split("/fhir/r4/")[0], headers=owner, timeout=30)
    assert closed.status_code == 200
    assert "closed" in _outcome(requests.get(f"{base.base_url}Patient/{mrn}", headers=owner, timeout=30), 409)
    post = requests.post(f"{base.base_url}Observation", headers=owner, timeout=30,
                         json={**HEART_RATE, "subject": {"reference": f"Patient/{mrn}"}})
    assert _outcome(post, 409)


def test_client_mistakes_are_operation_outcomes(live_server, main_chart, staff):
    base, token = f"{live_server.url}/fhir/r4/", staff[1]
    headers = {"Authorization": f"Bearer {token}"}

    def get(path: str, **params):
        return requests.get(f"{base}{path}", params=params, headers=headers, timeout=30)

    def post(path: str, data: bytes):
        return requests.post(f"{base}{path}", data=data, timeout=30,
                             headers={**headers, "Content-Type": "application/fhir+json"})

    assert "Unknown resource type 'Medication'" in _outcome(get("Medication"), 404)
    assert "Unknown search parameter 'colour'" in _outcome(get("Observation", colour="red"), 400)
    assert "modifiers" in _outcome(get("Patient", **{"name:exact": "Alice"}), 400)
    assert "Invalid date" in _outcome(get("Observation", date="2024-02-30"), 400)
    assert "Invalid date" in _outcome(get("Observation", date="yesterday"), 400)
    assert "Unsupported date prefix 'sa'" in _outcome(get("Observation", date="sa2024"), 400)
    assert "_count" in _outcome(get("Observation", _count="-1"), 400)
    assert "_sort" in _outcome(get("Patient", _sort="date"), 400)
    assert "No Observation with id 'nope'" in _outcome(get("Observation/nope"), 404)
    assert "No Patient" in _outcome(get("Patient/0000"), 404)
    assert "NUL" in _outcome(get("Patient", name="a\x00b"), 400)
    assert _outcome(get("Patient/x/y/z"), 404)
    assert "Malformed JSON" in _outcome(post("Observation", b"{not json"), 400)
    assert "resourceType is 'Patient'" in _outcome(post("Observation", b'{"resourceType": "Patient"}'), 400)
    assert "NUL" in _outcome(post("Observation", b'{"resourceType": "Observation", "status": "a\\u0000"}'), 400)
    assert "NUL" in _outcome(post("Observation", b'{"resourceType": "Observation"}\x00'), 400)
    assert "Not a valid R4 Observation" in _outcome(post("Observation", b'{"resourceType": "Observation"}'), 400)
    assert "read-only" in _outcome(post("Patient", b'{"resourceType": "Patient"}'), 405)
    unknown_patient = {**HEART_RATE, "subject": {"reference": "Patient/0000"}}
    assert "No patient" in _outcome(requests.post(f"{base}Observation", json=unknown_patient, headers=headers,
                                                  timeout=30), 422)
    not_a_vital = {**HEART_RATE, "code": {"coding": [{"system": "http://loinc.org", "code": "2345-7"}]},
                   "subject": {"reference": f"Patient/{main_chart.mrn}"}}
    assert "Only vital signs" in _outcome(requests.post(f"{base}Observation", json=not_a_vital, headers=headers,
                                                        timeout=30), 422)
