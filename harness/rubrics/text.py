"""Does a note document a finding, or only mention its keyword?

A finding counts when one of its terms appears, not negated, in a sentence a clinician
would write: long enough, with the small words prose has (is, with, the, on ...), not a
comma-separated list, not mostly made of the rubric's own terms, and not one word
repeated. A value belongs to its finding: "Potassium is 5.9 mmol/L, consistent with
hyperkalemia" states the potassium's value (the term and the value share a clause);
"Potassium was reviewed; 5.9 was also noted" does not. Numbers are whole tokens: the "2"
of "PHQ-2" is not a score of 2. A note that gives a finding many different values (a
number bag: "the potassium is 3.1 ... the potassium is 3.2 ...") states none of them.
"""

import re
from dataclasses import dataclass

from harness.rubrics.answers import _display_decimals

MIN_SENTENCE_WORDS = 6
MIN_FUNCTION_WORDS = 2
MAX_TERM_SHARE = 0.5
MIN_DISTINCT_SHARE = 0.6
NEGATION_WINDOW = 4  # words before a term in which a negation cue negates it
# A sentence of this many comma-separated parts, most of them one or two words, is a list.
LIST_PARTS, LIST_PART_WORDS = 4, 2
# A finding given more different values than this across the note is a guess at every value.
MAX_VALUES_PER_FINDING = 3

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
CLAUSE_END = re.compile(r"[,;]\s*|\s+(?:but|whereas|although)\s+")
NUMBER = re.compile(r"(?<![a-z0-9])(?<![a-z0-9]-)\d+(?:\.\d+)?(?![a-z0-9]|[.,]\d|-[a-z0-9])")


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


def clauses(sentence: str) -> list[str]:
    """A sentence's clauses: split at commas, semicolons and contrasting conjunctions."""
    return [part for part in CLAUSE_END.split(sentence) if part.strip()]


def _is_number(term: str) -> bool:
    return bool(re.fullmatch(r"-?\d+(?:\.\d+)?", term.strip()))


def term_pattern(term: str) -> re.Pattern:
    """A term as whole words; a number as a whole number (not the 2 of "PHQ-2", the 4.2 of "14.2" or "4.25")."""
    body = r"\s+".join(re.escape(w) for w in term.lower().split())
    if _is_number(term):
        return re.compile(r"(?<![a-z0-9])(?<![a-z0-9]-)(?<!\d\.)" + body + r"(?![a-z0-9]|[.,]\d|-[a-z0-9])")
    return re.compile(r"(?<![a-z0-9])" + body + r"(?![a-z0-9])")


def unit_pattern(unit: str) -> re.Pattern:
    """A unit, which may follow its number directly ("6.8%", "5mg")."""
    body = r"\s*".join(re.escape(w) for w in unit.lower().split())
    return re.compile(r"(?<![a-z])" + body + r"(?![a-z0-9])")


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
    parts = [words(part) for part in sentence.split(",")]
    if len(parts) >= LIST_PARTS and sum(1 for part in parts if len(part) <= LIST_PART_WORDS) * 2 > len(parts):
        return Prose(False, "a comma-separated list, not a sentence")
    if len(set(tokens)) / len(tokens) < MIN_DISTINCT_SHARE:
        return Prose(False, "the same words repeated")
    lowered = " ".join(tokens)
    term_words = sum(len(t.split()) * len(term_pattern(t).findall(lowered)) for t in set(all_terms))
    if term_words / len(tokens) > MAX_TERM_SHARE:
        return Prose(False, "mostly the rubric's own keywords")
    return Prose(True)


def _negated(sentence: str, start: int) -> bool:
    before = words(sentence[:start])[-NEGATION_WINDOW:]
    window = " ".join(before)
    return any(re.search(rf"(?<![a-z0-9]){re.escape(cue)}(?![a-z0-9])", window) for cue in NEGATION_CUES)


def _affirmed(clause: str, terms: list[str]) -> bool:
    lowered = clause.lower()
    return any(not _negated(lowered, m.start()) for term in terms for m in term_pattern(term).finditer(lowered))


def _has_any(clause: str, terms: list[str]) -> bool:
    lowered = clause.lower()
    return any(term_pattern(term).search(lowered) for term in terms)


DATES = re.compile(r"\d{4}-\d{1,2}-\d{1,2}(?:[t ]\d{1,2}:\d{2}(?::\d{2})?)?|\d{1,2}/\d{1,2}/\d{2,4}|\d{1,2}:\d{2}")


def _numbers(clause: str, units: list[str] = ()) -> list[tuple[float, int]]:
    """(value, decimals) of each number of a clause; dates, times and units' own digits left out."""
    lowered = DATES.sub(" ", clause.lower())
    for unit in units:
        lowered = unit_pattern(unit).sub(" ", lowered)
    return [(float(n), len(n.partition(".")[2])) for n in NUMBER.findall(lowered)]


def _same_number(written: tuple[float, int], expected: float) -> bool:
    """A number as written matches the value at the precision the writer gave, which must be at least
    what the chart prints (4.25 prints as 4.2: 4.2, 4.3 and 4.25 match, 4 does not)."""
    value, decimals = written
    if decimals < _display_decimals(expected):
        return False
    return abs(value - expected) <= 0.5 * 10 ** -decimals + 1e-9


def _states_value(clause: str, values: list[str], units: list[str]) -> bool:
    numbers = _numbers(clause, units)
    for value in values:
        if _is_number(value):
            if any(_same_number(written, float(value)) for written in numbers):
                return True
        elif term_pattern(value).search(clause.lower()):
            return True
    return False


def values_stated(text: str, terms: list[str], units: list[str] = ()) -> set[float]:
    """The value each clause naming one of `terms` gives it: the first number after the term (or before
    it, when none follows)."""
    found = set()
    for sentence in sentences(text):
        for clause in clauses(sentence):
            lowered = clause.lower()
            starts = [m.end() for term in terms for m in term_pattern(term).finditer(lowered)]
            if not starts:
                continue
            after = _numbers(lowered[min(starts):], units)
            before = _numbers(lowered[:min(starts)], units)
            if after or before:
                found.add((after or before[::-1])[0][0])
    return found


def documented(text: str, terms: list[str], *, all_terms: list[str], values: list[str] = (),
               units: list[str] = (), min_words: int = MIN_SENTENCE_WORDS) -> str | None:
    """The first prose sentence that states one of `terms` (not negated) in a clause with one of `values`
    and one of `units` (when given), or None."""
    if values and len(values_stated(text, terms, units)) > MAX_VALUES_PER_FINDING:
        return None
    for sentence in sentences(text):
        if not _has_any(sentence, terms) or not prose(sentence, all_terms=all_terms, min_words=min_words).ok:
            continue
        for clause in clauses(sentence):
            if not _affirmed(clause, terms):
                continue
            if values and not _states_value(clause, values, units):
                continue
            if units and not any(unit_pattern(unit).search(clause.lower()) for unit in units):
                continue
            return sentence
    return None


def own_prose_words(text: str, *, all_terms: list[str], min_words: int = MIN_SENTENCE_WORDS) -> int:
    """How many words of the text are in sentences that read as prose."""
    return sum(len(words(s)) for s in sentences(text) if prose(s, all_terms=all_terms, min_words=min_words).ok)
