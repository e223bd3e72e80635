"""Criteria on how the episode ended: the final answer, or a reported infeasibility.

The expected answer comes from the chart at reset (a fact), so it is right for any
population. Matching is strict where guessing would pay: a number answer must hold
exactly one number (dates and times are not numbers here) at the precision the chart
shows, and a unit, if given, must be the right one; a categorical answer must name
exactly one of the choices; a list answer scores its overlap and passes only when it
is the same set.
"""

import math
import re
from datetime import date, datetime
from typing import Any, Literal

from pydantic import Field

from clinical.display_precision import display_decimals
from harness.rubrics.base import Criterion, CriterionResult, RubricContext

# Units as the chart stores them (UCUM), with what people write for them.
UNIT_SYNONYMS = {
    "mmol/l": {"mmol/l", "meq/l", "mmol per liter"},
    "mg/dl": {"mg/dl"},
    "g/dl": {"g/dl"},
    "%": {"%", "percent", "pct"},
    "mm[hg]": {"mm[hg]", "mmhg", "mm hg"},
    "/min": {"/min", "bpm", "beats/min", "breaths/min", "per minute", "/minute"},
    "cel": {"cel", "°c", "degc", "deg c", "celsius"},
    "kg/m2": {"kg/m2", "kg/m²"},
    "ml/min": {"ml/min", "ml/min/1.73m2", "ml/min/1.73 m2", "ml/min/{1.73_m2}"},
    "kg": {"kg", "kilograms", "kilogram"},
    "cm": {"cm", "centimeters", "centimetres"},
    "mg/l": {"mg/l"},
    "ng/ml": {"ng/ml"},
    "u/l": {"u/l", "iu/l"},
    "10*3/ul": {"10*3/ul", "k/ul", "x10^3/ul", "10^3/ul", "thou/ul"},
    "fl": {"fl"},
    "pg": {"pg"},
}
OTHER_UNITS = {"umol/l", "µmol/l", "g/l", "mg/g", "pg/ml", "miu/l", "lb", "lbs", "in", "inches", "10*9/l", "ng/dl"}
KNOWN_UNITS = sorted(set().union(*UNIT_SYNONYMS.values(), OTHER_UNITS), key=len, reverse=True)

DATES = re.compile(r"\d{4}-\d{1,2}-\d{1,2}(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
                   r"|\d{1,2}/\d{1,2}/\d{2,4}|\d{1,2}:\d{2}(?::\d{2})?")
NUMBER = re.compile(r"(?<![\w.])[-−]?\d{1,3}(?:,\d{3})+(?:\.\d+)?(?![\w])|(?<![\w.])[-−]?\d+(?:\.\d+)?(?![\w]|\.\d)")
NONE_ANSWERS = {"none", "no", "nil", "n/a", "na", "nka", "nkda", "no known allergies", "no known drug allergies",
                "no allergies", "empty", "no active problems", "no active medications", "none known"}
SEMANTIC_TAG = re.compile(r"\s*\((?:finding|disorder|substance|organism|situation|procedure|product|"
                          r"person|qualifier value|observable entity|morphologic abnormality)\)\s*$", re.I)


def normalize(text: str) -> str:
    """Lower case, no semantic tag, no punctuation at the ends, one space between words."""
    text = SEMANTIC_TAG.sub("", str(text or ""))
    text = re.sub(r"\s+", " ", text.strip().lower())
    return text.strip(" .,:;!?\"'()[]")


def _unit_key(unit: str) -> str | None:
    unit = normalize(unit) if unit else ""
    for key, synonyms in UNIT_SYNONYMS.items():
        if unit in synonyms or unit == key:
            return key
    return unit or None


def _display_decimals(value: float) -> int:
    """Decimals the chart prints for a value (Observation.value_display): one below 1000, none
    from 1000, and none when the decimal is 0 (14.97 prints as 15.0, shown as 15)."""
    if abs(value) >= 1000:
        return 0
    return 0 if f"{value:.1f}".endswith(".0") else 1


def numbers_in(answer: str, *, unit: str | None = None) -> list[tuple[float, int, int]]:
    """(value, decimals, end) of each number in the answer, dates and times left out."""
    text = DATES.sub(" ", answer)
    for synonym in UNIT_SYNONYMS.get(_unit_key(unit) or "", {unit} if unit else set()):
        if synonym and any(ch.isdigit() for ch in synonym):
            # A unit like 10*3/uL or mL/min/1.73m2 holds digits that are not the answer.
            text = re.sub(re.escape(synonym), lambda m: " " * len(m.group(0)), text, flags=re.I)
    found = []
    for match in NUMBER.finditer(text):
        raw = match.group(0).replace("−", "-").replace(",", "")
        _, _, fraction = raw.partition(".")
        found.append((float(raw), len(fraction), match.end()))
    return found


def _unit_after(answer: str, end: int) -> str | None:
    rest = answer[end:].lstrip(" (").lower()
    for unit in KNOWN_UNITS:
        if rest.startswith(unit) and not rest[len(unit):len(unit) + 1].isalnum():
            return unit
    return None


def match_number(answer: str, expected: float, *, unit: str | None, tolerance: float | None,
                 rel_tolerance: float, shown_decimals: int | None = None) -> CriterionResult:
    """`shown_decimals`: the precision the chart displays the expected value with (its analyte's, see
    clinical.display_precision); without it, Observation.value_display's old rule (_display_decimals)."""
    found = numbers_in(answer, unit=unit)
    values = sorted({value for value, _, _ in found})
    if not values:
        return CriterionResult(0.0, False, "the answer holds no number")
    if len(values) > 1:
        return CriterionResult(0.0, False, f"the answer holds {len(values)} different numbers; give one")
    value, decimals, end = next(item for item in found if item[0] == values[0])
    given_unit = _unit_after(answer, end)
    if unit and given_unit and _unit_key(given_unit) != _unit_key(unit):
        return CriterionResult(0.0, False, f"unit {given_unit} is not {unit}")
    if tolerance is None:
        # The value as the chart prints it always matches (28.13 U/L shown as 28: "28" and "28.0"). Otherwise at
        # least the precision the chart prints, and the answer may be rounded at its own precision: 4.25 prints
        # as 4.2, so 4.2, 4.3 and 4.25 match and 4 does not.
        needed = _display_decimals(expected) if shown_decimals is None else shown_decimals
        if math.isclose(value, float(f"{expected:.{needed}f}"), abs_tol=1e-9):
            return CriterionResult(1.0, True, f"{value:g} matches (as the chart shows it)")
        if decimals < needed:
            return CriterionResult(0.0, False, f"{value:g} is less precise than the chart shows ({needed} decimal)")
        allowed = 0.5 * 10 ** (-decimals)
    else:
        allowed = float(tolerance)
    allowed = max(allowed, rel_tolerance * abs(expected))
    if math.isclose(value, expected, abs_tol=allowed + 1e-9):
        return CriterionResult(1.0, True, f"{value:g} matches")
    # The expected value is never quoted: an agent reading its error could answer right on a replay.
    return CriterionResult(0.0, False, f"{value:g} does not match the chart")


def split_list(answer: str) -> list[str]:
    parts = re.split(r"[,;\n]|\band\b|\s&\s", answer)
    items = [normalize(part) for part in parts]
    items = [item for item in items if item]
    if len(items) == 1 and items[0] in NONE_ANSWERS:
        return []
    return items


# Words a name may leave out and still name the same thing ("dust mite" for "House dust mite",
# "penicillin" for "Penicillin V"): qualifiers, not what tells one item from another ("pollen" does not
# name "Tree pollen", nor "chronic disease" "Chronic kidney disease").
QUALIFIERS = frozenset({"house", "edible", "cow's", "cows", "allergy", "to", "of", "the", "substance", "finding",
                        "disorder", "organism", "product"})


def _stem(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def _same_item(given: str, expected: str) -> bool:
    """Equal (plurals aside), or one names the other but for a qualifier ("penicillin" for "Penicillin V",
    "dust mite" for "House dust mite")."""
    a, b = ({_stem(w) for w in re.findall(r"[a-z0-9']+", text)} for text in (given, expected))
    if a == b:
        return True
    shorter, longer = (a, b) if len(a) <= len(b) else (b, a)
    extra = longer - shorter
    return (any(len(w) >= 3 and w not in QUALIFIERS for w in shorter) and shorter <= longer and len(extra) <= 1
            and all(word in QUALIFIERS or len(word) <= 2 for word in extra))


def match_list(answer: str, expected: list, *, ordered: bool) -> CriterionResult:
    want = [normalize(item) for item in expected]
    # Naming an item twice names it once ("pollen; pollen" is not two pollen allergies).
    given = list(dict.fromkeys(split_list(answer)))
    if not want:
        ok = not given
        return CriterionResult(1.0 if ok else 0.0, ok, "none, as expected" if ok else "expected none")
    matched, unmatched_given, remaining = [], [], list(want)
    for item in given:
        hits = [w for w in remaining if _same_item(item, w)]
        exact = [w for w in hits if w == item]
        # A name that fits several expected items names none of them.
        hit = exact[0] if exact else (hits[0] if len(hits) == 1 and not _ambiguous(item, want) else None)
        if hit is None:
            unmatched_given.append(item)
        else:
            remaining.remove(hit)
            matched.append(hit)
    union = len(want) + len(unmatched_given)
    score = len(matched) / union if union else 1.0
    in_order = not ordered or matched == [w for w in want if w in matched]
    ok = not remaining and not unmatched_given and in_order
    problems = []
    if remaining:
        problems.append(f"{len(remaining)} missing")
    if unmatched_given:
        problems.append(f"{len(unmatched_given)} not expected or not specific: {', '.join(unmatched_given[:5])}")
    if not in_order:
        problems.append("out of order")
    return CriterionResult(score, ok, "; ".join(problems) if problems else "every item matches")


def _ambiguous(item: str, want: list[str]) -> bool:
    return sum(1 for w in want if _same_item(item, w)) > 1


NEGATION = re.compile(r"(?<![a-z0-9])(?:no|not|non|never|without|neither|nor|isn't|is not|aren't|won't)\W+(?:\w+\W+)?$")


def _choice_spans(given: str, choices: list[str]) -> list[tuple[int, int, str]]:
    """Where each choice is named in the answer; a choice inside a longer named choice does not count."""
    spans = [(m.start(), m.end(), choice) for choice in choices
             for m in re.finditer(rf"(?<![a-z0-9]){re.escape(normalize(choice))}(?![a-z0-9])", given)]
    return [span for span in spans if not any(
        other[0] <= span[0] and span[1] <= other[1] and other[1] - other[0] > span[1] - span[0] for other in spans)]


def match_text(answer: str, expected: str, *, accept: list[str], choices: list[str]) -> CriterionResult:
    given = normalize(answer)
    if choices:
        spans = _choice_spans(given, choices)
        negated = [choice for start, _, choice in spans if NEGATION.search(given[:start])]
        if negated:
            return CriterionResult(0.0, False, f"\"{given}\" negates {negated[0]}: name the choice that holds, "
                                               f"one of {', '.join(choices)}")
        named = list(dict.fromkeys(choice for _, _, choice in spans))
        if len(named) != 1:
            return CriterionResult(0.0, False, f"name exactly one of: {', '.join(choices)}")
        ok = normalize(named[0]) in {normalize(expected), *(normalize(a) for a in accept)}
        return CriterionResult(1.0 if ok else 0.0, ok, "matches" if ok else f"{named[0]} is not right")
    ok = given in {normalize(expected), *(normalize(a) for a in accept)}
    return CriterionResult(1.0 if ok else 0.0, ok, "matches" if ok else "does not match")


def match_mrn(answer: str, expected: str) -> CriterionResult:
    """Exactly one token shaped like the expected MRN (its letters and digit count): naming
    several patients is not an answer, while a birth year beside the MRN does not count."""
    expected = str(expected).strip().upper()
    letters = len(expected) - len(expected.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
    shape = re.compile(rf"(?<![A-Z0-9])[A-Z]{{{letters}}}\d{{{len(expected) - letters}}}(?![A-Z0-9])")
    tokens = set(shape.findall(answer.upper()))
    if len(tokens) != 1:
        return CriterionResult(0.0, False, "give exactly one MRN")
    ok = tokens.pop() == expected
    return CriterionResult(1.0 if ok else 0.0, ok, "matches" if ok else "a different patient's MRN")


def _dates(answer: str) -> set[date]:
    found = set()
    for match in re.finditer(r"\d{4}-\d{1,2}-\d{1,2}|\d{1,2}/\d{1,2}/\d{4}", answer):
        text = match.group(0)
        try:
            found.add(datetime.strptime(text, "%Y-%m-%d" if "-" in text else "%m/%d/%Y").date())
        except ValueError:
            continue
    return found


def match_date(answer: str, expected: str) -> CriterionResult:
    dates = _dates(answer)
    if len(dates) != 1:
        return CriterionResult(0.0, False, "give exactly one date (YYYY-MM-DD or MM/DD/YYYY)")
    ok = dates.pop() == date.fromisoformat(str(expected)[:10])
    return CriterionResult(1.0 if ok else 0.0, ok, "matches" if ok else "a different date")


class AnswerMatches(Criterion):
    """The final answer equals the value the chart held at reset (a number, text, list, MRN or date)."""

    kind: Literal["answer_matches"] = "answer_matches"
    expected: Any = Field(description="The expected answer, usually a fact: \"{potassium}\" (number mode: a list "
                                      "of numbers means any of them).")
    match: Literal["auto", "number", "text", "list", "mrn", "date"] = Field(
        "auto", description="How to compare; auto: number for numbers, list for lists, else text."
    )
    unit: str | None = Field(None, description="Expected unit: an answer giving another unit fails.")
    tolerance: float | None = Field(None, ge=0, description="Absolute tolerance (default: the chart's precision).")
    loinc: str | list[str] | None = Field(
        None, description="LOINC code(s) of the result the expected number is: the answer may give it as the chart "
                          "displays it (at that analyte's precision, e.g. ALT 28.13 U/L shown as 28). With several "
                          "codes (one analyte in blood and serum), the least precise.")
    rel_tolerance: float = Field(0.0, ge=0, le=1, description="Relative tolerance.")
    accept: list[str] = Field(default_factory=list, description="Other texts that also count (text answers).")
    choices: list[str] = Field(default_factory=list, description="The options of a categorical question.")
    ordered: bool = Field(False, description="List answers must keep the expected order.")

    def _mode(self) -> str:
        if self.match != "auto":
            return self.match
        if isinstance(self.expected, bool):
            return "text"
        if isinstance(self.expected, int | float):
            return "number"
        return "list" if isinstance(self.expected, list) else "text"

    def _shown_decimals(self, number: float) -> int | None:
        if not self.loinc:
            return None
        codes = [self.loinc] if isinstance(self.loinc, str) else self.loinc
        return min(display_decimals(code, number) for code in codes)

    def check(self, ctx: RubricContext) -> CriterionResult:
        if not ctx.answer or not ctx.answer.strip():
            return CriterionResult(0.0, False, "no answer given")
        mode, answer = self._mode(), ctx.answer
        if mode == "number":
            # A list of numbers: any of them is right (two results filed at the same moment).
            candidates = self.expected if isinstance(self.expected, list) else [self.expected]
            try:
                numbers = [float(value) for value in candidates]
            except (TypeError, ValueError):
                return CriterionResult(0.0, False, f"the task's expected value {self.expected!r} is not a number")
            results = [match_number(answer, number, unit=self.unit, tolerance=self.tolerance,
                                    rel_tolerance=self.rel_tolerance, shown_decimals=self._shown_decimals(number))
                       for number in numbers]
            return next((result for result in results if result.passed), results[0])
        if mode == "list":
            expected = self.expected if isinstance(self.expected, list) else [self.expected]
            return match_list(answer, expected, ordered=self.ordered)
        if mode == "mrn":
            return match_mrn(answer, self.expected)
        if mode == "date":
            return match_date(answer, self.expected)
        return match_text(answer, str(self.expected), accept=self.accept, choices=self.choices)


class InfeasibleReported(Criterion):
    """The agent ended the episode with report_infeasible (the task asked for something it must refuse)."""

    kind: Literal["infeasible_reported"] = "infeasible_reported"
    min_reason_words: int = Field(3, ge=1, description="The reason must have at least this many words.")

    def check(self, ctx: RubricContext) -> CriterionResult:
        last = ctx.actions[-1] if ctx.actions else {}
        if last.get("type") != "report_infeasible":
            return CriterionResult(0.0, False, "the episode did not end with report_infeasible")
        reason_words = len(str(last.get("reason", "")).split())
        if reason_words < self.min_reason_words:
            return CriterionResult(0.5, False, f"the reason needs {self.min_reason_words}+ words")
        return CriterionResult(1.0, True, "reported infeasible with a reason")
