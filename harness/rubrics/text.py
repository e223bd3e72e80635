"""Does a note document a finding, or only mention its keyword?

A finding counts when one of its terms appears, not negated, in a sentence a clinician
would write: long enough, with the small words prose has (is, with, the, on ...), not
mostly made of the rubric's own terms, and not one word repeated. A bare keyword list,
a pasted smart-phrase table, "No hyperkalemia." or "hyperkalemia hyperkalemia high
potassium elevated potassium" do not count; "Potassium is 5.9 mmol/L, consistent with
hyperkalemia on lisinopril." does.
"""

import re
from dataclasses import dataclass

MIN_SENTENCE_WORDS = 6
MIN_FUNCTION_WORDS = 2
MAX_TERM_SHARE = 0.5
MIN_DISTINCT_SHARE = 0.6
NEGATION_WINDOW = 4  # words before a term in which a negation cue negates it

FUNCTION_WORDS = frozenset(
    """a an the is are was were be been being has have had do does did will would should could may might
    must can of in on at to for with without from by as and or but because since after before while than
    that which who whom this these those it its he she they them his her their patient pt
    no not nor also given due consistent likely noted shows showed today currently remains""".split()
)
NEGATION_CUES = ("no", "not", "denies", "denied", "without", "negative for", "ruled out", "rules out", "absent",
                 "free of", "never", "resolved")
WORD = re.compile(r"[a-z0-9]+(?:[.'/][a-z0-9]+)*")
SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+|;\s*|•")


def words(text: str) -> list[str]:
    return WORD.findall(text.lower())


def sentences(text: str) -> list[str]:
    """The note's sentences, each once (pasting a sentence twice documents nothing more)."""
    seen, out = set(), []
    for part in SENTENCE_END.split(text or ""):
        part = part.strip(" \t-*:")
        key = " ".join(words(part))
        if key and key not in seen:
            seen.add(key)
            out.append(part)
    return out


def _term_pattern(term: str) -> re.Pattern:
    return re.compile(r"(?<![a-z0-9])" + r"\s+".join(re.escape(w) for w in term.lower().split()) + r"(?![a-z0-9])")


@dataclass(frozen=True)
class Prose:
    """Why a sentence does or does not count as prose."""

    ok: bool
    reason: str = ""


def prose(sentence: str, *, all_terms: list[str], min_words: int = MIN_SENTENCE_WORDS) -> Prose:
    tokens = words(sentence)
    if len(tokens) < min_words:
        return Prose(False, f"shorter than {min_words} words")
    if sum(1 for t in tokens if t in FUNCTION_WORDS) < MIN_FUNCTION_WORDS:
        return Prose(False, "a list of keywords, not a sentence")
    if len(set(tokens)) / len(tokens) < MIN_DISTINCT_SHARE:
        return Prose(False, "the same words repeated")
    lowered = " ".join(tokens)
    term_words = sum(len(t.split()) * len(_term_pattern(t).findall(lowered)) for t in set(all_terms))
    if term_words / len(tokens) > MAX_TERM_SHARE:
        return Prose(False, "mostly the rubric's own keywords")
    return Prose(True)


def _negated(sentence: str, start: int) -> bool:
    before = words(sentence[:start])[-NEGATION_WINDOW:]
    window = " ".join(before)
    return any(re.search(rf"(?<![a-z0-9]){re.escape(cue)}(?![a-z0-9])", window) for cue in NEGATION_CUES)


def documented(text: str, terms: list[str], *, all_terms: list[str], min_words: int = MIN_SENTENCE_WORDS) -> str | None:
    """The first prose sentence that states one of `terms` (not negated), or None."""
    for sentence in sentences(text):
        lowered = sentence.lower()
        hits = [m for term in terms for m in _term_pattern(term).finditer(lowered)]
        if not hits:
            continue
        if not prose(sentence, all_terms=all_terms, min_words=min_words).ok:
            continue
        if any(not _negated(lowered, m.start()) for m in hits):
            return sentence
    return None
