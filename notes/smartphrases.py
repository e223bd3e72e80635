"""Smart phrases: `.vitals`, `.meds` ... typed in a note and replaced by chart data.

Expansion reads the chart through clinical selectors at the moment it runs, and the
result is plain text written into the note: like Epic's SmartLinks, a note keeps the
values it was written with, whatever the chart says later.

A phrase is a dot at the start of a word followed by its name (`.vitals`, `.VITALS`);
a dot inside a word or number (`e.g.`, `7.5`, `www.x.org`) is never a phrase. Names
not listed here are left exactly as typed and reported as unknown.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from clinical import results_selectors, selectors
from clinical.charts import display_unit
from clinical.models import Patient

# A dot not preceded by a word character or another dot, then a name starting with a letter.
TOKEN = re.compile(r"(?<![\w.])\.([A-Za-z][A-Za-z0-9_]*)\b")

# `.labs` shows the latest result of each test drawn within this window of the newest
# result: the current picture, not years of history.
LAB_WINDOW = timedelta(days=30)
LAB_LIMIT = 25
# Synthea files questionnaires (PRAPARE social needs, PHQ-2, AUDIT-C, opioid-use items)
# under "laboratory" too. `.labs` keeps measured values, and text results only when
# they name a specimen (urine color, influenza antigen), not when they answer a question.
QUESTIONNAIRE_UNITS = frozenset({"{score}", "{#}"})
SPECIMEN = re.compile(r"urine|blood|serum|plasma|specimen|stool|tissue|\bNAA\b", re.IGNORECASE)

ANNOTATION = re.compile(r"\{([^}]*)\}")

DATE = "%m/%d/%Y"
DATE_TIME = "%m/%d/%Y %H:%M"


@dataclass(frozen=True)
class SmartPhrase:
    name: str
    label: str
    description: str
    render: Callable[[Patient], str]

    @property
    def token(self) -> str:
        return f".{self.name}"


@dataclass(frozen=True)
class Scan:
    """Which phrases a text contains, in order of first appearance, without reading the chart."""

    known: tuple[str, ...]
    unknown: tuple[str, ...]


@dataclass(frozen=True)
class Expansion:
    text: str
    expanded: tuple[str, ...]
    unknown: tuple[str, ...]
    # The text each phrase was replaced with, so what the author wrote can be told from what the chart
    # filled in (a note of pasted tables documents nothing by itself).
    inserted: tuple[str, ...] = ()


# --- rendering ------------------------------------------------------------------------


def _local(moment: datetime, fmt: str) -> str:
    return timezone.localtime(moment).strftime(fmt)


def _unit(code: str) -> str:
    """A UCUM unit as printed in a note: mm[Hg] → mmHg; a bare annotation ({score},
    {presence}) is no unit at all; an embedded one loses its braces (mL/min/1.73 m2)."""
    if code.startswith("{") and code.endswith("}") and code.count("{") == 1:
        return ""
    return ANNOTATION.sub(lambda m: m.group(1).replace("_", " "), display_unit(code) if "{" not in code else code)


def _with_unit(value: str, unit_code: str) -> str:
    unit = _unit(unit_code)
    if not unit:
        return value
    # Rates and percentages read as one word (81/min, 98%); other units are spaced.
    return f"{value}{unit}" if unit.startswith(("/", "%")) else f"{value} {unit}"


def _flagged(text: str, flag: str) -> str:
    return f"{text} ({flag})" if flag else text


def render_name(patient: Patient) -> str:
    return patient.full_name


def render_age(patient: Patient) -> str:
    years = patient.age
    if years >= 2:
        return f"{years} y.o."
    end = patient.deceased_at.date() if patient.deceased_at else timezone.localdate()
    born = patient.birth_date
    months = (end.year - born.year) * 12 + end.month - born.month - (end.day < born.day)
    return f"{months} m.o."


def render_mrn(patient: Patient) -> str:
    return patient.mrn


def render_dob(patient: Patient) -> str:
    return patient.birth_date.strftime(DATE)


def _vital_text(reading: selectors.VitalReading) -> str:
    value = _with_unit(reading.text, reading.parts[0].unit if reading.parts else "")
    return _flagged(f"{reading.vital.label} {value}", reading.flag)


def render_vitals(patient: Patient) -> str:
    readings = selectors.vitals_latest(patient)
    if not readings:
        return "No vitals on file"
    # Each vital's latest reading may come from a different visit: one line per time.
    by_time: dict[datetime, list[str]] = {}
    for reading in readings:
        by_time.setdefault(reading.at, []).append(_vital_text(reading))
    return "\n".join(
        f"Vitals ({_local(at, DATE_TIME)}): {', '.join(by_time[at])}" for at in sorted(by_time, reverse=True)
    )


def _value(obs) -> str:
    if obs.value_num is None:
        return obs.value_text
    # Two decimals at most (1.02, 8.6, 142): close to the stored value, which the notes' criteria compare a
    # stated result with, rather than Results Review's lab precision (clinical.display_precision).
    number = f"{obs.value_num:.2f}".rstrip("0").rstrip(".") if abs(obs.value_num) < 1000 else f"{obs.value_num:.0f}"
    return _with_unit(number or "0", obs.unit)


def _lab_line(obs) -> str:
    line = _flagged(f"- {obs.display}: {_value(obs)}", obs.flag)
    if obs.reference_range:
        line += f" [ref {obs.reference_range}]"
    return f"{line} ({_local(obs.effective_at, DATE)})"


def _is_lab_test(obs) -> bool:
    if obs.loinc in selectors.VITAL_LOINCS:  # some blood pressures are filed as labs; .vitals has them
        return False
    if obs.unit in QUESTIONNAIRE_UNITS:
        return False
    return obs.value_num is not None or bool(SPECIMEN.search(obs.display))


def render_labs(patient: Patient) -> str:
    latest = [row.latest for row in results_selectors.lab_analytes(patient) if _is_lab_test(row.latest)]
    if not latest:
        return "No lab results on file"
    newest = max(obs.effective_at for obs in latest)
    recent = [obs for obs in latest if obs.effective_at >= newest - LAB_WINDOW]
    # Newest day first; within a day (one draw, usually) alphabetically, as a lab report reads.
    recent.sort(key=lambda obs: obs.display.lower())
    recent.sort(key=lambda obs: timezone.localtime(obs.effective_at).date(), reverse=True)
    first, last = _local(recent[-1].effective_at, DATE), _local(newest, DATE)
    span = last if first == last else f"{first}–{last}"
    lines = [f"Recent labs (latest result of each test, {span}):"]
    lines += [_lab_line(obs) for obs in recent[:LAB_LIMIT]]
    if len(recent) > LAB_LIMIT:
        lines.append(f"- … and {len(recent) - LAB_LIMIT} more (see Results Review)")
    return "\n".join(lines)


def render_meds(patient: Patient) -> str:
    medications = list(selectors.medications_active(patient))
    if not medications:
        return "No active medications"
    lines = ["Active medications:"]
    for med in medications:
        line = f"- {med.display}"
        if med.dosage_text:
            line += f": {med.dosage_text}"
        if med.status != med.Status.ACTIVE:
            line += f" ({med.get_status_display().lower()})"
        lines.append(line)
    return "\n".join(lines)


def _allergy_text(allergy) -> str:
    severity = allergy.get_severity_display().lower() if allergy.severity else ""
    details = [part for part in (allergy.reaction, severity) if part]
    return f"{allergy.substance} ({', '.join(details)})" if details else allergy.substance


def render_allergies(patient: Patient) -> str:
    allergies = list(selectors.allergies_active(patient))
    if not allergies:
        return "No Known Allergies"
    return "; ".join(_allergy_text(allergy) for allergy in allergies)


def render_problems(patient: Patient) -> str:
    problems = list(selectors.problems_active(patient))
    if not problems:
        return "No active problems"
    lines = ["Active problems:"]
    for problem in problems:
        since = f" (since {_local(problem.onset, DATE)})" if problem.onset else ""
        lines.append(f"- {problem.display}{since}")
    return "\n".join(lines)


SMART_PHRASES: dict[str, SmartPhrase] = {
    phrase.name: phrase
    for phrase in (
        SmartPhrase("vitals", "Vitals", "Latest vital signs with the time taken and H/L flags", render_vitals),
        SmartPhrase("labs", "Labs", "Latest result of each recent lab test with flags and ranges", render_labs),
        SmartPhrase("meds", "Medications", "Active medications with their sig", render_meds),
        SmartPhrase("allergies", "Allergies", "Active allergies with reaction and severity", render_allergies),
        SmartPhrase("problems", "Problems", "Active problem list with onset dates", render_problems),
        SmartPhrase("name", "Name", "Patient's full name", render_name),
        SmartPhrase("age", "Age", "Patient's age (y.o., or m.o. under 2)", render_age),
        SmartPhrase("mrn", "MRN", "Medical record number", render_mrn),
        SmartPhrase("dob", "DOB", "Date of birth (MM/DD/YYYY)", render_dob),
    )
}


# --- scanning and expanding -----------------------------------------------------------


def _unique(names) -> tuple[str, ...]:
    return tuple(dict.fromkeys(names))


def scan(text: str) -> Scan:
    names = [match.group(1).lower() for match in TOKEN.finditer(text or "")]
    return Scan(
        known=_unique(name for name in names if name in SMART_PHRASES),
        unknown=_unique(f".{name}" for name in names if name not in SMART_PHRASES),
    )


def expand(text: str, patient: Patient) -> Expansion:
    """Replace every known phrase with chart data; unknown ones stay as typed."""
    rendered: dict[str, str] = {}

    def replace(match: re.Match) -> str:
        name = match.group(1).lower()
        phrase = SMART_PHRASES.get(name)
        if phrase is None:
            return match.group(0)
        if name not in rendered:  # each phrase reads the chart once, however often it is typed
            rendered[name] = phrase.render(patient)
        return rendered[name]

    result = TOKEN.sub(replace, text or "")
    found = scan(text)
    return Expansion(text=result, expanded=found.known, unknown=found.unknown, inserted=tuple(rendered.values()))


def inserted_record(*, template_body: str = "", expansions: tuple[str, ...] = ()) -> list[str]:
    """What was put into a note without its author typing it, each once: a template's lines (headings,
    smart-phrase tokens) and each phrase's expansion as a whole."""
    lines = [line.strip() for line in (template_body or "").splitlines() if line.strip()]
    return list(dict.fromkeys([*lines, *(text.strip() for text in expansions if text.strip())]))


def known_list() -> str:
    return ", ".join(phrase.token for phrase in SMART_PHRASES.values())


def unknown_message(unknown: tuple[str, ...]) -> str:
    """What to tell the writer about phrases that were left as typed."""
    if not unknown:
        return ""
    noun = "phrase" if len(unknown) == 1 else "phrases"
    return f"Unknown smart {noun} {', '.join(unknown)} left as typed. Known smart phrases: {known_list()}."
