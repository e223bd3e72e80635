"""Chart writes: each one validates, changes the chart and leaves an audit event."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from clinical import services
from clinical.audit import episode_step_context
from clinical.models import AuditEvent, Condition, Medication, Observation, Patient

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice() -> Patient:
    return Patient.objects.create(
        mrn="10000001", fhir_id="alice", given_name="Alice", family_name="Anders",
        birth_date=date(1960, 3, 14), sex=Patient.Sex.FEMALE,
    )


def test_it_adds_a_problem_with_an_audit_event(alice):
    condition = services.condition_add(patient=alice, code="44054006", display="Diabetes mellitus type 2",
                                       actor="drsmith")

    assert condition.is_active and condition.category == "problem-list-item"
    event = AuditEvent.objects.get(action="condition.add")
    assert (event.actor, event.patient, event.target_id) == ("drsmith", alice, str(condition.pk))
    assert event.details == {"code": "44054006", "display": "Diabetes mellitus type 2"}


def test_it_records_the_episode_step_on_audit_events(alice):
    with episode_step_context(7):
        services.condition_add(patient=alice, code="38341003", display="Hypertension", actor="agent")
    # The visit the problem opened is audited at the same step.
    assert [(e.action, e.episode_step) for e in AuditEvent.objects.all()] == [
        ("encounter.start", 7), ("condition.add", 7)]


def test_it_refuses_a_duplicate_active_problem_and_changes_nothing(alice):
    services.condition_add(patient=alice, code="38341003", display="Hypertension", actor="drsmith")
    with pytest.raises(ValidationError, match="already an active problem"):
        services.condition_add(patient=alice, code="38341003", display="Hypertension", actor="drsmith")
    assert Condition.objects.count() == 1
    assert AuditEvent.objects.filter(action="condition.add").count() == 1


@pytest.mark.parametrize(
    "code, display, message",
    [("", "Hypertension", "code"), ("38341003", " ", "display"), ("HTN", "Hypertension", "SNOMED CT code is a number")],
)
def test_it_rejects_a_problem_with_bad_fields(alice, code, display, message):
    with pytest.raises(ValidationError) as error:
        services.condition_add(patient=alice, code=code, display=display, actor="drsmith")
    assert message in str(error.value)
    assert not Condition.objects.exists() and not AuditEvent.objects.exists()


def test_it_resolves_an_active_problem_once(alice):
    condition = services.condition_add(patient=alice, code="38341003", display="Hypertension", actor="drsmith")
    services.condition_resolve(condition=condition, actor="drsmith")
    condition.refresh_from_db()
    assert condition.clinical_status == "resolved" and condition.abatement is not None
    with pytest.raises(ValidationError, match="not active"):
        services.condition_resolve(condition=condition, actor="drsmith")


def test_it_sets_code_status_and_rejects_unknown_values(alice):
    services.patient_set_code_status(patient=alice, code_status="dnr_dni", actor="drsmith")
    assert Patient.objects.get(pk=alice.pk).get_code_status_display() == "DNR/DNI"
    assert AuditEvent.objects.get().details == {"from": "full", "to": "dnr_dni"}
    with pytest.raises(ValidationError, match="Unknown code status"):
        services.patient_set_code_status(patient=alice, code_status="maybe", actor="drsmith")


def test_it_adds_an_allergy_and_refuses_it_twice(alice):
    allergy = services.allergy_add(
        patient=alice, substance="Penicillin V", code="764146007", category="medication",
        reaction="Hives", severity="moderate", actor="drsmith",
    )
    assert allergy.recorded_by == "drsmith"
    with pytest.raises(ValidationError, match="already recorded"):
        services.allergy_add(patient=alice, substance="penicillin v", actor="drsmith")
    with pytest.raises(ValidationError, match="Unknown severity"):
        services.allergy_add(patient=alice, substance="Latex", severity="awful", actor="drsmith")


def test_it_records_vitals_with_flags_and_one_audit_event_each(alice):
    observations = services.vitals_record(
        patient=alice, values={"bp_systolic": 165, "bp_diastolic": 96, "heart_rate": 72}, actor="nurse",
    )
    by_code = {o.loinc: o for o in observations}
    assert by_code["8480-6"].flag == "H" and by_code["8480-6"].panel_code == "85354-9"
    crisis = services.vitals_record(patient=alice, values={"bp_systolic": 200, "bp_diastolic": 125}, actor="nurse")
    assert [o.flag for o in crisis] == ["HH", "HH"]
    assert by_code["8867-4"].flag == "" and by_code["8867-4"].ref_low is not None
    assert Observation.objects.filter(patient=alice, category="vital-signs").count() == 5
    assert AuditEvent.objects.filter(action="observation.record").count() == 5


@pytest.mark.parametrize(
    "values, message",
    [
        ({}, "at least one"),
        ({"bp_systolic": 120}, "needs both"),
        ({"heart_rate": 700}, "outside"),
        ({"heart_rate": "fast"}, "must be a number"),
        ({"pulse": 80}, "Unknown vital sign"),
        ({"bp_systolic": 70, "bp_diastolic": 90}, "higher than diastolic"),
    ],
)
def test_it_rejects_bad_vitals_and_records_none(alice, values, message):
    with pytest.raises(ValidationError) as error:
        services.vitals_record(patient=alice, values=values, actor="nurse")
    assert message in str(error.value)
    assert not Observation.objects.exists() and not AuditEvent.objects.exists()


def test_it_refuses_vitals_taken_in_the_future(alice):
    with pytest.raises(ValidationError, match="future"):
        services.vitals_record(
            patient=alice, values={"heart_rate": 80}, actor="nurse", at=timezone.now() + timedelta(days=1)
        )


def test_it_refuses_vitals_dated_before_the_patients_birth(alice):
    """Issue 16, item 7: vitals dated year 1 were recorded."""
    year_one = timezone.make_aware(timezone.datetime(1, 1, 2, 12))
    with pytest.raises(ValidationError, match="Cannot be before the patient's birth date"):
        services.vitals_record(patient=alice, values={"heart_rate": 80}, actor="nurse", at=year_one)
    assert not Observation.objects.exists()


def test_it_discontinues_an_active_medication_with_a_reason(alice):
    medication = Medication.objects.create(fhir_id="m1", patient=alice, rxnorm="860975", display="Metformin 500 MG")
    with pytest.raises(ValidationError, match="required"):
        services.medication_discontinue(medication=medication, actor="drsmith", reason="")
    services.medication_discontinue(medication=medication, actor="drsmith", reason="GI upset")
    stopped = Medication.objects.get(pk=medication.pk)
    assert (stopped.status, stopped.end_reason) == ("stopped", "GI upset") and stopped.ended_at is not None
    assert AuditEvent.objects.get().details == {"rxnorm": "860975", "display": "Metformin 500 MG", "reason": "GI upset"}


def _lisinopril(patient, fhir_id, *, status="active", years_ago=0):
    return Medication.objects.create(
        fhir_id=fhir_id, patient=patient, rxnorm="314076", display="lisinopril 10 MG Oral Tablet", status=status,
        authored_at=timezone.now() - timedelta(days=365 * years_ago),
    )


def test_it_stops_a_home_medication_with_its_renewals_and_an_end_date(alice):
    older, newest = _lisinopril(alice, "l1", years_ago=2), _lisinopril(alice, "l2", status="on-hold")
    metformin = Medication.objects.create(fhir_id="m1", patient=alice, rxnorm="860975", display="Metformin 500 MG")

    with episode_step_context(4):
        stopped = services.medication_stop(medication=newest, actor="drsmith", reason="Angioedema on lisinopril")

    assert [m.pk for m in stopped] == [older.pk, newest.pk]
    for medication in Medication.objects.filter(rxnorm="314076"):
        assert (medication.status, medication.end_reason) == ("stopped", "Angioedema on lisinopril")
        assert timezone.now() - medication.ended_at < timedelta(minutes=1)
    assert Medication.objects.get(pk=metformin.pk).status == "active"
    events = AuditEvent.objects.filter(action="medication.discontinue")
    assert sorted(int(e.target_id) for e in events) == [older.pk, newest.pk]
    assert {(e.episode_step, e.details["reason"]) for e in events} == {(4, "Angioedema on lisinopril")}


@pytest.mark.parametrize("reason, status, message", [
    ("", "active", "reason: This field is required"),
    ("Cough", "stopped", "lisinopril 10 MG Oral Tablet is already stopped"),
    ("Cough", "completed", "is already completed"),
])
def test_it_refuses_to_stop_a_medication_without_a_reason_or_twice(alice, reason, status, message):
    medication = _lisinopril(alice, "l1", status=status)

    with pytest.raises(ValidationError) as error:
        services.medication_stop(medication=medication, actor="drsmith", reason=reason)

    assert message in "; ".join(f"{k}: {' '.join(v)}" for k, v in error.value.message_dict.items())
    assert Medication.objects.get(pk=medication.pk).status == status and not AuditEvent.objects.exists()


def test_it_records_an_immunization_from_the_vaccine_list(alice):
    given = timezone.now() - timedelta(days=3)
    immunization = services.immunization_record(patient=alice, cvx="187", actor="nurse", at=given,
                                                lot_number=" AB12C ", site="ld")

    assert (immunization.display, immunization.status, immunization.lot_number, immunization.site) == \
        ("zoster vaccine recombinant", "completed", "AB12C", "LD")
    assert (immunization.occurred_at, immunization.recorded_by) == (given, "nurse")
    assert AuditEvent.objects.get().details == {"cvx": "187", "display": "zoster vaccine recombinant",
                                                "occurred_at": given.isoformat(), "lot_number": "AB12C", "site": "LD"}
    product = services.immunization_record(patient=alice, cvx="140", display="Fluzone 2026-27", actor="nurse")
    assert product.display == "Fluzone 2026-27" and product.lot_number == product.site == ""


@pytest.mark.parametrize("fields, message", [
    ({"cvx": "flu"}, "A CVX code is a number"),
    ({"cvx": "998"}, "CVX 998 is not a vaccine this EHR records; choose one of: 140 (Influenza"),
    ({"cvx": "115", "site": "buttock"}, "Unknown site 'BUTTOCK'; choose one of LD (Left deltoid)"),
    ({"cvx": "115", "lot_number": "X" * 41}, "at most 40 characters"),
    ({"cvx": "115", "at": timezone.now() + timedelta(days=2)}, "Cannot be in the future"),
    ({"cvx": "115", "at": timezone.make_aware(timezone.datetime(1959, 1, 5, 12))}, "before the patient's birth date"),
])
def test_it_refuses_an_immunization_it_cannot_record(alice, fields, message):
    with pytest.raises(ValidationError) as error:
        services.immunization_record(patient=alice, actor="nurse", **fields)
    assert message in str(error.value)
    assert not alice.immunizations.exists() and not AuditEvent.objects.exists()
