"""What an order says (dose, route, frequency, reason for exam ...): one value object that names the
detail fields once and cleans them, for the composer, the agent's actions, order sets and reorders alike."""

from collections.abc import Mapping
from dataclasses import dataclass, fields

from django.core.exceptions import ValidationError

from orders.catalog import FREQUENCIES, FREQUENCY_ALIASES, NON_MEDICATION_FREQUENCIES, ROUTE_ALIASES, ROUTES
from orders.models import Orderable, OrderType, Priority

MAX_DURATION_DAYS = 365
# The largest single dose in any unit the catalog uses (penicillin G is dosed in millions of units).
MAX_DOSE = 10_000_000
TEXT_LIMITS = {"indication": 255, "prn_reason": 200, "specimen": 60, "reason_for_exam": 255}
# Shown in audit events when set, whatever the order type.
AUDITED_TEXTS = ("indication", "specimen", "reason_for_exam", "consult_question", "instructions")
MEDICATION_FIELDS = ("dose", "dose_unit", "route", "frequency", "duration_days", "prn", "prn_reason")


@dataclass(frozen=True)
class OrderDetails:
    """An order's detail fields, as the Order model stores them; those its type does not use stay empty."""

    priority: str = Priority.ROUTINE
    dose: float | None = None
    dose_unit: str = ""
    route: str = ""
    frequency: str = ""
    duration_days: int | None = None
    prn: bool = False
    prn_reason: str = ""
    indication: str = ""
    specimen: str = ""
    reason_for_exam: str = ""
    consult_question: str = ""
    instructions: str = ""

    @classmethod
    def clean(cls, orderable: Orderable, values: Mapping) -> "OrderDetails":
        """The details from entered values (text, numbers, aliases), or a ValidationError naming every mistake.

        Route and frequency default to the orderable's; a medication needs a dose.
        """
        errors: dict[str, str] = {}
        priority = str(values.get("priority") or Priority.ROUTINE).strip().lower()
        if priority not in Priority.values:
            errors["priority"] = f"Unknown priority {values.get('priority')!r}; choose routine, urgent or stat."
        common = {
            "priority": priority,
            "indication": _text(values, "indication", errors),
            "instructions": str(values.get("instructions") or "").strip(),
        }
        if orderable.order_type == OrderType.MEDICATION:
            typed = _clean_medication(orderable, values, errors)
        else:
            typed = _clean_other(orderable, values, errors)
        if errors:
            raise ValidationError(errors)
        return cls(**common, **typed)

    @classmethod
    def from_order(cls, order) -> "OrderDetails":
        return cls(**{name: getattr(order, name) for name in DETAIL_FIELDS})

    def as_dict(self) -> dict:
        return {name: getattr(self, name) for name in DETAIL_FIELDS}

    def changes_from(self, before: "OrderDetails") -> dict:
        """{field: {"from", "to"}} for each field that differs from `before`."""
        return {
            name: {"from": getattr(before, name), "to": getattr(self, name)}
            for name in DETAIL_FIELDS
            if getattr(self, name) != getattr(before, name)
        }

    def for_audit(self, order_type: str) -> dict:
        """The fields an audit event reports: a medication's sig in full, otherwise what is filled in."""
        details = {"priority": self.priority}
        if order_type == OrderType.MEDICATION:
            details.update({name: getattr(self, name) for name in MEDICATION_FIELDS})
        details.update({name: getattr(self, name) for name in AUDITED_TEXTS if getattr(self, name)})
        if order_type != OrderType.MEDICATION and self.frequency:
            details["frequency"] = self.frequency
        return details


DETAIL_FIELDS = tuple(field.name for field in fields(OrderDetails))


# --- Cleaning one field ----------------------------------------------------------------------


def _number(raw, field: str, label: str, errors: dict) -> float | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, bool):  # float(True) is 1.0: a JSON true is not a dose of one
        errors[field] = f"{label} must be a number; got {raw!r}."
        return None
    try:
        value = float(raw)
    except (TypeError, ValueError):
        errors[field] = f"{label} must be a number; got {raw!r}."
        return None
    if value != value or value in (float("inf"), float("-inf")):
        errors[field] = f"{label} must be a finite number; got {raw!r}."
        return None
    return value


def _text(values: Mapping, field: str, errors: dict) -> str:
    text = str(values.get(field) or "").strip()
    limit = TEXT_LIMITS.get(field)
    if limit and len(text) > limit:
        errors[field] = f"Keep this under {limit} characters (it has {len(text)})."
    return text


def _choice(raw: str, choices, field: str, label: str, errors: dict, aliases: dict | None = None) -> str:
    """A code from `choices`, also accepting a name or abbreviation ("oral", "q.d.")."""
    value = str(raw or "").strip().upper()
    value = (aliases or {}).get(value, value)
    if value and value not in choices:
        errors[field] = f"Unknown {label} {raw!r}; choose one of {', '.join(choices)}."
    return value


def _duration(raw, errors: dict) -> int | None:
    if raw in (None, ""):
        return None
    try:
        days = int(str(raw).strip())
    except ValueError:
        errors["duration_days"] = f"Duration must be a whole number of days; got {raw!r}."
        return None
    if not 1 <= days <= MAX_DURATION_DAYS:
        errors["duration_days"] = f"Duration must be between 1 and {MAX_DURATION_DAYS} days; got {days}."
    return days


def _clean_medication(orderable: Orderable, values: Mapping, errors: dict) -> dict:
    name = orderable.ingredient or orderable.name
    unit = orderable.dose_unit
    dose = _number(values.get("dose"), "dose", "Dose", errors)
    if dose is None and "dose" not in errors:
        errors["dose"] = f"Enter a dose for {name} (in {unit})."
    elif dose is not None and dose <= 0:
        errors["dose"] = f"Dose must be greater than zero; got {dose:g}."
    elif dose is not None and dose > MAX_DOSE:
        errors["dose"] = f"Dose {dose:g} {unit} is beyond any single dose (at most {MAX_DOSE:,}); check the unit."
    dose_unit = str(values.get("dose_unit") or "").strip() or unit
    if dose_unit != unit:
        errors["dose_unit"] = f"{name} is dosed in {unit}; got {dose_unit!r}."
    route = _choice(values.get("route") or orderable.default_route, ROUTES, "route", "route", errors, ROUTE_ALIASES)
    if route and "route" not in errors and orderable.routes and route not in orderable.routes:
        errors["route"] = (
            f"Route {route} is not available for {orderable.name}; choose {' or '.join(orderable.routes)}."
        )
    frequency = _choice(
        values.get("frequency") or orderable.default_frequency,
        FREQUENCIES,
        "frequency",
        "frequency",
        errors,
        FREQUENCY_ALIASES,
    )
    duration_days = _duration(values.get("duration_days"), errors)
    prn = bool(values.get("prn"))
    prn_reason = _text(values, "prn_reason", errors) if prn else ""
    if prn and not prn_reason and "prn_reason" not in errors:
        errors["prn_reason"] = "Enter what the as-needed (PRN) dose is for, e.g. pain or nausea."
    return {
        "dose": dose,
        "dose_unit": dose_unit,
        "route": route,
        "frequency": frequency,
        "duration_days": duration_days,
        "prn": prn,
        "prn_reason": prn_reason,
    }


def _clean_other(orderable: Orderable, values: Mapping, errors: dict) -> dict:
    frequency = _choice(
        values.get("frequency") or "", NON_MEDICATION_FREQUENCIES, "frequency", "frequency", errors, FREQUENCY_ALIASES
    )
    cleaned = {
        "frequency": frequency,
        "specimen": _text(values, "specimen", errors)
        or (orderable.specimen if orderable.order_type == OrderType.LAB else ""),
        "reason_for_exam": _text(values, "reason_for_exam", errors),
        "consult_question": _text(values, "consult_question", errors),
    }
    if orderable.order_type == OrderType.IMAGING and not cleaned["reason_for_exam"] and "reason_for_exam" not in errors:
        errors["reason_for_exam"] = f"Enter the reason for exam for {orderable.name}."
    if orderable.order_type == OrderType.CONSULT and not cleaned["consult_question"]:
        errors["consult_question"] = (
            f"Enter the question for {orderable.attributes.get('specialty', 'the consultant')}."
        )
    return cleaned
