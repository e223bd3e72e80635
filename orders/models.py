"""Orders: the orderable catalog, orders and their lifecycle, order sets, CDS alerts.

These are chart data: in an episode they live in the episode's copy of the golden
database beside the patient, so nothing here has a foreign key to auth.User. Who did
a thing is recorded by username, as in clinical.

Lifecycle of an order: pended (a draft, editable, not yet acted on) -> signed, which
makes it active -> completed (resulted, performed) or discontinued (with a reason).
A pended order can be cancelled. A signed order is never edited in place: it is
discontinued and reordered.
"""

from django.db import models
from django.utils import timezone

from clinical.models import CodeSystem, Encounter, Medication, Observation, Patient
from orders.catalog import FREQUENCIES, ROUTES


class OrderType(models.TextChoices):
    MEDICATION = "medication", "Medication"
    LAB = "lab", "Lab"
    IMAGING = "imaging", "Imaging"
    CONSULT = "consult", "Consult / referral"
    NURSING = "nursing", "Nursing"


class Priority(models.TextChoices):
    ROUTINE = "routine", "Routine"
    URGENT = "urgent", "Urgent"
    STAT = "stat", "STAT"


class Orderable(models.Model):
    """One thing that can be ordered, coded (RxNorm, LOINC or SNOMED CT).

    Loaded from orders/catalog.json by a data migration, so every database (main,
    golden, episode copies) has the same catalog.
    """

    key = models.SlugField(max_length=40, unique=True)  # stable id, e.g. "308192" or "8591-iv"
    order_type = models.CharField(max_length=12, choices=OrderType.choices, db_index=True)
    name = models.CharField(max_length=255)
    code_system = models.CharField(max_length=100)
    code = models.CharField(max_length=32, db_index=True)
    tty = models.CharField("RxNorm term type", max_length=8, blank=True)  # SCD, SBD, IN
    code_source = models.CharField(max_length=40, blank=True)  # where the code was checked
    synonyms = models.JSONField(default=list, blank=True)
    # Lower-cased name, synonyms, code and ingredient: what the search box matches.
    search_text = models.TextField(blank=True)
    # Medications.
    ingredient = models.CharField(max_length=120, blank=True)
    drug_class = models.CharField(max_length=40, blank=True, db_index=True)
    strength = models.CharField(max_length=60, blank=True)
    form = models.CharField(max_length=60, blank=True)
    dose_unit = models.CharField(max_length=20, blank=True)
    default_dose = models.FloatField(null=True, blank=True)
    default_route = models.CharField(max_length=8, blank=True)
    routes = models.JSONField(default=list, blank=True)
    default_frequency = models.CharField(max_length=12, blank=True)
    max_single_dose = models.FloatField(null=True, blank=True)
    max_daily_dose = models.FloatField(null=True, blank=True)
    # Labs.
    specimen = models.CharField(max_length=60, blank=True)
    # Type-specific details: lab result components, imaging modality, consult specialty ...
    attributes = models.JSONField(default=dict, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["order_type", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def is_medication(self) -> bool:
        return self.order_type == OrderType.MEDICATION

    @property
    def components(self) -> list[dict]:
        """A lab's resultable analytes: [{"loinc", "display", "unit"}], the test itself if none."""
        return self.attributes.get("components") or [{"loinc": self.code, "display": self.name, "unit": ""}]

    @property
    def code_system_label(self) -> str:
        return {CodeSystem.RXNORM: "RxNorm", CodeSystem.LOINC: "LOINC", CodeSystem.SNOMED: "SNOMED CT"}.get(
            self.code_system, self.code_system
        )


class OrderSet(models.Model):
    slug = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class OrderSetItem(models.Model):
    """One order of a set, with the composer values it is pended with."""

    order_set = models.ForeignKey(OrderSet, on_delete=models.CASCADE, related_name="items")
    orderable = models.ForeignKey(Orderable, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField(default=0)
    defaults = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["order_set", "position"]

    def __str__(self) -> str:
        return f"{self.order_set.slug}: {self.orderable.name}"


class Order(models.Model):
    class Status(models.TextChoices):
        PENDED = "pended", "Pended"
        ACTIVE = "active", "Active"
        COMPLETED = "completed", "Completed"
        DISCONTINUED = "discontinued", "Discontinued"
        CANCELLED = "cancelled", "Cancelled"

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="orders")
    # The visit the order was placed in (clinical.encounters: the patient's open visit when it was pended).
    encounter = models.ForeignKey(Encounter, null=True, blank=True, on_delete=models.SET_NULL, related_name="orders")
    orderable = models.ForeignKey(Orderable, on_delete=models.PROTECT, related_name="orders")
    # A snapshot of the orderable's coding, so an order reads the same if the catalog changes.
    order_type = models.CharField(max_length=12, choices=OrderType.choices)
    code_system = models.CharField(max_length=100)
    code = models.CharField(max_length=32, db_index=True)
    display = models.CharField(max_length=255)
    status = models.CharField(max_length=14, choices=Status.choices, default=Status.PENDED, db_index=True)
    priority = models.CharField(max_length=8, choices=Priority.choices, default=Priority.ROUTINE)
    # Medication details.
    dose = models.FloatField(null=True, blank=True)
    dose_unit = models.CharField(max_length=20, blank=True)
    route = models.CharField(max_length=8, blank=True)
    frequency = models.CharField(max_length=12, blank=True)
    duration_days = models.PositiveIntegerField(null=True, blank=True)
    prn = models.BooleanField("PRN", default=False)
    prn_reason = models.CharField(max_length=200, blank=True)
    # Details of the other order types.
    indication = models.CharField(max_length=255, blank=True)
    specimen = models.CharField(max_length=60, blank=True)
    reason_for_exam = models.CharField(max_length=255, blank=True)
    consult_question = models.TextField(blank=True)
    instructions = models.TextField(blank=True)
    order_set = models.CharField(max_length=40, blank=True)  # slug of the set it came from
    reordered_from = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # The medication-list entry a signed medication order started.
    medication = models.ForeignKey(Medication, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    results = models.ManyToManyField(Observation, blank=True, related_name="+")
    ordered_by = models.CharField(max_length=150)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    signed_at = models.DateTimeField(null=True, blank=True)
    signed_by = models.CharField(max_length=150, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)  # completed, discontinued or cancelled
    ended_by = models.CharField(max_length=150, blank=True)
    end_reason = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["patient", "status"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.display} ({self.status})"

    @property
    def is_pended(self) -> bool:
        return self.status == self.Status.PENDED

    @property
    def is_signed(self) -> bool:
        return self.signed_at is not None

    @property
    def summary(self) -> str:
        """The order as one line, the way an order list prints it (the sig for medications)."""
        parts = []
        if self.order_type == OrderType.MEDICATION:
            if self.dose is not None:
                parts.append(f"{self.dose:g} {self.dose_unit}".strip())
            if self.route:
                parts.append(ROUTES.get(self.route, self.route))
            if self.frequency:
                parts.append(FREQUENCIES[self.frequency].label if self.frequency in FREQUENCIES else self.frequency)
            if self.prn:
                parts.append(f"PRN {self.prn_reason}".strip())
            if self.duration_days:
                parts.append(f"for {self.duration_days} day{'s' if self.duration_days != 1 else ''}")
        else:
            if self.frequency:
                parts.append(FREQUENCIES[self.frequency].label if self.frequency in FREQUENCIES else self.frequency)
            for text in (self.specimen, self.reason_for_exam, self.consult_question, self.instructions):
                if text:
                    parts.append(text)
        return ", ".join(parts)


class OrderAlert(models.Model):
    """A clinical decision support alert raised on a pended order when it is signed.

    Low-severity alerts are acknowledged; high-severity ones are overridden with a
    reason. The row keeps who answered and why, so overrides are auditable beside the
    audit event. The fingerprint identifies "the same alert" across re-checks: an
    answer stays valid while the same rule fires for the same reason.
    """

    class Severity(models.TextChoices):
        LOW = "low", "Warning"
        HIGH = "high", "High"

    class Rule(models.TextChoices):
        ALLERGY = "allergy", "Drug–allergy"
        ALLERGY_CROSS = "allergy_cross", "Allergy cross-reactivity"
        DUPLICATE_ORDER = "duplicate_order", "Duplicate order"
        DUPLICATE_THERAPY = "duplicate_therapy", "Duplicate therapy"
        INTERACTION = "interaction", "Drug–drug interaction"
        DOSE_RANGE = "dose_range", "Dose range"
        RENAL = "renal", "Renal dosing"

    class Status(models.TextChoices):
        OPEN = "open", "Needs response"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        OVERRIDDEN = "overridden", "Overridden"
        RESOLVED = "resolved", "No longer applies"

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="alerts")
    rule = models.CharField(max_length=20, choices=Rule.choices)
    severity = models.CharField(max_length=4, choices=Severity.choices)
    title = models.CharField(max_length=200)
    message = models.TextField()
    details = models.JSONField(default=dict, blank=True)
    fingerprint = models.CharField(max_length=200)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN, db_index=True)
    override_reason = models.TextField(blank=True)
    answered_by = models.CharField(max_length=150, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["order_id", "severity", "id"]  # "high" sorts before "low"
        constraints = [models.UniqueConstraint(fields=["order", "fingerprint"], name="orders_alert_unique_fingerprint")]

    def __str__(self) -> str:
        return f"{self.get_rule_display()} ({self.severity}) on order #{self.order_id}: {self.status}"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN

    @property
    def is_high(self) -> bool:
        return self.severity == self.Severity.HIGH
