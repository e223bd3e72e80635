"""Reads of clinical notes and note templates (the Notes tab, the editor, semantic actions)."""

from django.db.models import Case, Count, IntegerField, QuerySet, Value, When
from django.urls import reverse

from clinical.models import Encounter, Patient, Practitioner
from clinical.visit import VisitItem
from notes.models import Note, NoteTemplate


def notes_for_patient(patient: Patient, *, note_type: str = "", status: str = "") -> QuerySet[Note]:
    """The patient's notes (not their addenda), newest first, without their (possibly long)
    text, each with `addendum_count`; filtered by type and status when given."""
    notes = Note.objects.filter(patient=patient, parent__isnull=True)
    if note_type:
        notes = notes.filter(note_type=note_type)
    if status:
        notes = notes.filter(status=status)
    return notes.defer("text").annotate(addendum_count=Count("addenda")).order_by("-created_at", "-pk")


def note_get(*, patient: Patient, note_id: int) -> Note:
    """One note of this patient, addendum or not (raises Note.DoesNotExist)."""
    return Note.objects.select_related("encounter", "parent").get(patient=patient, pk=note_id)


def note_addenda(note: Note) -> QuerySet[Note]:
    """A note's addenda, oldest first: the order in which they were written."""
    return note.addenda.order_by("signed_at", "pk")


def _note_type_order() -> Case:
    """Note types in the order of Note.NoteType (progress notes first), not alphabetically."""
    whens = [When(note_type=value, then=Value(i)) for i, value in enumerate(Note.NoteType.values)]
    return Case(*whens, default=Value(len(whens)), output_field=IntegerField())


def note_templates(*, note_type: str = "") -> QuerySet[NoteTemplate]:
    """Templates offered for new notes, optionally of one note type."""
    templates = NoteTemplate.objects.filter(active=True)
    if note_type:
        templates = templates.filter(note_type=note_type)
    return templates.order_by(_note_type_order(), "sort_order", "name")


def note_template_get(*, key: str) -> NoteTemplate:
    """An active template by key (raises NoteTemplate.DoesNotExist)."""
    return NoteTemplate.objects.get(key=key, active=True)


def clinician_display_name(username: str, *, fallback: str = "") -> str:
    """How a note shows its author: the clinician's practitioner name (Dr. Alex Morgan)
    when the login is linked to one, else `fallback`, else the username."""
    practitioner = Practitioner.objects.filter(username=username).first() if username else None
    if practitioner is not None:
        return practitioner.display_name
    return fallback or username


# --- What an episode changed: the notes its audit events point at (clinical.selectors.episode_audit_events) ---


def notes_signed_by_id(ids: list[int], *, note_types: list[str] | None = None) -> list[Note]:
    """These notes and addenda that are signed (of these types, if given), oldest first."""
    rows = Note.objects.filter(pk__in=ids, status=Note.Status.SIGNED)
    if note_types:
        rows = rows.filter(note_type__in=note_types)
    return sorted(rows, key=lambda note: note.pk)


def notes_draft_exist(ids: list[int]) -> bool:
    """Whether any of these notes is still a draft."""
    return Note.objects.filter(pk__in=ids, status=Note.Status.DRAFT).exists()


def notes_in_visit(encounter: Encounter) -> list[VisitItem]:
    """The notes written in a visit (addenda too), oldest first, as the visit navigator lists them."""
    rows = Note.objects.filter(encounter=encounter).select_related("patient").order_by("created_at", "pk")
    return [
        VisitItem(id=n.pk, text=n.title, detail=f"{n.get_note_type_display()} by {n.author_display}",
                  status=n.status, at=n.created_at,
                  url=reverse("notes:note_detail", kwargs={"mrn": n.patient.mrn, "note_id": n.pk}))
        for n in rows
    ]
