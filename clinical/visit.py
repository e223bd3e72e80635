"""The visit navigator's content: today's visit and what was done in it.

The visit is the patient's open encounter (clinical.encounters), or, once closed, the last one
started today. Each app lists what it charted in the visit as a "part": clinical its vitals and the
problems addressed, orders/ its orders, notes/ its notes. Clinical does not import those apps, so
they register their parts from their AppConfig.ready(); the navigator page and the
read_chart_section action both read this one registry.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Q
from django.utils import timezone

from clinical.encounters import IN_PROGRESS, encounter_open
from clinical.models import AuditEvent, Condition, Encounter, Observation, Patient


@dataclass(frozen=True)
class VisitItem:
    """One thing done in the visit, as the navigator lists it."""

    id: int
    text: str
    detail: str = ""
    status: str = ""
    at: datetime | None = None
    url: str = ""  # its page in the chart, if it has one


@dataclass(frozen=True)
class VisitPart:
    name: str  # key in read_chart_section's answer, and the section's data-testid
    label: str  # the section's heading
    order: int
    items: Callable[[Encounter], list[VisitItem]] = field(compare=False)
    empty: str  # what the section says when nothing was done
    action_label: str = ""  # the link that does it, e.g. "Write note"
    action_url_name: str = ""  # reversed with the patient's MRN


_PARTS: dict[str, VisitPart] = {}


def visit_part_register(part: VisitPart) -> VisitPart:
    registered = _PARTS.setdefault(part.name, part)
    # ready() may run more than once; only a different part under the same name is a mistake.
    if registered != part:
        raise ImproperlyConfigured(f"Visit part {part.name!r} is already registered.")
    return registered


def visit_parts() -> list[VisitPart]:
    return sorted(_PARTS.values(), key=lambda part: part.order)


def visit_today(patient: Patient) -> Encounter | None:
    """The visit the navigator shows: the open one, else the last one started today."""
    open_visit = encounter_open(patient)
    if open_visit is not None:
        return open_visit
    today = timezone.localdate()
    return (
        Encounter.objects.filter(patient=patient, start__date=today)
        .select_related("practitioner")
        .order_by("-start", "-pk")
        .first()
    )


def visit_provider(encounter: Encounter) -> str:
    """Who the visit is with: its practitioner, else whoever opened it in the EHR."""
    if encounter.practitioner_id:
        return encounter.practitioner.display_name
    opener = (
        AuditEvent.objects.filter(action="encounter.start", target_type="clinical.encounter",
                                  target_id=str(encounter.pk))
        .values_list("actor", flat=True)
        .first()
    )
    return opener or "provider not recorded"


def visit_is_open(encounter: Encounter) -> bool:
    return encounter.status == IN_PROGRESS


# --- The chart's own parts: vitals, problems addressed -----------------------------------


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def visit_vitals(encounter: Encounter) -> list[VisitItem]:
    rows = Observation.objects.filter(encounter=encounter, category=Observation.Category.VITAL_SIGNS)
    return [
        VisitItem(id=obs.pk, text=obs.display, detail=f"{_number(obs.value_num)} {obs.unit}".strip(),
                  status=obs.flag, at=obs.effective_at)
        for obs in rows.order_by("effective_at", "pk")
    ]


def visit_problems(encounter: Encounter) -> list[VisitItem]:
    """Problems added in the visit, and those whose status changed during it (resolved, say)."""
    window = Q(at__gte=encounter.start) & (Q(at__lte=encounter.end) if encounter.end else Q())
    changed = AuditEvent.objects.filter(
        window, patient_id=encounter.patient_id, target_type="clinical.condition", action__startswith="condition."
    ).values_list("target_id", flat=True)
    ids = {int(pk) for pk in changed if pk.isdigit()}
    rows = Condition.objects.filter(Q(encounter=encounter) | Q(pk__in=ids), patient_id=encounter.patient_id)
    return [
        VisitItem(id=c.pk, text=c.display, detail=f"SNOMED CT {c.code}", status=c.clinical_status, at=c.recorded_at)
        for c in rows.order_by("pk")
    ]


@dataclass(frozen=True)
class VisitBanner:
    encounter: Encounter | None
    provider: str = ""


def visit_banner(patient: Patient) -> VisitBanner:
    """What the banner above every chart page says: the open visit, or that none is."""
    encounter = encounter_open(patient)
    return VisitBanner(encounter, visit_provider(encounter) if encounter else "")
