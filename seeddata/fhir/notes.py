"""Synthea's DocumentReference (a clinical note, base64 text) as a signed Note.

Registered with the importer from SeeddataConfig.ready(); it runs once the chart's own resources are written.
"""

import base64
import binascii

from fhirclient.models.documentreference import DocumentReference

from clinical.models import CodeSystem, Encounter
from notes.models import NOTE_TYPE_LOINC, Note
from seeddata.fhir import elements as el
from seeddata.fhir.registry import ImportContext, Skip, register_handler
from seeddata.fhir.writing import import_rows

NOTE_TYPES = {loinc: note_type for note_type, loinc in NOTE_TYPE_LOINC.items()}


def _text(resource: DocumentReference) -> str:
    for content in resource.content or []:
        attachment = content.attachment
        if attachment and attachment.data:
            try:
                return base64.b64decode(attachment.data, validate=True).decode("utf-8", errors="replace")
            except (binascii.Error, ValueError):
                raise Skip("attachment is not valid base64") from None
    raise Skip("no inline note text")


def _author_name(resource: DocumentReference, ctx: ImportContext) -> str:
    author = el.first(resource.author)
    raw = ctx.resolver.raw(author) or {}
    names = raw.get("name") or []
    if raw.get("resourceType") == "Practitioner" and names:
        name = names[0]
        return " ".join([*name.get("prefix", []), *name.get("given", []), name.get("family", "")]).strip()
    return (author.display or "") if author else ""


def _note(resource: DocumentReference, ctx: ImportContext) -> Note:
    ctx.require_own_subject(resource, resource.subject)
    context = resource.context
    written = el.when(resource.date) or el.start(context.period if context else None)
    if written is None:
        raise Skip("no date")
    loinc = el.code(resource.type, CodeSystem.LOINC)
    return Note(
        fhir_id=resource.id,
        patient_id=ctx.patient.pk,
        encounter_id=ctx.pk(Encounter, el.first(context.encounter) if context else None),
        note_type=NOTE_TYPES.get(loinc, Note.NoteType.PROGRESS),
        loinc=loinc,
        title=el.text(resource.type, CodeSystem.LOINC) or "Clinical note",
        text=_text(resource),
        # Synthea's notes are finished documents: they arrive signed, by their author.
        status=Note.Status.SIGNED,
        author_name=_author_name(resource, ctx),
        created_at=written,
        updated_at=written,
        signed_at=written,
    )


def import_document_references(resources: list[DocumentReference], ctx: ImportContext) -> None:
    import_rows(ctx, Note, resources, _note)


def register() -> None:
    register_handler(DocumentReference, import_document_references)
