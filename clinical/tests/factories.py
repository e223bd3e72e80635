"""Named patients for tests and for looking at the UI by hand.

- alice: 58-year-old woman with diabetes, hypertension and hyperlipidaemia; penicillin and
  peanut allergies; years of labs (rising HbA1c, a low potassium), vitals, encounters,
  immunizations, procedures and notes.
- bob: man born 1946, DNR/DNI, heart failure, no known allergies, no immunizations.
- charlie: 8-year-old boy with asthma.
- population(n): many plain patients, for lists, sorting and pagination.
- heavy_patient(n): one patient with n laboratory observations, for timing.

Plain ORM; timestamps are relative to timezone.now() so charts always look recent.
"""

import itertools
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from clinical.models import (
    Allergy,
    Condition,
    Encounter,
    Immunization,
    Medication,
    Observation,
    Organization,
    Patient,
    Practitioner,
    Procedure,
)
from notes.models import Note

_ids = itertools.count(1)

ALICE_MRN, BOB_MRN, CHARLIE_MRN = "E1001", "E1002", "E1003"
ALICE_DOB = date(1967, 3, 14)
HBA1C, POTASSIUM, GLUCOSE, CREATININE, LDL = "4548-4", "2823-3", "2345-7", "2160-0", "18262-6"


def _fhir_id(kind: str) -> str:
    return f"{kind}-{next(_ids)}"


def make_user(username: str = "drsmith", password: str = "secret-pass-123", *, first="Dana", last="Smith"):
    return get_user_model().objects.create_user(username=username, password=password, first_name=first, last_name=last)


def make_practitioner(given: str = "Dana", family: str = "Smith", specialty: str = "Internal Medicine") -> Practitioner:
    return Practitioner.objects.create(
        fhir_id=_fhir_id("prac"), prefix="Dr.", given_name=given, family_name=family, specialty=specialty
    )


def make_clinic(name: str = "EHRGym Primary Care") -> Organization:
    return Organization.objects.create(fhir_id=_fhir_id("org"), name=name, city="Boston", state="MA")


def make_patient(*, mrn: str, given: str, family: str, birth_date: date, sex: str, **fields) -> Patient:
    return Patient.objects.create(
        mrn=mrn, fhir_id=_fhir_id("pat"), given_name=given, family_name=family, birth_date=birth_date, sex=sex, **fields
    )


def add_encounter(patient: Patient, *, days_ago: int, practitioner=None, organization=None, **fields) -> Encounter:
    defaults = {"type_code": "185349003", "type_display": "Encounter for check up", "encounter_class": "AMB"}
    start = timezone.now() - timedelta(days=days_ago)
    return Encounter.objects.create(
        fhir_id=_fhir_id("enc"),
        patient=patient,
        start=start,
        end=start + timedelta(minutes=30),
        practitioner=practitioner,
        organization=organization,
        **{**defaults, **fields},
    )


def add_problem(patient: Patient, code: str, display: str, *, onset_days_ago: int, status: str = "active", **fields):
    onset = timezone.now() - timedelta(days=onset_days_ago)
    return Condition.objects.create(
        fhir_id=_fhir_id("cond"),
        patient=patient,
        code=code,
        display=display,
        clinical_status=status,
        onset=onset,
        **fields,
    )


def add_medication(patient: Patient, rxnorm: str, display: str, *, status: str = "active", **fields) -> Medication:
    return Medication.objects.create(
        fhir_id=_fhir_id("med"), patient=patient, rxnorm=rxnorm, display=display, status=status, **fields
    )


def add_allergy(patient: Patient, substance: str, **fields) -> Allergy:
    return Allergy.objects.create(fhir_id=_fhir_id("alg"), patient=patient, substance=substance, **fields)


def add_observation(patient: Patient, loinc: str, display: str, value: float | None, unit: str, *, at, **fields):
    return Observation.objects.create(
        fhir_id=_fhir_id("obs"),
        patient=patient,
        loinc=loinc,
        display=display,
        value_num=value,
        unit=unit,
        effective_at=at,
        **fields,
    )


def flag_for(value: float, low: float | None, high: float | None) -> str:
    if high is not None and value > high:
        return "H"
    if low is not None and value < low:
        return "L"
    return ""


def add_lab_series(patient, loinc, display, unit, values, *, low=None, high=None, every_days=90):
    """A result every `every_days`, the last one today-ish; flags follow the range."""
    now = timezone.now()
    for i, value in enumerate(values):
        at = now - timedelta(days=every_days * (len(values) - 1 - i) + 2)
        add_observation(
            patient, loinc, display, value, unit, at=at, ref_low=low, ref_high=high, flag=flag_for(value, low, high)
        )


def add_vitals(patient: Patient, *, days_ago: int, bp=(120, 80), hr=72, rr=16, temp=36.8, spo2=98, weight=70.0,
               height=170.0, pain=0):
    at = timezone.now() - timedelta(days=days_ago, hours=1)
    vitals = [
        ("8480-6", "Systolic Blood Pressure", bp[0], "mm[Hg]", flag_for(bp[0], 90, 139)),
        ("8462-4", "Diastolic Blood Pressure", bp[1], "mm[Hg]", flag_for(bp[1], 60, 89)),
        ("8867-4", "Heart rate", hr, "/min", flag_for(hr, 60, 100)),
        ("9279-1", "Respiratory rate", rr, "/min", flag_for(rr, 12, 20)),
        ("8310-5", "Body temperature", temp, "Cel", flag_for(temp, 36.1, 38.0)),
        ("59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry", spo2, "%", flag_for(spo2, 92, None)),
        ("29463-7", "Body Weight", weight, "kg", ""),
        ("8302-2", "Body Height", height, "cm", ""),
        ("39156-5", "Body Mass Index", round(weight / (height / 100) ** 2, 1), "kg/m2", ""),
        ("72514-3", "Pain severity - 0-10 verbal numeric rating [Score] - Reported", pain, "{score}", ""),
    ]
    for loinc, display, value, unit, flag in vitals:
        add_observation(
            patient, loinc, display, value, unit, at=at, category="vital-signs", flag=flag, panel_code="85353-1"
        )


def add_note(patient: Patient, title: str, text: str, *, days_ago: int, status: str = "signed", **fields) -> Note:
    at = timezone.now() - timedelta(days=days_ago)
    return Note.objects.create(
        patient=patient, title=title, text=text, status=status, created_at=at, updated_at=at,
        signed_at=at if status == "signed" else None, **fields,
    )


def make_alice() -> Patient:
    pcp = make_practitioner()
    clinic = make_clinic()
    alice = make_patient(
        mrn=ALICE_MRN, given="Alice", family="Walker", birth_date=ALICE_DOB, sex="female", pcp=pcp,
        phone="555-0101", city="Boston", state="MA",
    )
    visits = [
        add_encounter(alice, days_ago=d, practitioner=pcp, organization=clinic, reason_display="Diabetes follow-up")
        for d in (2, 92, 182, 272, 362, 452)
    ]
    add_encounter(alice, days_ago=200, encounter_class="EMER", type_code="50849002",
                  type_display="Emergency room admission", reason_display="Hypoglycemia", organization=clinic)
    add_problem(alice, "44054006", "Diabetes mellitus type 2", onset_days_ago=3650, encounter=visits[-1])
    add_problem(alice, "38341003", "Hypertension", onset_days_ago=2900)
    add_problem(alice, "55822004", "Hyperlipidemia", onset_days_ago=2000)
    add_problem(alice, "10509002", "Acute bronchitis", onset_days_ago=400, status="resolved",
                abatement=timezone.now() - timedelta(days=380))
    add_medication(alice, "860975", "metFORMIN 500 MG Oral Tablet, Extended Release",
                   dosage_text="1 tablet by mouth twice daily", prescriber=pcp,
                   authored_at=timezone.now() - timedelta(days=900), reason="Diabetes mellitus type 2")
    add_medication(alice, "314076", "lisinopril 10 MG Oral Tablet", dosage_text="1 tablet by mouth daily",
                   prescriber=pcp, authored_at=timezone.now() - timedelta(days=800), reason="Hypertension")
    add_medication(alice, "259255", "atorvastatin 80 MG Oral Tablet", dosage_text="1 tablet by mouth at bedtime",
                   prescriber=pcp, authored_at=timezone.now() - timedelta(days=700))
    add_medication(alice, "308182", "amoxicillin 250 MG Oral Capsule", status="completed",
                   dosage_text="1 capsule three times daily for 7 days", prescriber=pcp,
                   authored_at=timezone.now() - timedelta(days=400))
    add_allergy(alice, "Penicillin V", code="7980", category="medication", reaction="Anaphylaxis", severity="severe",
                criticality="high", code_system="http://www.nlm.nih.gov/research/umls/rxnorm")
    add_allergy(alice, "Peanut (substance)", code="762952008", category="food", reaction="Hives", severity="moderate",
                criticality="low")
    add_lab_series(alice, HBA1C, "Hemoglobin A1c/Hemoglobin.total in Blood", "%", [6.8, 7.1, 7.4, 7.9, 8.2, 8.6],
                   low=4.0, high=5.6)
    add_lab_series(alice, GLUCOSE, "Glucose [Mass/volume] in Blood", "mg/dL", [128, 141, 55, 150, 162, 171],
                   low=70, high=99)
    add_lab_series(alice, POTASSIUM, "Potassium [Moles/volume] in Blood", "mmol/L", [4.1, 4.3, 3.9, 4.0, 3.6, 3.1],
                   low=3.5, high=5.1)
    add_lab_series(alice, CREATININE, "Creatinine [Mass/volume] in Blood", "mg/dL", [0.9, 0.9, 1.0, 1.0, 1.1, 1.0],
                   low=0.6, high=1.2)
    add_lab_series(alice, LDL, "Low Density Lipoprotein Cholesterol", "mg/dL", [162, 131, 118],
                   high=100, every_days=180)
    for i, days in enumerate((452, 362, 272, 182, 92, 2)):
        add_vitals(alice, days_ago=days, bp=(132 + i * 3, 82 + i), hr=76 + i, weight=82.0 + i * 0.6, height=164.0)
    add_observation(alice, "72166-2", "Tobacco smoking status", None, "", at=timezone.now() - timedelta(days=2),
                    category="social-history", value_text="Never smoked tobacco")
    Immunization.objects.create(fhir_id=_fhir_id("imm"), patient=alice, cvx="140",
                                display="Influenza, seasonal, injectable, preservative free",
                                occurred_at=timezone.now() - timedelta(days=92))
    Immunization.objects.create(fhir_id=_fhir_id("imm"), patient=alice, cvx="113",
                                display="Td (adult) preservative free",
                                occurred_at=timezone.now() - timedelta(days=1500))
    Procedure.objects.create(fhir_id=_fhir_id("proc"), patient=alice, code="73761001", display="Colonoscopy",
                             reason="Screening for malignant neoplasm of colon",
                             performed_start=timezone.now() - timedelta(days=1200))
    add_note(alice, "Diabetes follow-up", "S: Feels well. Occasional polyuria.\nO: BP 147/87, A1c 8.6%.\n"
             "A/P: T2DM, worsening control. Increase metformin; recheck A1c in 3 months.",
             days_ago=2, author="drsmith", author_name="Dana Smith, MD")
    add_note(alice, "ED visit for hypoglycemia", "Glucose 55 on arrival; treated with oral glucose.", days_ago=200,
             note_type="h_and_p", author="drjones", author_name="Lee Jones, MD")
    add_note(alice, "Telephone follow-up", "Draft: called patient about potassium.", days_ago=1, status="draft",
             author="drsmith", author_name="Dana Smith, MD")
    return alice


def make_bob() -> Patient:
    pcp = make_practitioner("Lee", "Jones", "Cardiology")
    bob = make_patient(
        mrn=BOB_MRN, given="Robert", family="Baker", birth_date=date(1946, 5, 2),
        sex="male", pcp=pcp, code_status="dnr_dni",
    )
    add_encounter(bob, days_ago=10, practitioner=pcp, encounter_class="IMP", type_display="Hospital admission",
                  reason_display="Heart failure exacerbation")
    add_problem(bob, "88805009", "Chronic congestive heart failure", onset_days_ago=2000)
    add_problem(bob, "433144002", "Chronic kidney disease stage 3", onset_days_ago=1500)
    add_medication(bob, "310429", "furosemide 20 MG Oral Tablet", dosage_text="2 tablets by mouth daily",
                   prescriber=pcp)
    add_vitals(bob, days_ago=10, bp=(158, 94), hr=104, rr=22, spo2=90, weight=91.0, height=178.0, pain=3)
    add_lab_series(bob, CREATININE, "Creatinine [Mass/volume] in Blood", "mg/dL", [1.6, 1.9], low=0.7, high=1.3)
    return bob


def make_charlie() -> Patient:
    today = timezone.localdate()
    charlie = make_patient(
        mrn=CHARLIE_MRN, given="Charlie", family="Chen", birth_date=today - timedelta(days=8 * 365 + 40),
        sex="male",
    )
    add_problem(charlie, "195967001", "Asthma", onset_days_ago=1500)
    add_medication(charlie, "745679", "albuterol 0.09 MG/ACTUAT Metered Dose Inhaler", dosage_text="2 puffs q4h PRN",
                   as_needed=True)
    return charlie


FAMILIES = (
    "Anderson", "Brown", "Clark", "Davis", "Evans", "Garcia", "Harris", "Ito", "Johnson", "Kim", "Lopez", "Miller",
)
GIVENS = ("Avery", "Blake", "Casey", "Drew", "Emery", "Finley", "Gray", "Harper", "Jordan", "Kai", "Logan", "Morgan")


def make_population(count: int, *, pcp: Practitioner | None = None) -> list[Patient]:
    """Plain patients P0000.. with varied names, sexes and ages (some children)."""
    today = timezone.localdate()
    patients = [
        Patient(
            mrn=f"P{i:04d}",
            fhir_id=_fhir_id("pop"),
            given_name=GIVENS[i % len(GIVENS)],
            family_name=f"{FAMILIES[(i * 7) % len(FAMILIES)]}{i}",
            birth_date=today - timedelta(days=365 * (3 + (i * 13) % 85) + i),
            sex=("female", "male")[i % 2],
            pcp=pcp,
        )
        for i in range(count)
    ]
    return Patient.objects.bulk_create(patients)


def heavy_patient(observations: int = 3000, *, analytes: int = 40) -> Patient:
    """One patient with many lab results spread over `analytes` LOINCs, for timing."""
    patient = make_patient(mrn="H0001", given="Henry", family="Heavy", birth_date=date(1950, 1, 1), sex="male")
    now = timezone.now()
    rows = [
        Observation(
            fhir_id=_fhir_id("hobs"),
            patient=patient,
            loinc=f"{10000 + i % analytes}-0",
            display=f"Analyte {i % analytes:02d}",
            value_num=float(50 + (i * 37) % 100),
            unit="mg/dL",
            ref_low=60.0,
            ref_high=130.0,
            flag=flag_for(float(50 + (i * 37) % 100), 60.0, 130.0),
            effective_at=now - timedelta(hours=6 * i),
        )
        for i in range(observations)
    ]
    Observation.objects.bulk_create(rows, batch_size=1000)
    return patient
