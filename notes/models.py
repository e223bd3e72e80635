"""Clinical notes and the templates they start from.

Imported notes (Synthea DocumentReference) arrive already signed. Notes written in the
EHR start as drafts, are signed once by their author, and are then never changed: later
information goes into addenda, which are notes of their own pointing at their parent.

Like the rest of the chart these rows may live in an episode's database while users
live in the main one, so authors are recorded by username, never by foreign key.
"""

from django.db import models
from django.db.models import Q
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
    # An addendum points at the signed note it adds to; that note itself never changes.
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="addenda")
    note_type = models.CharField(max_length=12, choices=NoteType.choices, default=NoteType.PROGRESS)
    loinc = models.CharField(max_length=20, blank=True)
    # The NoteTemplate.key the note was started from, kept as text: templates are
    # configuration that may be edited or retired while the note stays as written.
    template_key = models.CharField(max_length=40, blank=True)
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
        constraints = [
            # An addendum exists only as a signed statement; there are no draft addenda.
            models.CheckConstraint(
                condition=Q(parent__isnull=True) | Q(status="signed"), name="notes_addendum_is_signed"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.get_status_display()})"

    @property
    def is_signed(self) -> bool:
        return self.status == self.Status.SIGNED

    @property
    def is_addendum(self) -> bool:
        return self.parent_id is not None

    @property
    def author_display(self) -> str:
        return self.author_name or self.author or "—"


# The LOINC document type of each note type (the codes Synthea's DocumentReferences use).
NOTE_TYPE_LOINC = {
    Note.NoteType.HISTORY_AND_PHYSICAL: "34117-2",
    Note.NoteType.PROGRESS: "11506-3",
    Note.NoteType.DISCHARGE_SUMMARY: "18842-5",
    Note.NoteType.PROCEDURE: "28570-0",
}


class NoteTemplate(models.Model):
    """A starting text for a note type, authored in Django admin.

    The body may contain smart phrases (.vitals, .meds ...): they are expanded from the
    chart when a note is created from the template, so the note holds the values of
    that moment.
    """

    key = models.SlugField(max_length=40, unique=True, help_text="Stable identifier used by agents and links.")
    name = models.CharField(max_length=100)
    note_type = models.CharField(max_length=12, choices=Note.NoteType.choices)
    description = models.CharField(max_length=200, blank=True)
    body = models.TextField(help_text="Section headings and smart phrases such as .vitals, .meds, .allergies.")
    active = models.BooleanField(default=True, help_text="Inactive templates are not offered for new notes.")
    sort_order = models.PositiveSmallIntegerField(default=100)

    class Meta:
        ordering = ["note_type", "sort_order", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_note_type_display()})"
