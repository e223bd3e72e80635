"""Criteria on clinical notes: signed, of the right type, documenting the findings in the author's own prose.

What counts is what the author wrote: the text a template or a smart phrase filled in
(.labs, .vitals, headings) is recorded on the note's audit events and set aside, so a note
of pasted tables documents nothing. Every note of the type the episode signed is judged
(a wrong signed note stays in the chart: leaving it there is a documented error), each
with the addenda the episode signed to it.
"""

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from harness.rubrics import text
from harness.rubrics.answers import UNIT_SYNONYMS, _unit_key
from harness.rubrics.base import Criterion, CriterionResult, RubricContext, Texts, _is_ref, texts
from notes.models import Note
from notes.selectors import notes_draft_exist, notes_signed_by_id

NOTE_EVENTS = ("note.create", "note.edit", "note.sign", "note.addendum")


class Finding(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="What the finding is, for the breakdown.")
    terms: Texts = Field(description="Words or phrases that name it (synonyms).")
    values: Texts | None = Field(None, description="Its value(s): one must be stated in the same clause as a term "
                                                   "(numbers compare at the precision written).")
    units: Texts | None = Field(None, description="Its unit(s): one must be in that clause too (synonyms count).")


def _finding(value):
    if isinstance(value, str):
        return {"name": value, "terms": [value]}
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return {"name": value[0], "terms": value}
    return value


def _unit_spellings(units: list[str]) -> list[str]:
    spellings = []
    for unit in units:
        key = _unit_key(unit)
        spellings += [unit, *(UNIT_SYNONYMS.get(key or "", ()))]
    return list(dict.fromkeys(spellings))


@dataclass
class Document:
    """A signed note with the addenda the episode signed to it, and the text its author did not write."""

    note: Note
    text: str
    inserted: set[str]

    @property
    def own_text(self) -> str:
        """The text with every inserted piece taken out (the longest first: an expansion may hold a shorter one)."""
        own = self.text
        for piece in sorted(self.inserted, key=len, reverse=True):
            own = own.replace(piece, "\n")
        return own


def _inserted_text(ctx: RubricContext) -> dict[int, set[str]]:
    """Per note (by id), the template and smart-phrase text its events recorded."""
    pieces: dict[int, set[str]] = {}
    for event in ctx.patient_events(*NOTE_EVENTS):
        if event.target_id.isdigit():
            pieces.setdefault(int(event.target_id), set()).update(event.details.get("inserted_text", []))
    return pieces


def signed_documents(ctx: RubricContext, *, note_types: list[str] | None, include_addenda: bool) -> list[Document]:
    signed_ids = ctx.targets("note.sign")
    addendum_ids = ctx.targets("note.addendum") if include_addenda else []
    notes = notes_signed_by_id(signed_ids + addendum_ids, note_types=note_types)
    inserted = _inserted_text(ctx)
    by_parent: dict[int, list[Note]] = {}
    for note in notes:
        if note.parent_id in signed_ids:
            by_parent.setdefault(note.parent_id, []).append(note)
    documents = []
    for note in notes:
        if note.parent_id in signed_ids:
            continue  # read with the note it adds to
        parts = [note, *by_parent.get(note.pk, [])]
        documents.append(Document(note, "\n".join(part.text for part in parts),
                                  set().union(*(inserted.get(part.pk, set()) for part in parts))))
    return documents


class NoteSigned(Criterion):
    """Every note of the type signed during the episode states each finding (and its value) in the author's
    own sentences."""

    kind: Literal["note_signed"] = "note_signed"
    note_type: Texts | None = Field(None, description=f"Note type(s): {', '.join(Note.NoteType.values)} (default any).")
    findings: list[Finding] = Field(
        default_factory=list,
        description='Findings the note must state: "term", ["term", "synonym" ...] or '
                    '{"name", "terms", "values", "units"}.',
    )
    min_sentence_words: int = Field(text.MIN_SENTENCE_WORDS, ge=3, le=30,
                                    description="A sentence needs this many words to count.")
    min_note_words: int = Field(20, ge=0, le=2000, description="Words of the author's own prose the note needs "
                                                               "(template and smart-phrase text do not count).")
    include_addenda: bool = Field(True, description="Addenda signed in the episode count: with their note, or alone "
                                                    "when they add to a note from before the episode.")

    @field_validator("findings", mode="before")
    @classmethod
    def _shorthand(cls, value):
        return [_finding(item) for item in value] if isinstance(value, list) else value

    @field_validator("note_type")
    @classmethod
    def _types(cls, value):
        if value is None or _is_ref(value):
            return value
        unknown = [v for v in texts(value) if v not in Note.NoteType.values]
        if unknown:
            raise ValueError(f"unknown note type(s) {', '.join(unknown)}; choose {', '.join(Note.NoteType.values)}")
        return value

    def _judge(self, document: Document, all_terms: list[str]) -> tuple[float, list[str]]:
        own = document.own_text
        own_words = text.own_prose_words(own, all_terms=all_terms, min_words=self.min_sentence_words)
        if own_words < self.min_note_words:
            return 0.0, [f"note #{document.note.pk} has {own_words} words of its author's own prose "
                         f"(template and smart-phrase text aside), fewer than {self.min_note_words}"]
        missing = [
            finding.name for finding in self.findings
            if text.documented(own, texts(finding.terms), all_terms=all_terms,
                               values=texts(finding.values) if finding.values else (),
                               units=_unit_spellings(texts(finding.units)) if finding.units else (),
                               min_words=self.min_sentence_words) is None
        ]
        score = 1 - len(missing) / len(self.findings) if self.findings else 1.0
        return score, missing

    def check(self, ctx: RubricContext) -> CriterionResult:
        note_types = texts(self.note_type) if self.note_type else None
        documents = signed_documents(ctx, note_types=note_types, include_addenda=self.include_addenda)
        what = " or ".join(note_types) + " note" if note_types else "note"
        if not documents:
            drafts = notes_draft_exist(ctx.targets("note.create"))
            hint = " (a draft was written but never signed)" if drafts else ""
            return CriterionResult(0.0, False, f"no {what} signed in this episode{hint}")
        all_terms = [term for finding in self.findings for term in texts(finding.terms)]
        judged = [(document, *self._judge(document, all_terms)) for document in documents]
        worst_document, score, missing = min(judged, key=lambda row: row[1])
        if missing:
            which = f"signed {what} #{worst_document.note.pk}" if len(documents) > 1 else f"signed {what}"
            return CriterionResult(score, False, f"{which} does not state in sentences: " + "; ".join(missing))
        plural = f"each of the {len(documents)} signed {what}s" if len(documents) > 1 else f"the signed {what}"
        return CriterionResult(1.0, True, f"{plural} states every finding")
