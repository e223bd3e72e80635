"""Clinical notes. Imported notes (Synthea DocumentReference) arrive already signed."""

from django.db import models
from django.utils import timezone

from clinical.models import Encounter, Patient


class Note(models.Model):
    class NoteType(models.TextChoices):
        PROGRESS = "progress", "Progress Note"
        HISTORY_AND_PHYSICAL = "h_and_p", "History and Physical"
        DISCHARGE_SUMMARY = "discharge", "Discharge Summary"
        PROCEDURE = "procedure", "Procedure Note"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SIGNED = "signed", "Signed"

    fhir_id = models.CharField(max_length=64, unique=True, null=True, blank=True)
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="notes")
    encounter = models.ForeignKey(Encounter, null=True, blank=True, on_delete=models.SET_NULL)
    note_type = models.CharField(max_length=12, choices=NoteType.choices, default=NoteType.PROGRESS)
    loinc = models.CharField(max_length=20, blank=True)
    title = models.CharField(max_length=200)
    text = models.TextField(blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.DRAFT)
    author = models.CharField(max_length=150, blank=True)  # auth.User.username
    author_name = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(default=timezone.now)
    signed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.title} ({self.get_status_display()})"
