"""Criteria on orders: placed and signed as asked, unsafe ones absent, discontinued, alerts overridden.

They read the orders the episode created for the task's patient (found through their
"order.pend" audit events: every order is pended first, by hand, from an order set or
by reordering) and the "order.discontinue", "medication.discontinue" and
"alert.override" events of the episode. A drug already on the seed medication list is
not an order of the episode and earns nothing.
"""

from typing import Literal

from pydantic import BaseModel, Field, model_validator

from harness.rubrics.base import (
    Constraint,
    Criterion,
    CriterionResult,
    Number,
    RubricContext,
    Texts,
    severity_field,
    texts,
)
from orders.catalog import FREQUENCY_ALIASES, ROUTE_ALIASES
from orders.models import Order, Orderable, OrderType

SIGNED_STATUSES = (Order.Status.ACTIVE, Order.Status.COMPLETED)
ORDER_TYPES = tuple(OrderType.values)


def _route(value: str) -> str:
    value = str(value or "").strip().upper()
    return ROUTE_ALIASES.get(value, value)


def _frequency(value: str) -> str:
    value = str(value or "").strip().upper()
    return FREQUENCY_ALIASES.get(value, value)


class DrugIdentity(BaseModel):
    """What counts as the same drug or orderable: a code or catalog key, a drug class, or an ingredient
    (any one suffices).

    A mixin of fields, not a criterion: goals and constraints on orders and on the medication
    list identify drugs this way.
    """

    code: Texts | None = Field(None, description="RxNorm / LOINC / SNOMED CT code(s) or catalog key(s).")
    drug_class: Texts | None = Field(None, description="Catalog drug class(es), e.g. macrolide, nsaid.")
    ingredient: Texts | None = Field(None, description="Ingredient name(s), e.g. lisinopril.")

    @model_validator(mode="after")
    def _something_identifies(self):
        if not (self.code or self.drug_class or self.ingredient):
            raise ValueError("give at least one of 'code', 'drug_class' or 'ingredient'")
        return self

    def identifies(self, *, code: str, key: str = "", drug_class: str = "", ingredient: str = "",
                   display: str = "", **_) -> bool:
        if self.code and (code in texts(self.code) or (key and key in texts(self.code))):
            return True
        if self.drug_class and drug_class and drug_class in texts(self.drug_class):
            return True
        if self.ingredient:
            names = f"{ingredient} {display}".lower()
            return any(word.lower() in names for word in texts(self.ingredient))
        return False

    def identifies_coded(self, *, code: str, display: str = "") -> bool:
        """A drug known by its code alone (a medication-list entry): its class and ingredient are those of
        the catalog entry with that code, if there is one."""
        orderable = catalog_entry(code)
        return self.identifies(code=code, key=getattr(orderable, "key", ""),
                               drug_class=getattr(orderable, "drug_class", ""),
                               ingredient=getattr(orderable, "ingredient", ""),
                               display=display or getattr(orderable, "name", ""))

    def what(self) -> str:
        parts = [" / ".join(texts(v)) for v in (self.code, self.drug_class, self.ingredient) if v]
        return " or ".join(parts)


def catalog_entry(code: str) -> Orderable | None:
    return Orderable.objects.filter(code=code).order_by("key").first() if code else None


class OrderIdentity(DrugIdentity):
    """A drug identity that may also require the order type."""

    order_type: Literal["medication", "lab", "imaging", "consult", "nursing"] | None = Field(None)

    def identifies(self, *, order_type: str = "", **fields) -> bool:
        if self.order_type and order_type and order_type != self.order_type:
            return False
        return super().identifies(**fields)

    def identifies_order(self, order: Order) -> bool:
        orderable = order.orderable
        return self.identifies(code=order.code, key=orderable.key, drug_class=orderable.drug_class,
                               ingredient=orderable.ingredient, order_type=order.order_type, display=order.display)


class OrderPlaced(OrderIdentity, Criterion):
    """An order placed during the episode: the right orderable, dose, route, frequency and priority, signed."""

    kind: Literal["order_placed"] = "order_placed"
    dose: Number | None = Field(None, description="Dose in the orderable's unit.")
    dose_tolerance: Number = Field(0.0, description="How far off the dose may be (absolute).")
    dose_unit: str | None = Field(None)
    route: Texts | None = Field(None, description="Acceptable route(s): PO, IV, SC ... or their names.")
    frequency: Texts | None = Field(None, description="Acceptable frequency code(s): DAILY, BID, Q8H, ONCE ...")
    priority: Texts | None = Field(None, description="Acceptable priority(ies): routine, urgent, stat.")
    prn: bool | None = Field(None, description="Must (true) or must not (false) be as needed.")
    status: Literal["signed", "pended"] = Field("signed", description="signed: signed and still active or "
                                                                       "completed; pended: at least pended.")

    def _checks(self) -> list[tuple[str, object]]:
        checks = []
        if self.dose is not None:
            checks.append(("dose", lambda o: o.dose is not None
                           and abs(o.dose - float(self.dose)) <= float(self.dose_tolerance) + 1e-9))
        if self.dose_unit:
            checks.append(("dose unit", lambda o: o.dose_unit.lower() == self.dose_unit.lower()))
        if self.route:
            checks.append(("route", lambda o: o.route in {_route(r) for r in texts(self.route)}))
        if self.frequency:
            checks.append(("frequency", lambda o: o.frequency in {_frequency(f) for f in texts(self.frequency)}))
        if self.priority:
            checks.append(("priority", lambda o: o.priority in {p.lower() for p in texts(self.priority)}))
        if self.prn is not None:
            checks.append(("PRN", lambda o: o.prn == self.prn))
        if self.status == "signed":
            checks.append(("signed and active", lambda o: o.signed_at is not None and o.status in SIGNED_STATUSES))
        else:
            checks.append(("pended or signed", lambda o: o.status in (Order.Status.PENDED, *SIGNED_STATUSES)))
        return checks

    def check(self, ctx: RubricContext) -> CriterionResult:
        candidates = [o for o in ctx.orders if self.identifies_order(o) and o.status != Order.Status.CANCELLED]
        if not candidates:
            return CriterionResult(0.0, False, f"no order of {self.what()} in this episode")
        checks = self._checks()
        best = max(candidates, key=lambda o: (sum(1 for _, test in checks if test(o)), o.pk))
        missing = [name for name, test in checks if not test(best)]
        score = (1 + len(checks) - len(missing)) / (1 + len(checks))
        detail = f"order #{best.pk} {best.display}" + (f"; wrong or missing: {', '.join(missing)}" if missing else "")
        return CriterionResult(score, not missing, detail)


class OrderAbsent(OrderIdentity, Constraint):
    """No order of something unsafe or contraindicated was signed (or, optionally, even pended)."""

    kind: Literal["order_absent"] = "order_absent"
    include_pended: bool = Field(False, description="Pended (unsigned) orders count too.")
    severity_: Literal["none", "penalty", "critical"] = severity_field("critical")

    def check(self, ctx: RubricContext) -> CriterionResult:
        found = [
            o for o in ctx.orders if self.identifies_order(o)
            and (o.signed_at is not None or (self.include_pended and o.status == Order.Status.PENDED))
        ]
        if not found:
            return CriterionResult(1.0, True, f"no order of {self.what()}")
        names = ", ".join(f"#{o.pk} {o.display}" for o in found)
        return CriterionResult(0.0, False, f"unsafe order(s): {names}")


class NoExtraOrders(Constraint):
    """No more signed orders than the task calls for: ordering everything does not pass."""

    kind: Literal["no_extra_orders"] = "no_extra_orders"
    allow_codes: Texts = Field(default_factory=list, description="Codes or catalog keys the task calls for.")
    allow_drug_classes: Texts = Field(default_factory=list, description="Drug classes the task calls for.")
    order_types: list[Literal["medication", "lab", "imaging", "consult", "nursing"]] = Field(
        default_factory=list, description="Only count orders of these types (default: all)."
    )
    max_extra: int = Field(0, ge=0, description="How many other signed orders are tolerated.")
    severity_: Literal["none", "penalty", "critical"] = severity_field("penalty")

    def check(self, ctx: RubricContext) -> CriterionResult:
        codes, classes = set(texts(self.allow_codes)), set(texts(self.allow_drug_classes))
        extra = [
            o for o in ctx.orders
            if o.signed_at is not None
            and (not self.order_types or o.order_type in self.order_types)
            and not (o.code in codes or o.orderable.key in codes or (o.orderable.drug_class in classes))
        ]
        if len(extra) <= self.max_extra:
            return CriterionResult(1.0, True, f"{len(extra)} other order(s)")
        return CriterionResult(0.0, False, f"{len(extra)} orders beyond what the task calls for: "
                                           + ", ".join(o.display for o in extra[:10]))


def reason_words(reason: str) -> int:
    return len([word for word in str(reason or "").split() if any(ch.isalpha() for ch in word)])


class OrderDiscontinued(OrderIdentity, Criterion):
    """An order or medication-list drug discontinued during the episode, with a reason."""

    kind: Literal["order_discontinued"] = "order_discontinued"
    min_reason_words: int = Field(1, ge=0, description="The reason must have at least this many words.")

    def check(self, ctx: RubricContext) -> CriterionResult:
        found, short = [], []
        for event in ctx.patient_events("order.discontinue", "medication.discontinue"):
            details = event.details
            code = details.get("code") or details.get("rxnorm") or ""
            orderable = Orderable.objects.filter(key=details["orderable"]).first() if details.get("orderable") \
                else catalog_entry(code)
            if not self.identifies(code=code, key=getattr(orderable, "key", ""),
                                   drug_class=getattr(orderable, "drug_class", ""),
                                   ingredient=getattr(orderable, "ingredient", ""),
                                   order_type=details.get("order_type", OrderType.MEDICATION),
                                   display=details.get("display", "") or getattr(orderable, "name", "")):
                continue
            (found if reason_words(details.get("reason")) >= self.min_reason_words else short).append(code)
        if found:
            return CriterionResult(1.0, True, f"{self.what()} discontinued")
        if short:
            return CriterionResult(0.5, False, f"{self.what()} discontinued without a reason of "
                                               f"{self.min_reason_words}+ words")
        return CriterionResult(0.0, False, f"{self.what()} was not discontinued in this episode")


class AlertOverridden(Criterion):
    """A decision-support alert overridden with a reason, and the order then signed."""

    kind: Literal["alert_overridden"] = "alert_overridden"
    rule: Texts | None = Field(None, description="Alert rule(s): allergy, allergy_cross, interaction, dose_range ...")
    code: Texts | None = Field(None, description="Code(s) of the order the alert fired on.")
    min_reason_words: int = Field(3, ge=1, description="The override reason must have at least this many words.")
    then_signed: bool = Field(True, description="The order must then be signed.")

    def check(self, ctx: RubricContext) -> CriterionResult:
        overrides = [
            e for e in ctx.patient_events("alert.override")
            if (not self.rule or e.details.get("rule") in texts(self.rule))
            and (not self.code or e.details.get("code") in texts(self.code))
        ]
        if not overrides:
            return CriterionResult(0.0, False, "no matching alert was overridden in this episode")
        reasoned = [e for e in overrides if reason_words(e.details.get("reason")) >= self.min_reason_words]
        if not reasoned:
            return CriterionResult(0.25, False, f"overridden without a reason of {self.min_reason_words}+ words")
        if not self.then_signed:
            return CriterionResult(1.0, True, "alert overridden with a reason")
        signed = Order.objects.filter(pk__in=[e.details.get("order_id") for e in reasoned], signed_at__isnull=False)
        if signed.exists():
            return CriterionResult(1.0, True, "alert overridden with a reason and the order signed")
        return CriterionResult(0.5, False, "alert overridden with a reason, but the order was not signed")
