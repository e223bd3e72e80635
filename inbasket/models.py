"""The In Basket: result notifications, one per resulted lab value, for a clinician to acknowledge or route."""

from django.db import models

from clinical.models import Observation, Patient


class ResultNotification(models.Model):
    """A new result waiting for a clinician: critical, abnormal or normal (from the result's flag)."""

    class Kind(models.TextChoices):
        CRITICAL = "critical", "Critical"
        ABNORMAL = "abnormal", "Abnormal"
        NORMAL = "normal", "Normal"

    class Status(models.TextChoices):
        NEW = "new", "New"
        ROUTED = "routed", "Routed to chart"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="result_notifications")
    observation = models.OneToOneField(Observation, on_delete=models.CASCADE, related_name="notification")
    kind = models.CharField(max_length=10, choices=Kind.choices, db_index=True)
    status = models.CharField(max_length=14, choices=Status.choices, default=Status.NEW, db_index=True)
    # When the result was resulted (its observation's time): the In Basket's order, newest first.
    resulted_at = models.DateTimeField(db_index=True)
    routed_by = models.CharField(max_length=150, blank=True)
    routed_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.CharField(max_length=150, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["-resulted_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.observation.display} for {self.patient.mrn} ({self.status})"

    @property
    def is_open(self) -> bool:
        """Still waiting for an acknowledgement (new, or routed to the chart and not yet acknowledged)."""
        return self.status != self.Status.ACKNOWLEDGED
