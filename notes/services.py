"""Writes to clinical notes. Views and the agent's semantic actions both call these.

Lifecycle: `note_create` starts a draft (optionally from a template); its author
changes it with `note_edit` and freezes it with `note_sign`; after that the note never
changes, and `note_addendum_add` appends a signed addendum that points at it.

Smart phrases (.vitals, .meds ...) are expanded from the chart, and the values frozen
into the text, whenever a note is created, saved with `expand=True` (the default),
signed, or addended. Only `note_edit(expand=False)` - the editor's background
autosave - stores text exactly as typed, so the text never changes under the cursor;
signing expands whatever phrases the autosaved draft still holds.

Every service is keyword-only, atomic on the chart's database, validates with a
ValidationError per field, records an audit event in the same transaction and returns
the note. A user who is not a draft's author gets PermissionDenied; a change to a
signed note is a ValidationError with code NOTE_SIGNED.
"""

import hashlib

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from clinical.audit import audit_record
from clinical.encounters import encounter_for_charting
from clinical.models import Encounter, Patient
from clinical.services import chart_atomic
from notes import selectors, smartphrases
from notes.models import NOTE_TYPE_LOINC, Note, NoteTemplate

NOTE_SIGNED = "note_signed"
TITLE_MAX = Note._meta.get_field("title").max_length
TEXT_MAX = 100_000


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --- validation -----------------------------------------------------------------------


def _note_type(value: str) -> str:
    if value not in Note.NoteType.values:
        choices = ", ".join(f"{v} ({label})" for v, label in Note.NoteType.choices)
        raise ValidationError({"note_type": f"Unknown note type {value!r}; choose one of {choices}."})
    return value


def _template(key: str, note_type: str) -> NoteTemplate | None:
    if not key:
        return None
    try:
        template = selectors.note_template_get(key=key)
    except NoteTemplate.DoesNotExist:
        known = ", ".join(selectors.note_templates().values_list("key", flat=True))
        raise ValidationError({"template": f"Unknown note template {key!r}; available: {known or 'none'}."}) from None
    if template.note_type != note_type:
        raise ValidationError(
            {"template": f"Template {template.name!r} is for {template.get_note_type_display()} notes, "
                         f"not {Note.NoteType(note_type).label} notes."}
        )
    return template


def _title(value: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({"title": "A note needs a title."})
    if len(value) > TITLE_MAX:
        raise ValidationError({"title": f"A title can have at most {TITLE_MAX} characters (it has {len(value)})."})
    return value


def _text(value: str) -> str:
    # A browser submits a textarea's line breaks as CRLF: one form of the text, whoever wrote it,
    # so the note reads and hashes the same from the form and from the API.
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    if len(value) > TEXT_MAX:
        raise ValidationError({"text": f"A note can hold at most {TEXT_MAX:,} characters (it has {len(value):,})."})
    return value


def _encounter(encounter: Encounter | None, patient: Patient, author: str) -> Encounter:
    """The encounter named, or else the patient's open visit (opened now if none is)."""
    if encounter is None:
        return encounter_for_charting(patient=patient, actor=author, opened_by="note.create")
    if encounter.patient_id != patient.pk:
        raise ValidationError({"encounter": "That encounter belongs to another patient."})
    return encounter


def _signed_error(note: Note) -> ValidationError:
    when = f" on {timezone.localtime(note.signed_at):%m/%d/%Y %H:%M}" if note.signed_at else ""
    message = f"This note was signed{when} and can no longer be changed; add an addendum instead."
    return ValidationError({"note": ValidationError(message, code=NOTE_SIGNED)})


def _require_editable(note: Note, actor: str) -> None:
    if note.is_signed:
        raise _signed_error(note)
    if not actor or note.author != actor:
        raise PermissionDenied(
            f"Only the author of this draft ({note.author_display}) can edit or sign it."
        )


def _update_draft(note: Note, **fields) -> None:
    """Write `fields` only if the note is still a draft in the database.

    A conditional UPDATE, not save(): if the note was signed since it was read (another
    tab, an agent step), the signed row is left alone and the caller is told.
    """
    updated = Note.objects.using(note._state.db).filter(pk=note.pk, status=Note.Status.DRAFT).update(**fields)
    if not updated:
        note.refresh_from_db()
        raise _signed_error(note)
    for name, value in fields.items():
        setattr(note, name, value)


# --- services -------------------------------------------------------------------------


@chart_atomic
def note_create(
    *,
    patient: Patient,
    note_type: str,
    author: str,
    author_name: str = "",
    title: str = "",
    text: str = "",
    template_key: str = "",
    encounter: Encounter | None = None,
) -> Note:
    """Start a draft note. With a template, the text is the template's body followed by
    `text`; smart phrases in either are expanded from the chart now."""
    author = (author or "").strip()
    if not author:
        raise ValidationError({"author": "A note needs an author (a username)."})
    note_type = _note_type(note_type)
    template = _template(template_key, note_type)
    body = "\n".join(part for part in ((template.body if template else ""), text or "") if part)
    expanded = smartphrases.expand(_text(body), patient)
    now = timezone.now()
    note = Note.objects.create(
        patient=patient,
        encounter=_encounter(encounter, patient, author),
        note_type=note_type,
        loinc=NOTE_TYPE_LOINC[note_type],
        template_key=template.key if template else "",
        title=_title(title or (template.name if template else Note.NoteType(note_type).label)),
        text=expanded.text,
        status=Note.Status.DRAFT,
        author=author,
        author_name=(author_name or "").strip() or selectors.clinician_display_name(author),
        created_at=now,
        updated_at=now,
    )
    audit_record(
        actor=author,
        action="note.create",
        target=note,
        patient=patient,
        details={
            "note_type": note_type,
            "title": note.title,
            "template": note.template_key,
            "text_length": len(note.text),
            "expanded": list(expanded.expanded),
            # What the author did not write: the template's text and what the smart phrases filled in.
            "inserted_text": smartphrases.inserted_record(template_body=template.body if template else "",
                                                          expansions=expanded.inserted),
        },
    )
    return note


@chart_atomic
def note_edit(
    *, note: Note, actor: str, title: str | None = None, text: str | None = None, expand: bool = True
) -> Note:
    """Change a draft's title and/or text (None leaves it as is). Saving what is already
    there writes nothing and records nothing."""
    _require_editable(note, actor)
    changes = {}
    if title is not None:
        changes["title"] = _title(title)
    expanded: tuple[str, ...] = ()
    inserted: tuple[str, ...] = ()
    if text is not None:
        text = _text(text)
        if expand:
            expansion = smartphrases.expand(text, note.patient)
            text, expanded, inserted = expansion.text, expansion.expanded, expansion.inserted
        changes["text"] = text
    changed = {name: value for name, value in changes.items() if getattr(note, name) != value}
    if not changed:
        return note
    _update_draft(note, **changed, updated_at=timezone.now())
    audit_record(
        actor=actor,
        action="note.edit",
        target=note,
        patient=note.patient,
        details={
            "note_type": note.note_type,
            "title": note.title,
            "fields": sorted(changed),
            "text_length": len(note.text),
            "expanded": list(expanded),
            "inserted_text": smartphrases.inserted_record(expansions=inserted),
            "autosave": not expand,
        },
    )
    return note


@chart_atomic
def note_sign(*, note: Note, actor: str, title: str | None = None, text: str | None = None) -> Note:
    """Sign a draft, optionally with a final title and text, in one step: the signed
    text (smart phrases expanded) is frozen with the time and the author as signer."""
    _require_editable(note, actor)
    final_title = _title(title) if title is not None else note.title
    expansion = smartphrases.expand(_text(text if text is not None else note.text), note.patient)
    if not expansion.text.strip():
        raise ValidationError({"text": "A note cannot be signed without text."})
    now = timezone.now()
    _update_draft(
        note, title=final_title, text=expansion.text, status=Note.Status.SIGNED, signed_at=now, updated_at=now
    )
    audit_record(
        actor=actor,
        action="note.sign",
        target=note,
        patient=note.patient,
        details={
            "note_type": note.note_type,
            "title": note.title,
            "text_length": len(note.text),
            "text_sha256": text_sha256(note.text),
            "signed_at": now.isoformat(),
            "expanded": list(expansion.expanded),
            "inserted_text": smartphrases.inserted_record(expansions=expansion.inserted),
        },
    )
    return note


@chart_atomic
def note_addendum_add(*, note: Note, actor: str, text: str, author_name: str = "") -> Note:
    """Append a signed addendum to a signed note; the note itself is not touched."""
    actor = (actor or "").strip()
    if not actor:
        raise ValidationError({"author": "An addendum needs an author (a username)."})
    if note.is_addendum:
        raise ValidationError({"note": "This is an addendum; add a new addendum to the original note instead."})
    if not note.is_signed:
        raise ValidationError({"note": "Only a signed note can have addenda; edit the draft instead."})
    expansion = smartphrases.expand(_text(text or ""), note.patient)
    if not expansion.text.strip():
        raise ValidationError({"text": "An addendum needs text."})
    now = timezone.now()
    addendum = Note.objects.create(
        patient_id=note.patient_id,
        encounter_id=note.encounter_id,
        parent=note,
        note_type=note.note_type,
        loinc=note.loinc,
        title=f"Addendum to {note.title}"[:TITLE_MAX],
        text=expansion.text,
        status=Note.Status.SIGNED,
        author=actor,
        author_name=(author_name or "").strip() or selectors.clinician_display_name(actor),
        created_at=now,
        updated_at=now,
        signed_at=now,
    )
    audit_record(
        actor=actor,
        action="note.addendum",
        target=addendum,
        patient=note.patient,
        details={
            "parent_id": note.pk,
            "note_type": addendum.note_type,
            "title": addendum.title,
            "text_length": len(addendum.text),
            "text_sha256": text_sha256(addendum.text),
            "signed_at": now.isoformat(),
            "expanded": list(expansion.expanded),
            "inserted_text": smartphrases.inserted_record(expansions=expansion.inserted),
        },
    )
    return addendum
