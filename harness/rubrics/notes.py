"""Criteria on clinical notes: signed, of the right type, documenting the findings in prose."""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from harness.rubrics import text
from harness.rubrics.base import Criterion, CriterionResult, RubricContext, Texts, _is_ref, texts
from notes.models import Note


class Finding(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="What the finding is, for the breakdown.")
    terms: Texts = Field(description="Words or phrases that state it (synonyms, values such as {potassium}).")


def _finding(value):
    if isinstance(value, str):
        return {"name": value, "terms": [value]}
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return {"name": value[0], "terms": value}
    return value


class NoteSigned(Criterion):
    """A note signed during the episode, of the right type, stating each finding in a real sentence."""

    kind: Literal["note_signed"] = "note_signed"
    note_type: Texts | None = Field(None, description=f"Note type(s): {', '.join(Note.NoteType.values)} (default any).")
    findings: list[Finding] = Field(
        default_factory=list,
        description='Findings the note must state: "term", ["term", "synonym" ...] or {"name", "terms"}.',
    )
    min_sentence_words: int = Field(text.MIN_SENTENCE_WORDS, ge=3, le=30,
                                    description="A sentence needs this many words to count.")
    min_note_words: int = Field(20, ge=0, le=2000, description="The note needs this many words in all.")
    include_addenda: bool = Field(True, description="An addendum signed in the episode counts as a note.")

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

    def check(self, ctx: RubricContext) -> CriterionResult:
        kinds = ("note.sign", "note.addendum") if self.include_addenda else ("note.sign",)
        signed = Note.objects.filter(pk__in=ctx.targets(*kinds), status=Note.Status.SIGNED)
        if self.note_type:
            signed = signed.filter(note_type__in=texts(self.note_type))
        notes = list(signed.order_by("pk"))
        what = " or ".join(texts(self.note_type)) + " note" if self.note_type else "note"
        if not notes:
            drafts = Note.objects.filter(pk__in=ctx.targets("note.create"), status=Note.Status.DRAFT).exists()
            hint = " (a draft was written but never signed)" if drafts else ""
            return CriterionResult(0.0, False, f"no {what} signed in this episode{hint}")
        all_terms = [term for finding in self.findings for term in texts(finding.terms)]
        best: tuple[float, list[str]] = (-1.0, [])
        for note in notes:
            if len(text.words(note.text)) < self.min_note_words:
                score, missing = 0.0, [f"the note is shorter than {self.min_note_words} words"]
            else:
                missing = [
                    finding.name for finding in self.findings
                    if text.documented(note.text, texts(finding.terms), all_terms=all_terms,
                                       min_words=self.min_sentence_words) is None
                ]
                score = 1 - len(missing) / len(self.findings) if self.findings else 1.0
            if score > best[0]:
                best = (score, missing)
        score, missing = best
        if missing:
            return CriterionResult(score, False, "signed note does not state in sentences: " + "; ".join(missing))
        return CriterionResult(1.0, True, f"the signed {what} states every finding")
