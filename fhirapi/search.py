"""Search parameters: their syntax (token, date, string, reference) turned into ORM filters.

Every value a parameter gets may hold several alternatives separated by commas (OR); a parameter given twice
must match both times (AND), as FHIR's search rules say. Dates without a time zone are in the EHR's time zone
(settings.TIME_ZONE), the one the chart shows.
"""

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from fhirapi.outcomes import bad_request

# Search result control, known to every resource type.
MAX_COUNT, DEFAULT_COUNT = 5000, 100
RESULT_PARAMETERS = frozenset({"_count", "_offset", "_sort", "_format"})
DATE_PREFIXES = ("eq", "ne", "gt", "lt", "ge", "le")
DATE_VALUE = re.compile(
    r"(?P<year>\d{4})(?:-(?P<month>\d{2})(?:-(?P<day>\d{2})"
    r"(?:T(?P<hour>\d{2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?P<fraction>\.\d+)?)?"
    r"(?P<zone>Z|[+-]\d{2}:\d{2})?)?)?)?"
)


@dataclass(frozen=True)
class Parameter:
    """One search parameter of a resource type: its FHIR type (for the CapabilityStatement), what it means,
    and how a value filters the rows (a Q for one value; alternatives are OR-ed)."""

    type: str  # token | date | string | reference
    documentation: str
    match: Callable[[str], Q]


def alternatives(value: str) -> list[str]:
    """The comma-separated alternatives of one value (an escaped comma `\\,` stays in its value)."""
    parts = [part.replace("\\,", ",").strip() for part in re.split(r"(?<!\\),", value)]
    if not all(parts):
        raise bad_request(f"Empty value in {value!r}.")
    return parts


def apply(rows: QuerySet, parameter: Parameter, values: Iterable[str]) -> QuerySet:
    for value in values:  # repeated: AND
        condition = Q()
        for alternative in alternatives(value):  # commas: OR
            condition |= parameter.match(alternative)
        rows = rows.filter(condition)
    return rows


# --- Tokens -------------------------------------------------------------------------------------------


def token(value: str) -> tuple[str | None, str | None]:
    """`system|code` -> (system, code); `code` -> (None, code); `|code` -> ("", code); `system|` -> (system, None)."""
    if "|" not in value:
        return None, value
    system, code = value.split("|", 1)
    return system, code or None


def coded(system_field: str | None, code_field: str, *, fixed_system: str | None = None) -> Callable[[str], Q]:
    """A token on a (system, code) pair of fields, or on a code whose system is always `fixed_system`."""

    def match(value: str) -> Q:
        system, code = token(value)
        condition = Q(**{code_field: code}) if code is not None else Q()
        if system is not None:
            if fixed_system is not None:
                if system not in ("", fixed_system):
                    return Q(pk__in=[])
            elif system == "":
                condition &= Q(**{system_field: ""})
            else:
                condition &= Q(**{system_field: system})
        return condition

    return match


def plain_token(field: str, *, system: str | None = None, values: dict[str, object] | None = None) -> Callable:
    """A token on a field holding a code (status, gender, category), optionally with the codes' system and a
    map from the FHIR code to what the field stores."""

    def match(value: str) -> Q:
        given_system, code = token(value)
        if given_system not in (None, "", system) or code is None:
            return Q(pk__in=[])
        stored = values.get(code, code) if values is not None else code
        if isinstance(stored, list | tuple | set | frozenset):
            return Q(**{f"{field}__in": list(stored)})
        return Q(**{field: stored})

    return match


# --- Strings ------------------------------------------------------------------------------------------


def string(*fields: str) -> Callable[[str], Q]:
    """FHIR string search: any of the fields starts with the value, ignoring case; each word of a value with
    several must match one of them ("Alice Walker" finds given Alice, family Walker)."""

    def match(value: str) -> Q:
        condition = Q()
        for word in value.split():
            one = Q()
            for field in fields:
                one |= Q(**{f"{field}__istartswith": word})
            condition &= one
        return condition

    return match


# --- References ---------------------------------------------------------------------------------------


def patient_reference(field: str = "patient") -> Callable[[str], Q]:
    """`Patient/<id>` or `<id>`, where the id is the MRN (the Patient's FHIR id here) or the Synthea id."""

    def match(value: str) -> Q:
        kind, _, ident = value.rpartition("/")
        if kind and kind.rsplit("/", 1)[-1] != "Patient":
            raise bad_request(f"A patient reference names a Patient: Patient/<id> or <id>; got {value!r}.")
        return Q(**{f"{field}__mrn": ident}) | Q(**{f"{field}__fhir_id": ident})

    return match


# --- Dates --------------------------------------------------------------------------------------------


def date_range(text: str) -> tuple[datetime, datetime]:
    """The moments [start, end) a FHIR date or dateTime stands for, at its precision."""
    found = DATE_VALUE.fullmatch(text)
    if not found or (found["hour"] and not found["day"]):
        raise bad_request(f"Invalid date {text!r}: use YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDThh:mm[:ss][zone].")
    part = {key: int(found[key]) if found[key] else None for key in ("year", "month", "day", "hour", "minute",
                                                                    "second")}
    zone = found["zone"]
    try:
        start = datetime(part["year"], part["month"] or 1, part["day"] or 1, part["hour"] or 0, part["minute"] or 0,
                         part["second"] or 0, int(float(found["fraction"] or 0) * 1_000_000))
        tz = (datetime.fromisoformat(f"2000-01-01T00:00:00{'+00:00' if zone == 'Z' else zone}").tzinfo if zone
              else timezone.get_current_timezone())
    except ValueError as error:
        raise bad_request(f"Invalid date {text!r}: {error}.") from None
    start = timezone.make_aware(start, tz) if zone is None else start.replace(tzinfo=tz)
    if part["month"] is None:
        end = start.replace(year=start.year + 1)
    elif part["day"] is None:
        end = start.replace(year=start.year + start.month // 12, month=start.month % 12 + 1)
    elif part["hour"] is None:
        end = timezone.make_aware(datetime.combine(start.date() + timedelta(days=1), datetime.min.time()), tz)
    elif part["second"] is None:
        end = start + timedelta(minutes=1)
    else:
        end = start + (timedelta(microseconds=1) if found["fraction"] else timedelta(seconds=1))
    return start, end


def _prefix(value: str) -> tuple[str, str]:
    if value[:2].isalpha() and value[2:3].isdigit():
        if value[:2] not in DATE_PREFIXES:
            raise bad_request(f"Unsupported date prefix {value[:2]!r}: use eq, ne, gt, lt, ge or le.")
        return value[:2], value[2:]
    return "eq", value


def _bounded(field: str, prefix: str, start, end) -> Q:
    """The rows whose `field` is in (eq), out of (ne), after (gt, ge) or before (lt, le) the range [start, end)."""
    inside = Q(**{f"{field}__gte": start, f"{field}__lt": end})
    return {
        "eq": inside,
        "ne": ~inside,
        "gt": Q(**{f"{field}__gte": end}),
        "ge": Q(**{f"{field}__gte": start}),
        "lt": Q(**{f"{field}__lt": start}),
        "le": Q(**{f"{field}__lt": end}),
    }[prefix]


def date_match(field: str) -> Callable[[str], Q]:
    """A date parameter on one datetime field, with the prefixes eq (the default), ne, gt, lt, ge and le."""

    def match(value: str) -> Q:
        prefix, text = _prefix(value)
        return _bounded(field, prefix, *date_range(text))

    return match


def day_match(field: str) -> Callable[[str], Q]:
    """A date parameter on a date field (birthdate): the same prefixes, on the local days the range covers."""

    def match(value: str) -> Q:
        prefix, text = _prefix(value)
        start, end = date_range(text)
        first, after = timezone.localtime(start).date(), timezone.localtime(end).date()
        if timezone.localtime(end).time() != datetime.min.time():
            after += timedelta(days=1)  # a range ending inside a day covers that day
        return _bounded(field, prefix, first, after)

    return match


# --- Result control -----------------------------------------------------------------------------------


def count(values: list[str]) -> int:
    if not values:
        return DEFAULT_COUNT
    text = values[-1]
    if not text.isdigit():
        raise bad_request(f"_count must be a whole number from 0 to {MAX_COUNT}; got {text!r}.")
    return min(int(text), MAX_COUNT)


def offset(values: list[str]) -> int:
    if not values:
        return 0
    if not values[-1].isdigit():
        raise bad_request(f"_offset must be a whole number; got {values[-1]!r}.")
    return int(values[-1])
