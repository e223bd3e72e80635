"""Observations and the DiagnosticReports that group them: from fhirclient R4 resources to result rows.

A panel becomes one row per component; each row is flagged from the resource's own range
and interpretation, else from the adult reference table (clinical.reference_ranges).
"""

from fhirclient.models.diagnosticreport import DiagnosticReport
from fhirclient.models.observation import Observation

from clinical import models as m
from clinical.reference_ranges import flag_between, flag_for, reference_range
from seeddata.fhir import elements as el
from seeddata.fhir.registry import ImportContext, Skip
from seeddata.fhir.writing import import_rows

CodeSystem = m.CodeSystem
# TextChoices.values builds a new list on every access: read them once.
OBSERVATION_CATEGORIES = frozenset(m.Observation.Category.values)

# --- observations ---------------------------------------------------------------------

_INTERPRETATION_FLAGS = {
    "N": "", "L": "L", "H": "H", "LL": "LL", "HH": "HH", "LU": "LL", "HU": "HH",
    "A": "A", "AA": "A", "POS": "A", "DET": "A", "NEG": "", "ND": "",
}


def _value(item) -> tuple[float | None, str, str] | None:
    """(number, text, unit) of an Observation or component value; None when it has none."""
    if item.valueQuantity is not None and item.valueQuantity.value is not None:
        quantity = item.valueQuantity
        return float(quantity.value), "", quantity.unit or quantity.code or ""
    if item.valueCodeableConcept is not None:
        return None, el.text(item.valueCodeableConcept), ""
    if item.valueString:
        return None, item.valueString, ""
    if item.valueBoolean is not None:
        return None, "Yes" if item.valueBoolean else "No", ""
    if item.valueInteger is not None:
        return float(item.valueInteger), "", ""
    if getattr(item, "valueDateTime", None) is not None:
        return None, item.valueDateTime.isostring or "", ""
    return None


def _own_range(item) -> tuple[float | None, float | None] | None:
    ranges = getattr(item, "referenceRange", None) or []
    if not ranges:
        return None
    low, high = ranges[0].low, ranges[0].high
    return (low.value if low else None), (high.value if high else None)


def _flags(item, loinc: str, number: float | None, unit: str, ctx: ImportContext, at) -> tuple:
    """(ref_low, ref_high, flag): the resource's own range and interpretation, else the adult table."""
    own_range = _own_range(item)
    interpretation = el.code(el.first(item.interpretation))
    if own_range or interpretation:
        low, high = own_range or (None, None)
        if interpretation:
            return low, high, _INTERPRETATION_FLAGS.get(interpretation, "")
        return low, high, flag_between(number, low, high) if number is not None else ""
    # The table holds adult ranges: a child's heart rate of 120 is not "high".
    if number is None or not ctx.is_adult_on(at):
        return None, None, ""
    sex = ctx.patient.sex
    bounds = reference_range(loinc, sex=sex, unit=unit)
    if bounds is None:
        return None, None, ""
    return *bounds, flag_for(loinc, number, sex=sex, unit=unit)


def _observation_code(concept) -> tuple[str, str]:
    return el.code(concept, CodeSystem.LOINC), el.text(concept, CodeSystem.LOINC)


def _observation_row(item, fhir_id: str, panel_code: str, common: dict, ctx: ImportContext) -> m.Observation | None:
    loinc, display = _observation_code(item.code)
    value = _value(item)
    if not loinc or value is None:
        return None
    number, text, unit = value
    low, high, flag = _flags(item, loinc, number, unit, ctx, common["effective_at"])
    return m.Observation(
        fhir_id=fhir_id, loinc=loinc, display=display, panel_code=panel_code, value_num=number,
        value_text=text, unit=unit, ref_low=low, ref_high=high, flag=flag, **common,
    )


def _observation_category(resource: Observation) -> str:
    category = el.code(el.first(resource.category))
    return category if category in OBSERVATION_CATEGORIES else m.Observation.Category.OTHER


def _observation(resource: Observation, ctx: ImportContext) -> list[m.Observation]:
    ctx.require_own_subject(resource, resource.subject)
    panel_code, _ = _observation_code(resource.code)
    if not panel_code:
        raise Skip("no code")
    effective = el.when(resource.effectiveDateTime) or el.start(resource.effectivePeriod) or el.when(resource.issued)
    if effective is None:
        raise Skip("no effective time")
    common = dict(
        patient_id=ctx.patient.pk,
        encounter_id=ctx.pk(m.Encounter, resource.encounter),
        category=_observation_category(resource),
        status=resource.status or "final",
        effective_at=effective,
    )
    if resource.component:
        # Components are stored one row each, with the panel's code, so that every
        # value (systolic, diastolic) can be queried by its own LOINC.
        rows = [
            _observation_row(c, f"{resource.id}.{_observation_code(c.code)[0]}", panel_code, common, ctx)
            for c in resource.component
        ]
    else:
        rows = [_observation_row(resource, resource.id, "", common, ctx)]
    rows = [row for row in rows if row]
    if not rows:
        raise Skip("no value")
    ctx.observation_rows[resource.id] = [row.fhir_id for row in rows]
    return rows


def import_observations(resources: list[Observation], ctx: ImportContext) -> None:
    pks = import_rows(ctx, m.Observation, resources, _observation)
    ctx.observation_rows = {rid: [pks[f] for f in fhir_ids] for rid, fhir_ids in ctx.observation_rows.items()}


# --- reports ------------------------------------------------------------------------


def _report(resource: DiagnosticReport, ctx: ImportContext) -> m.DiagnosticReport:
    ctx.require_own_subject(resource, resource.subject)
    if not el.code(resource.code):
        raise Skip("no code")
    effective = el.when(resource.effectiveDateTime) or el.start(resource.effectivePeriod) or el.when(resource.issued)
    if effective is None:
        raise Skip("no effective time")
    return m.DiagnosticReport(
        fhir_id=resource.id,
        patient_id=ctx.patient.pk,
        encounter_id=ctx.pk(m.Encounter, resource.encounter),
        loinc=el.code(resource.code, CodeSystem.LOINC),
        display=el.text(resource.code, CodeSystem.LOINC),
        category=el.code(el.first(resource.category)) or "LAB",
        status=resource.status or "final",
        effective_at=effective,
        issued_at=el.when(resource.issued),
        conclusion=resource.conclusion or "",
    )


def _result_ids(resource: DiagnosticReport, ctx: ImportContext) -> list[int]:
    targets = (ctx.resolver.index.target(ctx.resolver.text(r)) for r in resource.result or [])
    return [pk for t in targets if t for pk in ctx.observation_rows.get(t.id, [])]


def import_reports(resources: list[DiagnosticReport], ctx: ImportContext) -> None:
    pks = import_rows(ctx, m.DiagnosticReport, resources, _report)
    links = m.DiagnosticReport.results.through
    rows = {
        (pks[r.id], observation_pk)
        for r in resources
        if r.id in pks
        for observation_pk in _result_ids(r, ctx)
    }
    # Replace the links rather than add to them, so a re-import leaves exactly the bundle's.
    links.objects.using(ctx.using).filter(diagnosticreport_id__in=pks.values()).delete()
    links.objects.using(ctx.using).bulk_create(
        [links(diagnosticreport_id=report, observation_id=observation) for report, observation in sorted(rows)]
    )
