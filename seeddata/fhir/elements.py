"""Small readers for fhirclient elements: codes, texts, times, names."""

from datetime import UTC, date, datetime


def coding(concept, system: str = ""):
    """The coding in `system` when there is one, else the first coding with a code."""
    codings = [c for c in (getattr(concept, "coding", None) or []) if c.code]
    preferred = [c for c in codings if c.system == system]
    return (preferred or codings or [None])[0]


def code(concept, system: str = "") -> str:
    found = coding(concept, system)
    return found.code if found else ""


def text(concept, system: str = "") -> str:
    """What a person reads for a concept: its text, else its coding's display, else the code."""
    if concept is None:
        return ""
    if concept.text:
        return concept.text
    found = coding(concept, system)
    return (found.display or found.code) if found else ""


def first(items):
    return items[0] if items else None


def when(value) -> datetime | None:
    """An aware datetime from a FHIR dateTime or instant (UTC when the source has no zone)."""
    moment = getattr(value, "datetime", None)
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def day(value) -> date | None:
    found = getattr(value, "date", None)
    return found.date() if isinstance(found, datetime) else found


def start(period) -> datetime | None:
    return when(period.start) if period else None


def end(period) -> datetime | None:
    return when(period.end) if period else None


def human_name(names) -> tuple[str, str, str]:
    """(prefix, given, family) of the official name, else the first."""
    names = names or []
    name = next((n for n in names if n.use == "official"), first(names))
    if name is None:
        return "", "", ""
    return " ".join(name.prefix or []), " ".join(name.given or []), name.family or ""


def phone(telecoms) -> str:
    return next((t.value for t in telecoms or [] if t.system == "phone" and t.value), "")
