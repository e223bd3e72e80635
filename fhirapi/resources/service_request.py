"""ServiceRequest: the EHR's orders for labs, imaging, consults/referrals and nursing (medication orders are
MedicationRequests). id is the order's number; pended orders are drafts."""

from django.db.models import Q
from fhirclient.models.servicerequest import ServiceRequest as FHIRServiceRequest

from clinical.models import CodeSystem
from fhirapi.resources.base import ResourceType, coding, compact, concept, instant, patient_parameter, patient_ref
from fhirapi.search import Parameter, coded, date_match, plain_token, token
from orders.models import Order, OrderType

STATUSES = {
    Order.Status.PENDED: "draft",
    Order.Status.ACTIVE: "active",
    Order.Status.COMPLETED: "completed",
    Order.Status.DISCONTINUED: "revoked",
    Order.Status.CANCELLED: "revoked",
}
CATEGORIES = {  # SNOMED CT, as US Core's ServiceRequest categories
    OrderType.LAB: ("108252007", "Laboratory procedure"),
    OrderType.IMAGING: ("363679005", "Imaging"),
    OrderType.CONSULT: ("3457005", "Patient referral"),
    OrderType.NURSING: ("9632001", "Nursing procedure"),
}


def rows():
    return Order.objects.exclude(order_type=OrderType.MEDICATION).select_related("patient")


def get(ident: str) -> Order:
    if not ident.isdigit():
        raise Order.DoesNotExist(ident)
    return rows().get(pk=int(ident))


def _notes(order: Order) -> list[dict]:
    return [{"text": text} for text in (order.consult_question, order.instructions) if text]


def serialise(order: Order) -> dict:
    category = CATEGORIES.get(order.order_type)
    reasons = [text for text in (order.indication, order.reason_for_exam) if text]
    return compact({
        "resourceType": "ServiceRequest",
        "id": str(order.pk),
        "status": STATUSES.get(order.status, "unknown"),
        "intent": "order",
        "category": [{"coding": [coding(CodeSystem.SNOMED, *category)], "text": order.get_order_type_display()}]
        if category else [],
        "priority": order.priority,
        "code": concept(order.code_system, order.code, order.display),
        "subject": patient_ref(order.patient),
        "authoredOn": instant(order.signed_at or order.created_at),
        "requester": {"display": order.signed_by or order.ordered_by},
        "reasonCode": [{"text": text} for text in reasons],
        "note": _notes(order),
        "specimen": [{"display": order.specimen}] if order.specimen else [],
    })


def _status(value: str) -> Q:
    stored = [key for key, fhir in STATUSES.items() if fhir == value]
    return Q(status__in=stored) if stored else Q(pk__in=[])


def _category(value: str) -> Q:
    system, code = token(value)
    for order_type, (snomed, _) in CATEGORIES.items():
        if (system in (None, "", CodeSystem.SNOMED) and code == snomed) or (system is None and code == order_type):
            return Q(order_type=order_type)
    return Q(pk__in=[])


TYPES = [ResourceType(
    name="ServiceRequest",
    model=FHIRServiceRequest,
    rows=rows,
    serialise=serialise,
    get=get,
    parameters={
        "_id": Parameter("token", "The order number.", plain_token("pk")),
        **patient_parameter(),
        "code": Parameter("token", "LOINC (labs) or SNOMED CT code: <system>|<code> or <code>.",
                          coded("code_system", "code")),
        "status": Parameter("token", "draft (pended) | active (signed) | completed | revoked (discontinued or "
                                     "cancelled).", _status),
        "category": Parameter("token", "SNOMED CT 108252007 (lab) | 363679005 (imaging) | 3457005 (referral) | "
                                       "9632001 (nursing), or lab | imaging | consult | nursing.", _category),
        "authored": Parameter("date", "When it was signed (or pended), with the prefixes eq, ne, gt, lt, ge, le.",
                              date_match("created_at")),
    },
    ordering=("-created_at", "-id"),
    date_field="created_at",
    documentation="Orders for labs, imaging, referrals and nursing; POST orders one from the catalog and signs it.",
)]
