"""POST Observation: vital signs, recorded with the record_vitals action.

A vital is coded by the LOINC code the chart stores it under (8867-4 heart rate, 8310-5 temperature ...) with a
valueQuantity in its unit. A blood pressure is the panel 85354-9 with components 8480-6 and 8462-4, or (as
MedAgentBench writes it) code text "BP" with valueString "118/77 mmHg"; it is stored as its two components.
"""

import re

from django.utils import timezone
from fhirclient.models.observation import Observation as FHIRObservation

from clinical.models import CodeSystem, Observation
from clinical.vitals import VITAL_SIGNS
from fhirapi.resources import REGISTRY
from fhirapi.writes import parsed, run, subject_mrn, unprocessable, writer

BP_PANEL = "85354-9"
BY_LOINC = {vital.loinc: vital for vital in VITAL_SIGNS.values()}
BP_PARTS = {"8480-6": "bp_systolic", "8462-4": "bp_diastolic"}
BP_TEXT = re.compile(r"\s*(\d+(?:\.\d+)?)\s*/\s*(\d+(?:\.\d+)?)\s*(mm\s*\[?hg\]?)?\s*", re.IGNORECASE)
# Units as clients write them -> the UCUM unit the chart stores.
UNIT_ALIASES = {"mmhg": "mm[Hg]", "mm[hg]": "mm[Hg]", "bpm": "/min", "beats/min": "/min", "breaths/min": "/min",
                "/min": "/min", "1/min": "/min", "{beats}/min": "/min", "{breaths}/min": "/min", "cel": "Cel",
                "c": "Cel", "°c": "Cel", "degc": "Cel", "%": "%", "kg": "kg", "cm": "cm", "kg/m2": "kg/m2",
                "{score}": "{score}", "score": "{score}"}
KNOWN_CODES = ", ".join([f"{vital.loinc} ({vital.key})" for vital in VITAL_SIGNS.values()] + [f"{BP_PANEL} (BP)"])


def _codes(concept) -> list[str]:
    codes = [c.code for c in (concept.coding or []) if c.code and c.system in (None, CodeSystem.LOINC)]
    if (concept.text or "").strip().upper() == "BP" or any(c.code == "BP" for c in concept.coding or []):
        codes.append(BP_PANEL)
    return codes


def _number(quantity, key: str) -> float:
    vital = VITAL_SIGNS[key]
    if quantity is None or quantity.value is None:
        raise unprocessable(f"{vital.label} needs a valueQuantity with a value (in {vital.unit}).", code="required")
    unit = (quantity.code or quantity.unit or "").strip()
    if unit and UNIT_ALIASES.get(unit.lower(), unit) != vital.unit:
        raise unprocessable(f"{vital.label} is recorded in {vital.unit}; got {unit!r}.", code="value")
    return float(quantity.value)


def _blood_pressure(obs: FHIRObservation) -> dict[str, float]:
    if obs.valueString:
        found = BP_TEXT.fullmatch(obs.valueString)
        if not found:
            raise unprocessable(f"A blood pressure as text is systolic/diastolic, e.g. 118/77 mmHg; got "
                                f"{obs.valueString!r}.", code="value")
        return {"bp_systolic": float(found[1]), "bp_diastolic": float(found[2])}
    values = {}
    for component in obs.component or []:
        key = next((BP_PARTS[code] for code in _codes(component.code) if code in BP_PARTS), None)
        if key is None:
            raise unprocessable("A blood pressure's components are 8480-6 (systolic) and 8462-4 (diastolic).",
                                code="value")
        values[key] = _number(component.valueQuantity, key)
    if set(values) != set(BP_PARTS.values()):
        raise unprocessable("A blood pressure needs both components, 8480-6 and 8462-4 (or valueString "
                            "'118/77 mmHg').", code="required")
    return values


def _values(obs: FHIRObservation) -> dict[str, float]:
    codes = _codes(obs.code)
    if BP_PANEL in codes:
        return _blood_pressure(obs)
    vital = next((BY_LOINC[code] for code in codes if code in BY_LOINC), None)
    if vital is None:
        raise unprocessable(f"Only vital signs can be recorded; code them by LOINC: {KNOWN_CODES}.",
                            code="not-supported")
    if vital.key in BP_PARTS.values():
        raise unprocessable(f"Record a blood pressure whole: code {BP_PANEL} with components 8480-6 and 8462-4.",
                            code="required")
    return {vital.key: _number(obs.valueQuantity, vital.key)}


def _category_ok(obs: FHIRObservation) -> bool:
    codes = [c.code for category in obs.category or [] for c in category.coding or []]
    return not codes or "vital-signs" in codes


@writer("Observation", "vital signs by LOINC (valueQuantity in the chart's unit); a blood pressure as panel "
                       "85354-9 with components 8480-6 and 8462-4, or code text BP with valueString '118/77 mmHg'. "
                       "Runs record_vitals; the answer is the first value stored.")
def observation_create(data: dict, scope) -> dict:
    obs = parsed(FHIRObservation, data)
    if not _category_ok(obs):
        raise unprocessable("Only vital signs (category vital-signs) can be recorded.", code="not-supported")
    with scope.database():
        mrn = subject_mrn(obs.subject)
        values = _values(obs)
        at = obs.effectiveDateTime.isostring if obs.effectiveDateTime else timezone.now().isoformat()
        run(scope, {"type": "record_vitals", "mrn": mrn, "values": values, "at": at})
        loinc = VITAL_SIGNS[next(iter(values))].loinc
        row = REGISTRY["Observation"].rows().filter(
            patient__mrn=mrn, loinc=loinc, recorded_by=scope.runner.actor,
            category=Observation.Category.VITAL_SIGNS).order_by("-id").first()
        return REGISTRY["Observation"].resource(row)
