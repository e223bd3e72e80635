"""DocumentReference: the notes, their text as a base64 text/plain attachment.

A note imported with the chart keeps its FHIR id; a note written in this EHR is `note-<number>`.
"""

import base64

from django.db.models import Q
from fhirclient.models.documentreference import DocumentReference as FHIRDocumentReference

from clinical.models import CodeSystem
from fhirapi.resources.base import (
    ResourceType,
    coding,
    compact,
    encounter_ref,
    instant,
    patient_parameter,
    patient_ref,
)
from fhirapi.search import Parameter, date_match
from notes.models import NOTE_TYPE_LOINC, Note

CATEGORY = coding("http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category", "clinical-note",
                  "Clinical Note")
LOCAL_PREFIX = "note-"


def rows():
    return Note.objects.select_related("patient", "encounter", "parent")


def ident_of(note: Note) -> str:
    return note.fhir_id or f"{LOCAL_PREFIX}{note.pk}"


def get(ident: str) -> Note:
    local = ident.removeprefix(LOCAL_PREFIX)
    if ident.startswith(LOCAL_PREFIX) and local.isdigit():
        return rows().get(pk=int(local), fhir_id__isnull=True)
    return rows().get(fhir_id=ident)


def _id(value: str) -> Q:
    local = value.removeprefix(LOCAL_PREFIX)
    if value.startswith(LOCAL_PREFIX) and local.isdigit():
        return Q(pk=int(local), fhir_id__isnull=True)
    return Q(fhir_id=value)


def serialise(note: Note) -> dict:
    loinc = note.loinc or NOTE_TYPE_LOINC.get(note.note_type, "")
    return compact({
        "resourceType": "DocumentReference",
        "id": ident_of(note),
        "status": "current",
        "docStatus": "final" if note.is_signed else "preliminary",
        "type": {"coding": [coding(CodeSystem.LOINC, loinc)], "text": note.title} if loinc else {"text": note.title},
        "category": [{"coding": [CATEGORY]}],
        "subject": patient_ref(note.patient),
        "date": instant(note.signed_at or note.created_at),
        "author": [{"display": note.author_display}],
        "description": note.title,
        "relatesTo": [{"code": "appends", "target": {"reference": f"DocumentReference/{ident_of(note.parent)}"}}]
        if note.parent_id else [],
        "content": [{"attachment": {"contentType": "text/plain; charset=utf-8", "title": note.title,
                                    "data": base64.b64encode(note.text.encode()).decode("ascii"),
                                    "creation": instant(note.created_at)}}],
        "context": {"encounter": [encounter_ref(note)["encounter"]]} if note.encounter_id else None,
    })


TYPES = [ResourceType(
    name="DocumentReference",
    model=FHIRDocumentReference,
    rows=rows,
    serialise=serialise,
    get=get,
    parameters={
        "_id": Parameter("token", "The note's id.", _id),
        **patient_parameter(),
        "date": Parameter("date", "When it was written, with the prefixes eq, ne, gt, lt, ge, le.",
                          date_match("created_at")),
    },
    ordering=("-created_at", "-id"),
    date_field="created_at",
    documentation="The notes (drafts are docStatus preliminary); the text is a base64 text/plain attachment.",
)]
