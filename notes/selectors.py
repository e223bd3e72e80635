"""Reads of clinical notes for the chart's Notes tab."""

from django.db.models import QuerySet

from clinical.models import Patient
from notes.models import Note


def notes_for_patient(patient: Patient) -> QuerySet[Note]:
    """The patient's notes, newest first, without their (possibly long) text."""
    return Note.objects.filter(patient=patient).defer("text").order_by("-created_at", "-pk")


def note_get(*, patient: Patient, note_id: int) -> Note:
    """One note of this patient (raises Note.DoesNotExist)."""
    return Note.objects.select_related("encounter").get(patient=patient, pk=note_id)
