"""POST MedicationRequest and ServiceRequest: an order from the catalog, placed and signed.

The order is pended with place_order and signed with sign_orders, so decision support runs as it does for a
clinician. If it raises a high-severity alert (allergy, interaction, dosing ...) and the resource carries no
override reason (the extension OVERRIDE_REASON_URL), the pended order is cancelled and the answer is 422 with
an OperationOutcome naming each alert: nothing stays active. With a reason, each high alert is overridden with
it and the order signed. Warnings (low severity) are acknowledged on the caller's behalf.
"""

from fhirclient.models.medicationrequest import MedicationRequest as FHIRMedicationRequest
from fhirclient.models.servicerequest import ServiceRequest as FHIRServiceRequest

from fhirapi.resources import REGISTRY
from fhirapi.writes import OVERRIDE_REASON_URL, override_reason, parsed, run, subject_mrn, unprocessable, writer
from orders.catalog import ROUTES
from orders.models import Order, Orderable, OrderType

CDS_RULES = "http://ehrgym.dev/fhir/CodeSystem/cds-rule"
DAYS = {"d", "day", "days"}


def _orderable(concept, *, medication: bool, route: str = "") -> str:
    """The catalog key of the orderable a CodeableConcept names (by code, or by key)."""
    codes = [(c.system, c.code) for c in (concept.coding or []) if c.code] if concept else []
    if not codes:
        raise unprocessable("Name what is ordered by its code (RxNorm for drugs; LOINC or SNOMED CT otherwise).",
                            code="required")
    for system, code in codes:
        rows = Orderable.objects.filter(active=True, code=code)
        rows = rows.filter(order_type=OrderType.MEDICATION) if medication else \
            rows.exclude(order_type=OrderType.MEDICATION)
        if system:
            rows = rows.filter(code_system=system)
        found = list(rows.order_by("key"))
        if len(found) > 1 and route:
            found = [o for o in found if route in (o.routes or []) or o.default_route == route] or found
        if len(found) == 1:
            return found[0].key
        if found:
            names = "; ".join(f"{o.name} (route {o.default_route})" for o in found)
            raise unprocessable(f"Code {code} names several orderables: {names}. Give the route.",
                                code="multiple-matches")
    wanted = "a medication (RxNorm)" if medication else "a lab, imaging, referral or nursing order"
    raise unprocessable(f"No orderable {codes[0][1]} in the catalog as {wanted}.", code="not-found")


def _priority(value: str | None) -> str:
    if value in (None, "routine", "urgent", "stat"):
        return value or "routine"
    raise unprocessable(f"priority {value!r} is not one of routine, urgent, stat.", code="value")


def _concept_text(concept) -> str:
    if concept is None:
        return ""
    return concept.text or next((c.code if c.code in ROUTES else c.display or c.code
                                 for c in concept.coding or [] if c.code or c.display), "")


def _notes(resource) -> str:
    return "\n".join(note.text for note in resource.note or [] if note.text)


def _dosage(request: FHIRMedicationRequest) -> dict:
    dosages = request.dosageInstruction or []
    if len(dosages) != 1:
        raise unprocessable("Give exactly one dosageInstruction (dose, route, timing).", code="required")
    dosage, details = dosages[0], {}
    quantities = [rate.doseQuantity for rate in dosage.doseAndRate or [] if rate.doseQuantity]
    if quantities:
        details["dose"] = quantities[0].value
        details["dose_unit"] = quantities[0].unit or quantities[0].code or ""
    details["route"] = _concept_text(dosage.route)
    timing = dosage.timing
    if timing is not None:
        details["frequency"] = _concept_text(timing.code)
        bounds = timing.repeat.boundsDuration if timing.repeat else None
        if bounds is not None:
            if (bounds.code or bounds.unit or "d").lower() not in DAYS or bounds.value != int(bounds.value):
                raise unprocessable("timing.repeat.boundsDuration is a whole number of days (unit d).", code="value")
            details["duration_days"] = int(bounds.value)
    if dosage.asNeededBoolean or dosage.asNeededCodeableConcept:
        details["prn"] = True
        details["prn_reason"] = _concept_text(dosage.asNeededCodeableConcept)
    instructions = [text for text in (dosage.patientInstruction, dosage.text, _notes(request)) if text]
    details["instructions"] = "\n".join(instructions)
    return details


def _alerts_outcome(alerts: list[dict]) -> dict:
    return {"coding": [{"system": CDS_RULES, "code": alert["rule"], "display": alert["title"]} for alert in alerts],
            "text": "; ".join(f"{alert['title']}: {alert['message']}" for alert in alerts)}


def _order_and_sign(scope, *, mrn: str, orderable: str, details: dict, reason: str) -> int:
    """Place and sign one order, answering decision support as the module says; the signed order's id."""
    placed = run(scope, {"type": "place_order", "mrn": mrn, "orderable": orderable,
                         **{key: value for key, value in details.items() if value not in (None, "")}})
    order_id = placed["order"]["id"]
    try:
        for _ in range(3):  # answering alerts may raise others (a re-check); a few rounds settle it
            signed = run(scope, {"type": "sign_orders", "mrn": mrn, "order_ids": [order_id]})
            alerts = signed["blocked_by_alerts"]
            if not alerts:
                return order_id
            high = [alert for alert in alerts if alert["severity"] == "high"]
            if high and not reason:
                raise unprocessable(
                    "Decision support stopped the order: " + "; ".join(f"{a['title']} ({a['rule']})" for a in high)
                    + f". Nothing was signed and the pended order was cancelled. To order it anyway, send it again "
                      f"with the extension {OVERRIDE_REASON_URL} (valueString: the clinical reason).",
                    code="business-rule", details=_alerts_outcome(high))
            for alert in alerts:
                if alert["severity"] == "high":
                    run(scope, {"type": "override_alert", "mrn": mrn, "alert_id": alert["id"], "reason": reason})
                else:
                    run(scope, {"type": "acknowledge_alert", "mrn": mrn, "alert_id": alert["id"]})
        raise unprocessable("Decision support kept raising new alerts; the pended order was cancelled.",
                            code="business-rule")
    except Exception:
        # Nothing of a refused order stays pended or active.
        run(scope, {"type": "cancel_order", "mrn": mrn, "order_id": order_id,
                    "reason": "Not signed: refused through the FHIR API."})
        raise


def _signed_order_request(model, data: dict):
    """The order as parsed, and its override reason: POST creates signed orders only (status active, intent
    order)."""
    request = parsed(model, data)
    if request.status != "active" or request.intent != "order":
        raise unprocessable(f"POST {data['resourceType']} creates a signed order: status active, intent order.",
                            code="not-supported")
    return request, override_reason(data)


@writer("MedicationRequest", "a drug from the catalog by RxNorm code (medicationCodeableConcept), one "
                             "dosageInstruction: doseAndRate.doseQuantity, route (code or text: PO, IV, oral ...), "
                             "timing.code (BID, Q8H ...), timing.repeat.boundsDuration in days, asNeeded; "
                             "priority; reasonCode text = indication; note = instructions. Status active, intent "
                             "order. Runs place_order and sign_orders.")
def medication_request_create(data: dict, scope) -> dict:
    request, reason = _signed_order_request(FHIRMedicationRequest, data)
    with scope.database():
        mrn = subject_mrn(request.subject)
        details = _dosage(request)
        orderable = _orderable(request.medicationCodeableConcept, medication=True,
                               route=(details.get("route") or "").upper())
        details.update(priority=_priority(request.priority),
                       indication=_concept_text((request.reasonCode or [None])[0]))
        order_id = _order_and_sign(scope, mrn=mrn, orderable=orderable, details=details, reason=reason)
        medication_id = Order.objects.filter(pk=order_id).values_list("medication__fhir_id", flat=True).get()
        return _created("MedicationRequest", medication_id)


def _service_details(request: FHIRServiceRequest, order_type: str) -> dict:
    reason = _concept_text((request.reasonCode or [None])[0])
    notes = _notes(request)
    details = {"priority": _priority(request.priority), "indication": reason}
    if order_type == OrderType.CONSULT:
        details["consult_question"] = notes or reason
    elif order_type == OrderType.IMAGING:
        details["reason_for_exam"], details["instructions"] = reason or notes, notes if reason else ""
    else:
        details["instructions"] = notes or request.patientInstruction or ""
    return details


@writer("ServiceRequest", "a lab (LOINC), imaging, referral or nursing order (SNOMED CT) from the catalog by code; "
                          "priority; reasonCode text = indication (imaging: reason for exam); note = the "
                          "consultant's question (referrals) or instructions. Status active, intent order. Runs "
                          "place_order and sign_orders.")
def service_request_create(data: dict, scope) -> dict:
    request, reason = _signed_order_request(FHIRServiceRequest, data)
    with scope.database():
        mrn = subject_mrn(request.subject)
        orderable = _orderable(request.code, medication=False)
        order_type = Orderable.objects.filter(key=orderable).values_list("order_type", flat=True).get()
        details = _service_details(request, order_type)
        order_id = _order_and_sign(scope, mrn=mrn, orderable=orderable, details=details, reason=reason)
        return _created("ServiceRequest", str(order_id))


def _created(name: str, ident: str) -> dict:
    kind = REGISTRY[name]
    row = kind.get(ident)
    if kind.page_prefetch:
        kind.page_prefetch([row])
    return kind.resource(row)


