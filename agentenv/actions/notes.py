"""Clinical notes: the same services and reads as the chart's Notes activity.

Notes are written as the episode's owner: a draft can be edited and signed only by its
author, and a signed note only gains addenda. Smart phrases (.vitals, .meds ...) in the
text are expanded from the chart by the services, as in the editor.
"""

from typing import Literal

from django.core.exceptions import PermissionDenied
from pydantic import Field

from agentenv.actions.common import MRN_DESCRIPTION, iso, patient_for, route
from agentenv.actions.registry import Action, ActionContext, ActionError, ActionResult, action
from clinical.models import Patient
from notes import selectors, services, smartphrases
from notes.models import Note, NoteTemplate

# Lengths on the wire only bound the request; the services check a title's length (and
# say so in their own words) like every other rule of what a note may hold.
TITLE_WIRE_MAX = 1000
NOTE_TYPE = Literal[tuple(Note.NoteType.values)]  # type: ignore[valid-type]
NOTE_TYPES = "; ".join(f"{value} = {label}" for value, label in Note.NoteType.choices)
NOTE_ID = "Id of the note, as create_note or read_chart_section (section notes) returns it."
TEXT_DESCRIPTION = (
    f"Text of the note. Smart phrases ({smartphrases.known_list()}) are replaced by chart data when saved."
)


class ListNoteTemplates(Action):
    """List the note templates (and the smart phrases a note can use)."""

    type: Literal["list_note_templates"] = Field(description="Action type.")
    note_type: NOTE_TYPE | None = Field(None, description=f"Only templates of this note type: {NOTE_TYPES}.")


class CreateNote(Action):
    """Start a draft note on the patient's chart (sign it with sign_note)."""

    type: Literal["create_note"] = Field(description="Action type.")
    note_type: NOTE_TYPE = Field(description=f"Kind of note: {NOTE_TYPES}.")
    mrn: str | None = Field(None, max_length=20, description=MRN_DESCRIPTION)
    title: str = Field("", max_length=TITLE_WIRE_MAX, description="Title; empty: the template's name or the note type.")
    text: str = Field(
        "", max_length=services.TEXT_MAX,
        description=TEXT_DESCRIPTION + " With a template, it follows the template's text.",
    )
    template: str = Field(
        "", max_length=40, description="Key of a template of this note type to start from (see list_note_templates)."
    )


class EditNote(Action):
    """Change the title and/or text of your draft note (signed notes take addenda instead)."""

    type: Literal["edit_note"] = Field(description="Action type.")
    note_id: int = Field(ge=1, description=NOTE_ID)
    mrn: str | None = Field(None, max_length=20, description=MRN_DESCRIPTION)
    title: str | None = Field(None, max_length=TITLE_WIRE_MAX, description="New title; omit to keep it.")
    text: str | None = Field(
        None, max_length=services.TEXT_MAX, description="New full text; omit to keep it. " + TEXT_DESCRIPTION
    )


class SignNote(Action):
    """Sign your draft note, optionally with a final title and text; it can no longer be changed."""

    type: Literal["sign_note"] = Field(description="Action type.")
    note_id: int = Field(ge=1, description=NOTE_ID)
    mrn: str | None = Field(None, max_length=20, description=MRN_DESCRIPTION)
    title: str | None = Field(None, max_length=TITLE_WIRE_MAX, description="Final title; omit to keep the draft's.")
    text: str | None = Field(
        None, max_length=services.TEXT_MAX, description="Final full text; omit to keep the draft's. " + TEXT_DESCRIPTION
    )


class AddAddendum(Action):
    """Add a signed addendum to a signed note (the note itself stays as signed)."""

    type: Literal["add_addendum"] = Field(description="Action type.")
    note_id: int = Field(ge=1, description=NOTE_ID)
    text: str = Field(max_length=services.TEXT_MAX, description="Text of the addendum. " + TEXT_DESCRIPTION)
    mrn: str | None = Field(None, max_length=20, description=MRN_DESCRIPTION)


class ReadNote(Action):
    """Read one note in full, with its addenda."""

    type: Literal["read_note"] = Field(description="Action type.")
    note_id: int = Field(ge=1, description=NOTE_ID)
    mrn: str | None = Field(None, max_length=20, description=MRN_DESCRIPTION)


def _note_json(note: Note) -> dict:
    return {
        "id": note.pk,
        "parent_id": note.parent_id,
        "title": note.title,
        "note_type": note.note_type,
        "status": note.status,
        "template": note.template_key,
        "author": note.author,
        "author_name": note.author_name,
        "created_at": iso(note.created_at),
        "updated_at": iso(note.updated_at),
        "signed_at": iso(note.signed_at),
        "text": note.text,
    }


def _template_json(template: NoteTemplate) -> dict:
    return {
        "key": template.key,
        "name": template.name,
        "note_type": template.note_type,
        "description": template.description,
        "body": template.body,
    }


def _note(patient: Patient, note_id: int) -> Note:
    try:
        return selectors.note_get(patient=patient, note_id=note_id)
    except Note.DoesNotExist:
        raise ActionError(
            f"No note #{note_id} on the chart of {patient.chart_name} (MRN {patient.mrn}); "
            "read_chart_section with section notes lists them."
        ) from None


def _warnings(typed: str | None) -> list[str]:
    """What the editor warns about after a save: smart phrases it did not know, left as typed."""
    unknown = smartphrases.scan(typed or "").unknown
    return [smartphrases.unknown_message(unknown)] if unknown else []


def _result(patient: Patient, note: Note, **extra) -> ActionResult:
    # An addendum is shown on the note it adds to.
    shown = note.parent_id or note.pk
    return ActionResult(
        data={"mrn": patient.mrn, "note": _note_json(note), **extra},
        route=route("notes:note_detail", mrn=patient.mrn, note_id=shown),
        open_mrn=patient.mrn,
    )


@action(ListNoteTemplates)
def list_note_templates(act: ListNoteTemplates, context: ActionContext) -> ActionResult:
    templates = [_template_json(t) for t in selectors.note_templates(note_type=act.note_type or "")]
    phrases = [{"phrase": p.token, "label": p.label, "description": p.description}
               for p in smartphrases.SMART_PHRASES.values()]
    # Templates are chosen on a chart's New note page: with a chart open, the agent is there.
    page = route("notes:note_new", mrn=context.open_mrn) if context.open_mrn else None
    return ActionResult(data={"templates": templates, "smart_phrases": phrases}, route=page)


@action(CreateNote)
def create_note(act: CreateNote, context: ActionContext) -> ActionResult:
    patient = patient_for(act.mrn, context)
    note = services.note_create(
        patient=patient, note_type=act.note_type, author=context.actor, title=act.title, text=act.text,
        template_key=act.template,
    )
    return _result(patient, note, warnings=_warnings(act.text))


@action(EditNote)
def edit_note(act: EditNote, context: ActionContext) -> ActionResult:
    patient = patient_for(act.mrn, context)
    note = _note(patient, act.note_id)
    try:
        note = services.note_edit(note=note, actor=context.actor, title=act.title, text=act.text)
    except PermissionDenied as denied:
        raise ActionError(str(denied)) from None
    return _result(patient, note, warnings=_warnings(act.text))


@action(SignNote)
def sign_note(act: SignNote, context: ActionContext) -> ActionResult:
    patient = patient_for(act.mrn, context)
    note = _note(patient, act.note_id)
    try:
        note = services.note_sign(note=note, actor=context.actor, title=act.title, text=act.text)
    except PermissionDenied as denied:
        raise ActionError(str(denied)) from None
    return _result(patient, note, warnings=_warnings(act.text))


@action(AddAddendum)
def add_addendum(act: AddAddendum, context: ActionContext) -> ActionResult:
    patient = patient_for(act.mrn, context)
    addendum = services.note_addendum_add(note=_note(patient, act.note_id), actor=context.actor, text=act.text)
    return _result(patient, addendum, warnings=_warnings(act.text))


@action(ReadNote)
def read_note(act: ReadNote, context: ActionContext) -> ActionResult:
    patient = patient_for(act.mrn, context)
    note = _note(patient, act.note_id)
    addenda = [] if note.is_addendum else [_note_json(a) for a in selectors.note_addenda(note)]
    return _result(patient, note, addenda=addenda)
