"""Nothing the seed chart already holds earns credit: only what the episode itself did.

The patient below already takes a drug, has problems, an allergy, vital signs, signed
notes and a full code status in the golden database. A rubric asking for exactly those
scores 0 for an agent that does nothing; ordering the drug again earns that criterion.
"""

import pytest
from django.db.models import Exists, OuterRef

from clinical.models import Allergy, Condition, Medication, Observation, Patient
from clinical.selectors import ACTIVE_CONDITION_STATUSES, ACTIVE_MEDICATION_STATUSES
from clinical.terminology import SOCIAL_CONTEXT_CODES
from harness.models import Task
from harness.runner import task_run
from harness.tests.conftest import ENV_DBS
from notes.models import Note
from orders.models import Orderable

pytestmark = [ENV_DBS, pytest.mark.usefixtures("chart")]
G = "golden"
HEART_RATE = "8867-4"


def _seeded_patient():
    """A patient with a catalog drug on the medication list, a problem, an allergy, notes and vitals."""
    orderable_codes = Orderable.objects.using(G).filter(order_type="medication", default_dose__isnull=False)
    meds = Medication.objects.using(G).filter(
        patient=OuterRef("pk"), status__in=ACTIVE_MEDICATION_STATUSES,
        rxnorm__in=orderable_codes.values("code"),
    )
    patient = (
        Patient.objects.using(G)
        .filter(Exists(meds), Exists(Allergy.objects.using(G).filter(patient=OuterRef("pk"), clinical_status="active")),
                Exists(Note.objects.using(G).filter(patient=OuterRef("pk"), status="signed")))
        .order_by("mrn").first()
    )
    medication = Medication.objects.using(G).filter(
        patient=patient, status__in=ACTIVE_MEDICATION_STATUSES, rxnorm__in=orderable_codes.values("code")
    ).order_by("rxnorm").first()
    problem = Condition.objects.using(G).filter(
        patient=patient, clinical_status__in=ACTIVE_CONDITION_STATUSES
    ).exclude(code__in=SOCIAL_CONTEXT_CODES).order_by("code").first()
    allergy = Allergy.objects.using(G).filter(patient=patient, clinical_status="active").first()
    heart_rate = Observation.objects.using(G).filter(patient=patient, loinc=HEART_RATE).latest("effective_at")
    orderable = orderable_codes.filter(code=medication.rxnorm).order_by("key").first()
    return patient, orderable, problem, allergy, heart_rate


@pytest.fixture
def seeded():
    patient, orderable, problem, allergy, heart_rate = _seeded_patient()
    finding = problem.display.split(" (")[0].lower()
    rubric = [
        {"kind": "order_placed", "id": "drug", "code": orderable.code, "dose": orderable.default_dose,
         "route": orderable.default_route, "frequency": orderable.default_frequency, "priority": "routine"},
        {"kind": "problem_added", "id": "problem", "code": problem.code},
        {"kind": "allergy_added", "id": "allergy", "substance": allergy.substance},
        {"kind": "vitals_recorded", "id": "vitals", "values": {"heart_rate": heart_rate.value_num}},
        {"kind": "note_signed", "id": "note", "findings": [finding], "min_note_words": 0},
        {"kind": "code_status_set", "id": "code_status", "code_status": patient.code_status},
    ]
    task = Task.objects.create(
        task_id="ehr/documentation.seed-chart-v1", title="Everything the chart already has", tier="skill",
        domain="documentation", instruction="Review the chart of {patient_name}.",
        patient_selector={"mrn_in": [patient.mrn]}, rubric=rubric, oracle="laboratory-medicine.latest-result",
    )
    task.full_clean()
    return task, patient, orderable


GOALS = ("drug", "problem", "allergy", "vitals", "note", "code_status")


def _scores(run) -> dict:
    return {row["id"]: row["score"] for row in run.breakdown["criteria"] if row["id"] in GOALS}


def test_it_gives_no_credit_for_what_the_seed_chart_already_holds(alice, seeded):
    task, patient, _ = seeded

    run = task_run(owner=alice, task_id=task.task_id, seed=0, allow_draft=True,
                   policy=lambda instance: [{"type": "finish"}])

    assert run.patient_mrn == patient.mrn
    assert _scores(run) == {"drug": 0.0, "problem": 0.0, "allergy": 0.0, "vitals": 0.0, "note": 0.0,
                            "code_status": 0.0}
    assert (run.score, run.total_reward) == (0.0, 0.0)


def test_it_credits_ordering_the_drug_again_during_the_episode(alice, seeded):
    task, patient, orderable = seeded

    def order_again(instance):
        yield {"type": "place_order", "mrn": patient.mrn, "orderable": orderable.key, "dose": orderable.default_dose}
        signed = yield {"type": "sign_orders", "mrn": patient.mrn}
        for alert in signed["last_action_result"]["blocked_by_alerts"]:
            kind = "override_alert" if alert["severity"] == "high" else "acknowledge_alert"
            yield {"type": kind, "mrn": patient.mrn, "alert_id": alert["id"],
                   **({"reason": "Continuing the home medication as prescribed."} if kind == "override_alert" else {})}
        if signed["last_action_result"]["blocked_by_alerts"]:
            yield {"type": "sign_orders", "mrn": patient.mrn}
        yield {"type": "finish"}

    run = task_run(owner=alice, task_id=task.task_id, seed=0, allow_draft=True, policy=order_again)

    assert run.errors == []
    assert _scores(run) == {"drug": 1.0, "problem": 0.0, "allergy": 0.0, "vitals": 0.0, "note": 0.0,
                            "code_status": 0.0}
