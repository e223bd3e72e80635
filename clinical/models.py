"""The chart: patients and everything recorded about them.

Codes are stored as (system, code, display) triples with the real terminologies
Synthea uses: SNOMED CT for problems, procedures and encounter types, LOINC for
observations and reports, RxNorm for medications, CVX for immunizations.

Users live in the main database, while these models may live in an episode's copy of
the golden database, so nothing here has a foreign key to auth.User: who did a thing
is recorded by username.
"""

from datetime import date

from django.db import models
from django.utils import timezone

from clinical.display_precision import display_number
from clinical.vaccines import SITES


class CodeSystem:
    SNOMED = "http://snomed.info/sct"
    LOINC = "http://loinc.org"
    RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
    CVX = "http://hl7.org/fhir/sid/cvx"


class Organization(models.Model):
    fhir_id = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=50, blank=True)
    phone = models.CharField(max_length=40, blank=True)

    def __str__(self) -> str:
        return self.name


class Practitioner(models.Model):
    fhir_id = models.CharField(max_length=64, unique=True)
    npi = models.CharField(max_length=20, blank=True)
    prefix = models.CharField(max_length=20, blank=True)
    given_name = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100)
    specialty = models.CharField(max_length=100, blank=True)
    # Set for practitioners who can log in (demo clinicians): links to auth.User.username.
    username = models.CharField(max_length=150, blank=True, db_index=True)

    @property
    def display_name(self) -> str:
        return " ".join(p for p in (self.prefix, self.given_name, self.family_name) if p)

    def __str__(self) -> str:
        return self.display_name


class Patient(models.Model):
    class Sex(models.TextChoices):
        MALE = "male", "Male"
        FEMALE = "female", "Female"
        OTHER = "other", "Other"
        UNKNOWN = "unknown", "Unknown"

    class CodeStatus(models.TextChoices):
        FULL = "full", "Full Code"
        DNR = "dnr", "DNR"
        DNR_DNI = "dnr_dni", "DNR/DNI"
        COMFORT = "comfort", "Comfort Care"

    mrn = models.CharField("MRN", max_length=20, unique=True)
    fhir_id = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=20, blank=True)
    given_name = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100, db_index=True)
    birth_date = models.DateField(db_index=True)
    deceased_at = models.DateTimeField(null=True, blank=True)
    sex = models.CharField(max_length=10, choices=Sex.choices, default=Sex.UNKNOWN)
    address_line = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=50, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    language = models.CharField(max_length=60, blank=True, default="English")
    marital_status = models.CharField(max_length=40, blank=True)
    race = models.CharField(max_length=60, blank=True)
    ethnicity = models.CharField(max_length=60, blank=True)
    pcp = models.ForeignKey(Practitioner, null=True, blank=True, on_delete=models.SET_NULL, related_name="panel")
    code_status = models.CharField(max_length=10, choices=CodeStatus.choices, default=CodeStatus.FULL)

    class Meta:
        ordering = ["family_name", "given_name"]
        indexes = [models.Index(fields=["family_name", "given_name"])]

    def __str__(self) -> str:
        return f"{self.family_name}, {self.given_name} ({self.mrn})"

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    @property
    def chart_name(self) -> str:
        """Name as EHRs print it: FAMILY, Given."""
        return f"{self.family_name}, {self.given_name}"

    def age_on(self, day: date) -> int:
        years = day.year - self.birth_date.year
        if (day.month, day.day) < (self.birth_date.month, self.birth_date.day):
            years -= 1
        return years

    @property
    def age(self) -> int:
        end = self.deceased_at.date() if self.deceased_at else timezone.localdate()
        return self.age_on(end)


class Encounter(models.Model):
    class EncounterClass(models.TextChoices):
        AMBULATORY = "AMB", "Ambulatory"
        EMERGENCY = "EMER", "Emergency"
        INPATIENT = "IMP", "Inpatient"
        WELLNESS = "WELL", "Wellness"
        URGENT = "URG", "Urgent care"
        VIRTUAL = "VR", "Virtual"
        HOME = "HH", "Home health"
        OTHER = "OTH", "Other"

    fhir_id = models.CharField(max_length=64, unique=True)
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="encounters")
    status = models.CharField(max_length=20, default="finished")
    encounter_class = models.CharField(max_length=8, choices=EncounterClass.choices, default=EncounterClass.AMBULATORY)
    type_code = models.CharField(max_length=32, blank=True)
    type_display = models.CharField(max_length=200, blank=True)
    reason_code = models.CharField(max_length=32, blank=True)
    reason_display = models.CharField(max_length=200, blank=True)
    start = models.DateTimeField(db_index=True)
    end = models.DateTimeField(null=True, blank=True)
    practitioner = models.ForeignKey(Practitioner, null=True, blank=True, on_delete=models.SET_NULL)
    organization = models.ForeignKey(Organization, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        ordering = ["-start"]

    def __str__(self) -> str:
        return f"{self.get_encounter_class_display()} {self.start:%Y-%m-%d} {self.type_display}"


class Condition(models.Model):
    """A problem-list entry or encounter diagnosis (SNOMED CT)."""

    class ClinicalStatus(models.TextChoices):
        ACTIVE = "active", "Active"
        RECURRENCE = "recurrence", "Recurrence"
        INACTIVE = "inactive", "Inactive"
        RESOLVED = "resolved", "Resolved"

    fhir_id = models.CharField(max_length=64, unique=True)
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="conditions")
    encounter = models.ForeignKey(Encounter, null=True, blank=True, on_delete=models.SET_NULL)
    code_system = models.CharField(max_length=100, default=CodeSystem.SNOMED)
    code = models.CharField(max_length=32, db_index=True)
    display = models.CharField(max_length=255)
    clinical_status = models.CharField(max_length=12, choices=ClinicalStatus.choices, default=ClinicalStatus.ACTIVE)
    verification_status = models.CharField(max_length=20, default="confirmed")
    category = models.CharField(max_length=40, default="encounter-diagnosis")
    onset = models.DateTimeField(null=True, blank=True)
    abatement = models.DateTimeField(null=True, blank=True)
    recorded_at = models.DateTimeField(null=True, blank=True)
    recorded_by = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["-onset"]

    def __str__(self) -> str:
        return self.display

    @property
    def is_active(self) -> bool:
        return self.clinical_status in (self.ClinicalStatus.ACTIVE, self.ClinicalStatus.RECURRENCE)


class Allergy(models.Model):
    class Category(models.TextChoices):
        FOOD = "food", "Food"
        MEDICATION = "medication", "Medication"
        ENVIRONMENT = "environment", "Environment"
        BIOLOGIC = "biologic", "Biologic"

    class Severity(models.TextChoices):
        MILD = "mild", "Mild"
        MODERATE = "moderate", "Moderate"
        SEVERE = "severe", "Severe"
        UNKNOWN = "", "Unknown"

    fhir_id = models.CharField(max_length=64, unique=True)
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="allergies")
    code_system = models.CharField(max_length=100, default=CodeSystem.SNOMED)
    code = models.CharField(max_length=32, blank=True, db_index=True)
    substance = models.CharField(max_length=200)
    category = models.CharField(max_length=12, choices=Category.choices, blank=True)
    allergy_type = models.CharField(max_length=12, default="allergy")  # allergy | intolerance
    criticality = models.CharField(max_length=20, blank=True)  # low | high | unable-to-assess
    clinical_status = models.CharField(max_length=12, default="active")
    reaction = models.CharField(max_length=200, blank=True)
    severity = models.CharField(max_length=10, choices=Severity.choices, blank=True)
    recorded_at = models.DateTimeField(null=True, blank=True)
    recorded_by = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["substance"]
        verbose_name_plural = "allergies"

    def __str__(self) -> str:
        return self.substance


class Medication(models.Model):
    """An entry of the medication list (a FHIR MedicationRequest), RxNorm coded."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        ON_HOLD = "on-hold", "On hold"
        STOPPED = "stopped", "Stopped"
        COMPLETED = "completed", "Completed"
        CANCELLED = "cancelled", "Cancelled"

    fhir_id = models.CharField(max_length=64, unique=True)
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="medications")
    encounter = models.ForeignKey(Encounter, null=True, blank=True, on_delete=models.SET_NULL)
    rxnorm = models.CharField("RxNorm code", max_length=20, db_index=True)
    display = models.CharField(max_length=255)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.ACTIVE)
    intent = models.CharField(max_length=20, default="order")
    dosage_text = models.CharField(max_length=255, blank=True)
    as_needed = models.BooleanField(default=False)
    reason = models.CharField(max_length=255, blank=True)
    prescriber = models.ForeignKey(Practitioner, null=True, blank=True, on_delete=models.SET_NULL)
    authored_at = models.DateTimeField(null=True, blank=True)
    # When and why it was stopped in this EHR (an imported chart's stopped drugs carry neither).
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["display"]

    def __str__(self) -> str:
        return self.display


class Observation(models.Model):
    """One measured value: a vital sign, a lab result, a survey score.

    Panels with components (blood pressure) are stored as one row per component,
    with `panel_code` naming the panel, so every value can be queried by its own LOINC.
    """

    class Category(models.TextChoices):
        VITAL_SIGNS = "vital-signs", "Vital signs"
        LABORATORY = "laboratory", "Laboratory"
        SURVEY = "survey", "Survey"
        SOCIAL_HISTORY = "social-history", "Social history"
        EXAM = "exam", "Exam"
        IMAGING = "imaging", "Imaging"
        PROCEDURE = "procedure", "Procedure"
        OTHER = "other", "Other"

    class Flag(models.TextChoices):
        NORMAL = "", "Normal"
        LOW = "L", "Low"
        HIGH = "H", "High"
        CRITICAL_LOW = "LL", "Critically low"
        CRITICAL_HIGH = "HH", "Critically high"
        ABNORMAL = "A", "Abnormal"

    fhir_id = models.CharField(max_length=80, unique=True)
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="observations")
    encounter = models.ForeignKey(Encounter, null=True, blank=True, on_delete=models.SET_NULL)
    category = models.CharField(max_length=20, choices=Category.choices, default=Category.LABORATORY, db_index=True)
    loinc = models.CharField("LOINC code", max_length=20, db_index=True)
    display = models.CharField(max_length=255)
    panel_code = models.CharField(max_length=20, blank=True)
    value_num = models.FloatField(null=True, blank=True)
    value_text = models.CharField(max_length=255, blank=True)
    unit = models.CharField(max_length=40, blank=True)
    ref_low = models.FloatField(null=True, blank=True)
    ref_high = models.FloatField(null=True, blank=True)
    flag = models.CharField(max_length=2, choices=Flag.choices, blank=True, default=Flag.NORMAL)
    status = models.CharField(max_length=20, default="final")
    effective_at = models.DateTimeField(db_index=True)
    recorded_by = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["-effective_at"]
        indexes = [models.Index(fields=["patient", "loinc", "effective_at"])]

    def __str__(self) -> str:
        return f"{self.display}: {self.value_display}"

    @property
    def value_display(self) -> str:
        return f"{self.value_shown} {self.unit}".strip()

    @property
    def value_shown(self) -> str:
        """The value as the chart prints it: at the precision its lab reports (the stored value is unchanged)."""
        if self.value_num is None:
            return self.value_text
        return display_number(self.loinc, self.value_num)

    @property
    def reference_range(self) -> str:
        if self.ref_low is not None and self.ref_high is not None:
            return f"{self.ref_low:g}–{self.ref_high:g}"
        if self.ref_high is not None:
            return f"<{self.ref_high:g}"
        if self.ref_low is not None:
            return f">{self.ref_low:g}"
        return ""


class Immunization(models.Model):
    fhir_id = models.CharField(max_length=64, unique=True)
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="immunizations")
    encounter = models.ForeignKey(Encounter, null=True, blank=True, on_delete=models.SET_NULL)
    cvx = models.CharField("CVX code", max_length=10, db_index=True)
    display = models.CharField(max_length=255)
    status = models.CharField(max_length=20, default="completed")
    occurred_at = models.DateTimeField()
    lot_number = models.CharField(max_length=40, blank=True)
    site = models.CharField(max_length=8, blank=True, choices=list(SITES.items()))
    recorded_by = models.CharField(max_length=150, blank=True)  # who entered it here (imported: blank)

    class Meta:
        ordering = ["-occurred_at"]

    def __str__(self) -> str:
        return self.display


class Procedure(models.Model):
    fhir_id = models.CharField(max_length=64, unique=True)
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="procedures")
    encounter = models.ForeignKey(Encounter, null=True, blank=True, on_delete=models.SET_NULL)
    code_system = models.CharField(max_length=100, default=CodeSystem.SNOMED)
    code = models.CharField(max_length=32, db_index=True)
    display = models.CharField(max_length=255)
    status = models.CharField(max_length=20, default="completed")
    reason = models.CharField(max_length=255, blank=True)
    performed_start = models.DateTimeField()
    performed_end = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-performed_start"]

    def __str__(self) -> str:
        return self.display


class DiagnosticReport(models.Model):
    """A grouped result (e.g. a basic metabolic panel) pointing at its observations."""

    fhir_id = models.CharField(max_length=64, unique=True)
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="reports")
    encounter = models.ForeignKey(Encounter, null=True, blank=True, on_delete=models.SET_NULL)
    loinc = models.CharField(max_length=20, db_index=True)
    display = models.CharField(max_length=255)
    category = models.CharField(max_length=20, default="LAB")
    status = models.CharField(max_length=20, default="final")
    effective_at = models.DateTimeField()
    issued_at = models.DateTimeField(null=True, blank=True)
    conclusion = models.TextField(blank=True)
    results = models.ManyToManyField(Observation, blank=True, related_name="reports")

    class Meta:
        ordering = ["-effective_at"]

    def __str__(self) -> str:
        return self.display


class AuditEvent(models.Model):
    """Who changed what, when, and at which episode step.

    Written by every service in the same transaction as the change. It lives beside
    the chart (in an episode's own database during an episode), so rubrics can read
    exactly what an episode did, separate from the seed data.
    """

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.CharField(max_length=150, blank=True)  # auth.User.username, or "system"
    action = models.CharField(max_length=60, db_index=True)  # e.g. "condition.add"
    target_type = models.CharField(max_length=60)  # e.g. "clinical.condition"
    target_id = models.CharField(max_length=80)
    patient = models.ForeignKey(Patient, null=True, blank=True, on_delete=models.SET_NULL, related_name="audit_events")
    details = models.JSONField(default=dict, blank=True)
    episode_step = models.IntegerField(null=True, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor} {self.action} {self.target_type}#{self.target_id}"
