"""Reads for the order entry UI, the services' decision support, and semantic actions."""

from django.db.models import Count, Q, QuerySet
from django.urls import reverse

from clinical import selectors as chart
from clinical.models import Encounter, Patient
from clinical.visit import VisitItem
from orders import cds
from orders.models import Order, Orderable, OrderAlert, OrderSet, OrderType

SEARCH_LIMIT = 50
TYPE_RANK = {t: i for i, t in enumerate(OrderType.values)}
ORDER_STATUS_FILTERS = ("active", "pended", "completed", "discontinued", "cancelled", "all")
DEFAULT_STATUS_FILTER = "active"

EGFR_CODES = ("33914-3", "62238-1", "98979-8", "48642-3", "48643-1")
CREATININE_CODES = ("2160-0", "38483-4")
BODY_WEIGHT = "29463-7"


# --- The catalog ----------------------------------------------------------------------


def orderable_search(text: str = "", *, order_type: str = "", limit: int = SEARCH_LIMIT) -> list[Orderable]:
    """Orderables whose name, synonyms, code or ingredient contain every word typed.

    An exact code (or key) match comes first, then names starting with the text, then
    the rest by type and name, as order entry lists them.
    """
    text = text.strip().lower()
    if not text:
        return []
    rows = Orderable.objects.filter(active=True)
    if order_type:
        rows = rows.filter(order_type=order_type)
    for word in text.split():
        rows = rows.filter(search_text__contains=word)

    def rank(orderable: Orderable):
        exact = text in (orderable.code.lower(), orderable.key.lower())
        return (not exact, not orderable.name.lower().startswith(text), TYPE_RANK[orderable.order_type], orderable.name)

    return sorted(rows, key=rank)[:limit]


def orderable_get(ref: str) -> Orderable:
    """An orderable by its key, else by its code.

    Raises Orderable.DoesNotExist, or Orderable.MultipleObjectsReturned for a code that
    names several orderables (ingredient-coded drugs given by two routes, like potassium
    chloride oral and IV): their keys tell them apart.
    """
    ref = (ref or "").strip()
    by_key = Orderable.objects.filter(key=ref).first()
    if by_key is not None:
        return by_key
    matches = list(Orderable.objects.filter(code=ref).order_by("key")[:5])
    if not matches:
        raise Orderable.DoesNotExist(f"No orderable {ref!r}")
    if len(matches) > 1:
        keys = ", ".join(f"{o.key} ({o.name})" for o in matches)
        raise Orderable.MultipleObjectsReturned(f"Code {ref} names {len(matches)} orderables: {keys}; use the key.")
    return matches[0]


def order_sets() -> QuerySet[OrderSet]:
    return OrderSet.objects.prefetch_related("items__orderable").annotate(item_count=Count("items"))


def order_set_name(slug: str) -> str:
    """The display name of an order set, "" when there is none by that slug."""
    return OrderSet.objects.filter(slug=slug).values_list("name", flat=True).first() or "" if slug else ""


def order_set_get(slug: str) -> OrderSet:
    return OrderSet.objects.prefetch_related("items__orderable").get(slug=slug)


# --- A patient's orders -----------------------------------------------------------------


def orders_for_patient(patient: Patient, *, status: str = DEFAULT_STATUS_FILTER) -> QuerySet[Order]:
    """The patient's orders in one status (or "all"), newest first."""
    rows = Order.objects.filter(patient=patient).select_related("orderable")
    if status != "all":
        rows = rows.filter(status=status)
    return (
        rows.order_by("-signed_at", "-created_at", "-id") if status != "pended" else rows.order_by("created_at", "id")
    )


def orders_pended(patient: Patient) -> QuerySet[Order]:
    return orders_for_patient(patient, status=Order.Status.PENDED)


def orders_pended_for_shelf(patient: Patient) -> QuerySet[Order]:
    """Pended orders with how many of their alerts are open and answered."""
    answered = [OrderAlert.Status.ACKNOWLEDGED, OrderAlert.Status.OVERRIDDEN]
    return orders_pended(patient).annotate(
        open_alerts=Count("alerts", filter=Q(alerts__status=OrderAlert.Status.OPEN)),
        answered_alerts=Count("alerts", filter=Q(alerts__status__in=answered)),
    )


def order_counts(patient: Patient) -> dict[str, int]:
    counts = dict(Order.objects.filter(patient=patient).values_list("status").annotate(n=Count("id")))
    counts["all"] = sum(counts.values())
    return counts


def order_get(*, patient: Patient, order_id: int) -> Order:
    """One of the patient's orders (raises Order.DoesNotExist)."""
    return Order.objects.select_related("orderable", "medication").get(patient=patient, pk=order_id)


def alerts_for_review(patient: Patient) -> QuerySet[OrderAlert]:
    """Current alerts of the pended orders: what the sign dialog lists."""
    return (
        OrderAlert.objects.filter(order__patient=patient, order__status=Order.Status.PENDED)
        .exclude(status=OrderAlert.Status.RESOLVED)
        .select_related("order")
        .order_by("order__created_at", "order_id", "severity", "id")
    )


def alert_get(*, patient: Patient, alert_id: int) -> OrderAlert:
    return OrderAlert.objects.select_related("order").get(order__patient=patient, pk=alert_id)


def order_alerts(order: Order) -> QuerySet[OrderAlert]:
    return order.alerts.order_by("severity", "id")


# --- What decision support reads -------------------------------------------------------


def _latest_value(patient: Patient, codes: tuple[str, ...]):
    obs = (
        patient.observations.filter(loinc__in=codes, value_num__isnull=False)
        .order_by("-effective_at", "-pk")
        .only("value_num", "effective_at", "unit")
        .first()
    )
    return (obs.value_num, obs.effective_at) if obs else None


def patient_renal_function(patient: Patient) -> cds.RenalFunction:
    """Kidney function from the latest eGFR, creatinine and body weight on the chart."""
    weight = _latest_value(patient, (BODY_WEIGHT,))
    return cds.renal_function(
        egfr=_latest_value(patient, EGFR_CODES),
        creatinine=_latest_value(patient, CREATININE_CODES),
        weight_kg=weight[0] if weight else None,
        age=patient.age,
        sex=patient.sex,
    )


def _drug_of_orderable(orderable: Orderable, *, label: str, ref: str) -> cds.Drug | None:
    if orderable.order_type != OrderType.MEDICATION:
        return None
    return cds.Drug(orderable.ingredient, orderable.drug_class, label, ref)


def cds_pending_order(order: Order) -> cds.PendingOrder:
    orderable = order.orderable
    return cds.PendingOrder(
        pk=order.pk,
        order_type=order.order_type,
        code=order.code,
        display=order.display,
        drug=_drug_of_orderable(orderable, label=order.display, ref=f"order:{order.pk}"),
        dose=order.dose,
        dose_unit=order.dose_unit,
        frequency=order.frequency,
        max_single_dose=orderable.max_single_dose,
        max_daily_dose=orderable.max_daily_dose,
    )


def _medication_list_drugs(patient: Patient) -> list[tuple[str, cds.Drug]]:
    """The active medication list as drugs, leaving out entries an active order already stands for."""
    from_orders = Order.objects.filter(patient=patient, status=Order.Status.ACTIVE, medication__isnull=False)
    medications = list(chart.medications_active(patient).exclude(pk__in=from_orders.values("medication_id")))
    catalog = Orderable.objects.filter(order_type=OrderType.MEDICATION)
    coded = {o.code: o for o in catalog.filter(code__in=[m.rxnorm for m in medications])}
    ingredients = None
    drugs = []
    for medication in medications:
        ref = f"medication:{medication.rxnorm}"
        if medication.rxnorm in coded:
            orderable = coded[medication.rxnorm]
            drugs.append(
                (medication.rxnorm, cds.Drug(orderable.ingredient, orderable.drug_class, medication.display, ref))
            )
            continue
        if ingredients is None:
            ingredients = set(catalog.exclude(ingredient="").values_list("ingredient", "drug_class"))
        found = cds.drug_from_text(medication.display, ingredients)
        if found:
            drugs.append((medication.rxnorm, cds.Drug(found[0], found[1], medication.display, ref)))
    return drugs


def cds_context(patient: Patient) -> cds.Context:
    """Everything the rules compare a pended order with."""
    others = Order.objects.filter(
        patient=patient, status__in=[Order.Status.PENDED, Order.Status.ACTIVE]
    ).select_related("orderable")
    return cds.Context(
        allergies=[cds.AllergyFact(a.pk, a.substance, a.code, a.reaction) for a in chart.allergies_active(patient)],
        other_orders=[
            (o.pk, o.code, o.display, o.status, _drug_of_orderable(o.orderable, label=o.display, ref=f"order:{o.pk}"))
            for o in others
        ],
        medication_list=_medication_list_drugs(patient),
        renal=patient_renal_function(patient),
    )


def orders_with_alert_counts(patient: Patient, *, status: str) -> QuerySet[Order]:
    """The order list rows, each with how many of its alerts were overridden."""
    return orders_for_patient(patient, status=status).annotate(
        override_count=Count("alerts", filter=Q(alerts__status=OrderAlert.Status.OVERRIDDEN))
    )


def orderable_by_code(code: str) -> Orderable | None:
    """The first catalog entry (by key) with this code, or None; unlike orderable_get, an ambiguous code is no error."""
    return Orderable.objects.filter(code=code).order_by("key").first() if code else None


def orderable_by_key(key: str) -> Orderable | None:
    return Orderable.objects.filter(key=key).first()


def orderable_codes_of_classes(drug_classes: list[str]) -> QuerySet:
    """The codes of the catalog's drugs of these classes, as a subquery."""
    return Orderable.objects.filter(drug_class__in=drug_classes).values("code")


# --- What an episode changed: the orders its audit events point at (clinical.selectors.episode_audit_events) ---


def orders_by_id(ids: list[int]) -> list[Order]:
    """These orders with their catalog entries, oldest first."""
    if not ids:  # most steps of most episodes: no query to build
        return []
    return sorted(Order.objects.filter(pk__in=ids).select_related("orderable"), key=lambda order: order.pk)


def orders_signed_exist(ids: list) -> bool:
    """Whether any of these orders was signed."""
    return Order.objects.filter(pk__in=ids, signed_at__isnull=False).exists()


def orders_in_visit(encounter: Encounter) -> list[VisitItem]:
    """The orders placed in a visit, oldest first, as the visit navigator lists them."""
    rows = Order.objects.filter(encounter=encounter).select_related("patient").order_by("created_at", "pk")
    return [
        VisitItem(id=o.pk, text=o.display, detail=o.summary, status=o.status, at=o.created_at,
                  url=reverse("orders:order_detail", kwargs={"mrn": o.patient.mrn, "order_id": o.pk}))
        for o in rows
    ]
