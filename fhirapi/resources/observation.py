"""Observation: vital signs and lab results, one resource per stored value.

The chart stores a blood pressure as two rows (systolic 8480-6, diastolic 8462-4, with the panel 85354-9 named
on each), so each component is served as its own Observation, searchable by its own LOINC code.
"""

from fhirclient.models.observation import Observation as FHIRObservation

from clinical.models import CodeSystem, Observation
from fhirapi.resources.base import (
    CATEGORY_SYSTEMS,
    ID_PARAMETER,
    ResourceType,
    by_fhir_id,
    compact,
    concept,
    encounter_ref,
    instant,
    patient_parameter,
    patient_ref,
)
from fhirapi.search import Parameter, coded, date_match, plain_token

UCUM = "http://unitsofmeasure.org"
INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
FLAGS = {"L": "Low", "H": "High", "LL": "Critical low", "HH": "Critical high", "A": "Abnormal"}


def rows():
    return Observation.objects.select_related("patient", "encounter")


def _quantity(value: float, unit: str) -> dict:
    return compact({"value": value, "unit": unit, "system": UCUM if unit else None, "code": unit})


def serialise(obs: Observation) -> dict:
    category = obs.category or Observation.Category.OTHER
    reference = compact({
        "low": {"value": obs.ref_low, **({"unit": obs.unit} if obs.unit else {})} if obs.ref_low is not None else {},
        "high": {"value": obs.ref_high, **({"unit": obs.unit} if obs.unit else {})} if obs.ref_high is not None
        else {},
    })
    return compact({
        "resourceType": "Observation",
        "id": obs.fhir_id,
        "status": obs.status or "final",
        "category": [{"coding": [{"system": CATEGORY_SYSTEMS["Observation"], "code": category,
                                  "display": Observation.Category(category).label
                                  if category in Observation.Category.values else category}]}],
        "code": concept(CodeSystem.LOINC, obs.loinc, obs.display),
        "subject": patient_ref(obs.patient),
        **encounter_ref(obs),
        "effectiveDateTime": instant(obs.effective_at),
        "valueQuantity": _quantity(obs.value_num, obs.unit) if obs.value_num is not None else None,
        "valueString": obs.value_text if obs.value_num is None and obs.value_text else None,
        "interpretation": [{"coding": [{"system": INTERPRETATION, "code": obs.flag, "display": FLAGS[obs.flag]}]}]
        if obs.flag in FLAGS else [],
        "referenceRange": [reference] if reference else [],
    })


TYPES = [ResourceType(
    name="Observation",
    model=FHIRObservation,
    rows=rows,
    serialise=serialise,
    get=by_fhir_id(rows),
    parameters={
        "_id": ID_PARAMETER,
        **patient_parameter(),
        "code": Parameter("token", "LOINC code: http://loinc.org|<code> or <code>; commas for any of several.",
                          coded(None, "loinc", fixed_system=CodeSystem.LOINC)),
        "date": Parameter("date", "When it was taken, with the prefixes eq, ne, gt, lt, ge, le; repeat to AND.",
                          date_match("effective_at")),
        "category": Parameter("token", "vital-signs | laboratory | survey | social-history | exam | imaging | "
                                       "procedure | other.",
                              plain_token("category", system=CATEGORY_SYSTEMS["Observation"])),
    },
    ordering=("-effective_at", "-id"),
    date_field="effective_at",
    documentation="Vital signs and results, one per value (a blood pressure is two: 8480-6 and 8462-4).",
)]
