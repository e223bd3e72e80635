"""FHIR writes on an episode are the semantic actions, audited and scored by the task's rubric; decision
support answers 422 unless an override reason comes with the order."""

import requests
from fhirclient.models.medicationrequest import MedicationRequest
from fhirclient.models.observation import Observation
from fhirclient.models.servicerequest import ServiceRequest

from agentenv.models import Episode
from agentenv.routing import bind_episode
from fhirapi.tests.conftest import episode_started
from fhirapi.writes import OVERRIDE_REASON_URL
from orders.models import Order, OrderAlert

RECORD_BP = "ehr/documentation.record-blood-pressure-v1"
ORTHO_REFERRAL = "ehr/navigation-and-chart-review.orthopedic-referral-v1"
VITALS = {"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "vital-signs"}


def _finish(base) -> Episode:
    answer = requests.post(f"{base.base_url.split('/fhir/r4/')[0]}/step", json={"action": {"type": "finish"}},
                           headers={"Authorization": f"Bearer {base.token}"}, timeout=60)
    assert answer.status_code == 200, answer.text
    return base.refreshed()


def _blood_pressure(mrn: str, systolic: float, diastolic: float) -> Observation:
    return Observation({
        "resourceType": "Observation", "status": "final", "category": [{"coding": [VITALS]}],
        "code": {"coding": [{"system": "http://loinc.org", "code": "85354-9"}], "text": "Blood pressure"},
        "subject": {"reference": f"Patient/{mrn}"},
        "component": [
            {"code": {"coding": [{"system": "http://loinc.org", "code": "8480-6"}]},
             "valueQuantity": {"value": systolic, "unit": "mmHg", "system": "http://unitsofmeasure.org",
                               "code": "mm[Hg]"}},
            {"code": {"coding": [{"system": "http://loinc.org", "code": "8462-4"}]},
             "valueQuantity": {"value": diastolic, "unit": "mmHg", "system": "http://unitsofmeasure.org",
                               "code": "mm[Hg]"}},
        ],
    })


def test_a_blood_pressure_posted_to_the_episode_meets_the_record_vitals_task(chart, live_server, alice):
    base = episode_started(live_server.url, alice.auth_token.key, task_id=RECORD_BP, seed=1)
    params = base.episode.task_instance["params"]
    created = _blood_pressure(base.mrn, params["sbp"], params["dbp"]).create(base.server)
    assert created["resourceType"] == "Observation" and created["valueQuantity"]["value"] == params["sbp"]
    assert Observation.read(created["id"], base.server).code.coding[0].code == "8480-6"
    episode = base.refreshed()
    assert episode.step_count == 1 and episode.cumulative_reward > 0  # one record_vitals step, scored
    assert episode.steps.get().action["type"] == "record_vitals"
    episode = _finish(base)
    assert episode.success is True and episode.score == 1


def test_a_referral_posted_as_a_service_request_is_placed_signed_and_scored(chart, live_server, alice):
    base = episode_started(live_server.url, alice.auth_token.key, task_id=ORTHO_REFERRAL, seed=2)
    reason = base.episode.task_instance["params"]["reason"]
    request = ServiceRequest({
        "resourceType": "ServiceRequest", "status": "active", "intent": "order", "priority": "routine",
        "code": {"coding": [{"system": "http://snomed.info/sct", "code": "183545006"}]},
        "subject": {"reference": f"Patient/{base.mrn}"}, "note": [{"text": reason}],
    })
    created = request.create(base.server)
    assert created["status"] == "active" and created["note"][0]["text"] == reason
    assert [a["type"] for a in base.refreshed().steps.order_by("index").values_list("action", flat=True)][:2] == \
        ["place_order", "sign_orders"]
    found = list(ServiceRequest.where({"patient": base.mrn, "status": "active", "code": "183545006"})
                 .perform_resources_iter(base.server))
    assert [r.id for r in found] == [created["id"]]
    assert _finish(base).success is True


def _acetaminophen(mrn: str, dose: float, *, reason: str = "") -> MedicationRequest:
    resource = {
        "resourceType": "MedicationRequest", "status": "active", "intent": "order", "priority": "routine",
        "medicationCodeableConcept": {"coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm",
                                                  "code": "198440"}]},
        "subject": {"reference": f"Patient/{mrn}"},
        "dosageInstruction": [{"route": {"text": "oral"}, "timing": {"code": {"text": "Q6H"}},
                               "doseAndRate": [{"doseQuantity": {"value": dose, "unit": "mg"}}]}],
    }
    if reason:
        resource["extension"] = [{"url": OVERRIDE_REASON_URL, "valueString": reason}]
    return MedicationRequest(resource)


def test_a_high_alert_is_a_422_naming_it_and_nothing_stays_active(chart_episode):
    base, headers = chart_episode, {"Authorization": f"Bearer {chart_episode.token}",
                                    "Content-Type": "application/fhir+json"}
    answer = requests.post(f"{base.base_url}MedicationRequest", json=_acetaminophen(base.mrn, 2000).as_json(),
                           headers=headers, timeout=60)
    assert answer.status_code == 422 and answer.headers["Content-Type"].startswith("application/fhir+json")
    issue = answer.json()["issue"][0]
    assert issue["code"] == "business-rule" and "Dose above maximum" in issue["diagnostics"]
    assert {c["code"] for c in issue["details"]["coding"]} == {"dose_range"}
    with bind_episode(base.episode):
        orders = list(Order.objects.filter(patient__mrn=base.mrn, code="198440"))
    assert [order.status for order in orders] == [Order.Status.CANCELLED]
    active = next(MedicationRequest.where({"patient": base.mrn, "category": "inpatient"}).perform_iter(base.server))
    assert active.total == 0

    why = "Severe pain; dose reviewed with pharmacy."
    created = _acetaminophen(base.mrn, 2000, reason=why).create(base.server)
    assert created["status"] == "active" and created["category"][0]["coding"][0]["code"] == "inpatient"
    assert created["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"]["value"] == 2000
    with bind_episode(base.episode):
        signed = Order.objects.get(patient__mrn=base.mrn, code="198440", status=Order.Status.ACTIVE)
        overridden = list(OrderAlert.objects.filter(order=signed, severity="high").values_list("status",
                                                                                                 "override_reason"))
    assert overridden and all(row == ("overridden", why) for row in overridden)
    assert MedicationRequest.read(created["id"], base.server).medicationCodeableConcept.coding[0].code == "198440"


def test_a_single_vital_is_recorded_in_its_unit_and_a_wrong_unit_is_refused(chart_episode):
    base = chart_episode
    heart_rate = {
        "resourceType": "Observation", "status": "final", "effectiveDateTime": "2024-05-01T08:30:00-04:00",
        "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4"}]},
        "subject": {"reference": f"Patient/{base.mrn}"}, "valueQuantity": {"value": 72, "unit": "/min"},
    }
    created = Observation(heart_rate).create(base.server)
    assert created["effectiveDateTime"].startswith("2024-05-01T08:30:00")
    found = list(Observation.where({"patient": base.mrn, "code": "8867-4", "date": "2024-05-01"})
                 .perform_resources_iter(base.server))
    assert created["id"] in {o.id for o in found}
    wrong = {**heart_rate, "valueQuantity": {"value": 72, "unit": "kg"}}
    answer = requests.post(f"{base.base_url}Observation", json=wrong, timeout=60,
                           headers={"Authorization": f"Bearer {base.token}"})
    assert answer.status_code == 422 and "recorded in /min" in answer.json()["issue"][0]["diagnostics"]
