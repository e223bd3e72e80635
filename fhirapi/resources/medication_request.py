"""MedicationRequest: the medication list (clinical.Medication), RxNorm coded.

Drugs imported with the chart (Synthea's) are category `community`; drugs ordered and signed in this EHR are
category `inpatient` and carry their order's structured dosage (dose, route, frequency, PRN, duration).
"""

from django.db.models import Exists, OuterRef, Q
from fhirclient.models.medicationrequest import MedicationRequest as FHIRMedicationRequest

from clinical.models import CodeSystem, Medication
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
from fhirapi.search import Parameter, coded, date_match, plain_token, token
from orders.catalog import FREQUENCIES, ROUTES
from orders.models import Order

UCUM = "http://unitsofmeasure.org"
CATEGORIES = {"inpatient": Q(ordered_here=True), "community": Q(ordered_here=False)}


def rows():
    ordered = Order.objects.filter(medication_id=OuterRef("pk"))
    return Medication.objects.select_related("patient", "encounter", "prescriber").annotate(
        ordered_here=Exists(ordered))


def prepare(page: list[Medication]) -> None:
    """Each row's signing order, if this EHR ordered it (one query per page)."""
    orders = {order.medication_id: order
              for order in Order.objects.filter(medication_id__in=[row.pk for row in page]).order_by("id")}
    for row in page:
        row.signing_order = orders.get(row.pk)


def _dosage(row: Medication) -> dict:
    order = getattr(row, "signing_order", None)
    if order is None:
        return compact({"text": row.dosage_text, "asNeededBoolean": row.as_needed or None})
    repeat = {"boundsDuration": {"value": order.duration_days, "unit": "d", "system": UCUM, "code": "d"}} \
        if order.duration_days else {}
    frequency = FREQUENCIES.get(order.frequency)
    timing = compact({"code": {"text": frequency.label if frequency else order.frequency} if order.frequency else None,
                      "repeat": repeat})
    return compact({
        "text": order.summary,
        "timing": timing,
        "asNeededBoolean": order.prn,
        "route": {"text": ROUTES.get(order.route, order.route)} if order.route else None,
        "doseAndRate": [{"doseQuantity": compact({"value": order.dose, "unit": order.dose_unit})}]
        if order.dose is not None else [],
    })


def serialise(row: Medication) -> dict:
    category = "inpatient" if getattr(row, "ordered_here", False) else "community"
    dosage = _dosage(row)
    return compact({
        "resourceType": "MedicationRequest",
        "id": row.fhir_id,
        "status": row.status,
        "intent": row.intent or "order",
        "category": [{"coding": [{"system": CATEGORY_SYSTEMS["MedicationRequest"], "code": category}]}],
        "medicationCodeableConcept": concept(CodeSystem.RXNORM, row.rxnorm, row.display),
        "subject": patient_ref(row.patient),
        **encounter_ref(row),
        "authoredOn": instant(row.authored_at),
        "requester": {"display": row.prescriber.display_name} if row.prescriber else None,
        "reasonCode": [{"text": row.reason}] if row.reason else [],
        "dosageInstruction": [dosage] if dosage else [],
    })


def _category(value: str) -> Q:
    system, code = token(value)
    if system not in (None, "", CATEGORY_SYSTEMS["MedicationRequest"]):
        return Q(pk__in=[])
    return CATEGORIES.get(code, Q(pk__in=[]))


TYPES = [ResourceType(
    name="MedicationRequest",
    model=FHIRMedicationRequest,
    rows=rows,
    serialise=serialise,
    get=by_fhir_id(rows),
    parameters={
        "_id": ID_PARAMETER,
        **patient_parameter(),
        "status": Parameter("token", "active | on-hold | stopped | completed | cancelled.", plain_token("status")),
        "category": Parameter("token", "community (on the chart when imported) | inpatient (ordered in this EHR).",
                              _category),
        "date": Parameter("date", "When it was authored, with the prefixes eq, ne, gt, lt, ge, le.",
                          date_match("authored_at")),
        "code": Parameter("token", "RxNorm code.", coded(None, "rxnorm", fixed_system=CodeSystem.RXNORM)),
        "intent": Parameter("token", "order (every entry).", plain_token("intent")),
    },
    ordering=("-authored_at", "-id"),
    date_field="authored_at",
    documentation="The medication list; POST orders a drug from the catalog and signs it.",
    page_prefetch=prepare,
)]
