"""Criteria on orders: placed and signed as asked, unsafe ones absent, discontinued, alerts overridden.

They read the orders the episode created for the task's patient (found through their
"order.pend" audit events: every order is pended first, by hand, from an order set or
by reordering) and the "order.discontinue", "medication.discontinue" and
"alert.override" events of the episode. A drug already on the seed medication list is
not an order of the episode and earns nothing.
"""

from typing import Literal

from pydantic import BaseModel, Field, PrivateAttr, model_validator

from harness.rubrics.base import (
    Constraint,
    Criterion,
    CriterionResult,
    Number,
    Numbers,
    RubricContext,
    Texts,
    severity_field,
    texts,
    walk,
)
from orders.catalog import FREQUENCY_ALIASES, ROUTE_ALIASES, order_type_of
from orders.cds_rules_dosing import is_high_alert
from orders.models import Order, Orderable, OrderType
from orders.selectors import orderable_by_code, orderable_by_key, orders_signed_exist

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
    return orderable_by_code(code)


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


def _within(value: float | None, allowed: list, tolerance: float) -> bool:
    return value is not None and any(abs(value - float(a)) <= float(tolerance) + 1e-9 for a in allowed)


# What an order placed in a hurry gets wrong: each is checked, none is left to chance.
PARTIAL_CREDIT = 0.25


class OrderPlaced(OrderIdentity, Criterion):
    """An order placed and signed during the episode with every detail right: the orderable, its dose,
    route, frequency, duration and priority.

    Medication criteria must pin dose, route and frequency, and every order criterion its priority (a
    stat aspirin ordered routine, or four times a day, is a wrong order, not a near miss). Credit is
    all or nothing beyond a small, constant share for ordering the right thing with a detail wrong or
    unsigned, which does not tell which detail it was.
    """

    kind: Literal["order_placed"] = "order_placed"
    dose: Numbers | None = Field(None, description="Dose in the orderable's unit, or a list of acceptable doses.")
    dose_tolerance: Number = Field(0.0, description="How far off the dose may be (absolute).")
    dose_min: Number | None = Field(None, description="Lowest acceptable dose (inclusive), instead of `dose`.")
    dose_max: Number | None = Field(None, description="Highest acceptable dose (inclusive), instead of `dose`.")
    dose_unit: str | None = Field(None)
    route: Texts | None = Field(None, description="Acceptable route(s): PO, IV, SC ... or their names.")
    frequency: Texts | None = Field(None, description="Acceptable frequency code(s): DAILY, BID, Q8H, ONCE ... "
                                                      "(orders other than medications: omitted means once).")
    duration_days: Numbers | None = Field(None, description="Acceptable course length(s) in days (omitted: any).")
    duration_tolerance: Number = Field(0.0, description="How far off the duration may be (days).")
    priority: Texts | None = Field(None, description="Acceptable priority(ies): routine, urgent, stat (required).")
    prn: bool | None = Field(None, description="Must (true) or must not (false) be as needed.")
    status: Literal["signed", "pended"] = Field("signed", description="signed: signed and still active or "
                                                                       "completed; pended: at least pended.")

    @model_validator(mode="after")
    def _pinned(self):
        """What a rubric must pin: a criterion that leaves a detail open pays for getting it wrong."""
        if not self.counts:
            return self
        missing = []
        if not self.priority:
            missing.append("priority")
        if self.is_medication:
            if self.dose is None and self.dose_min is None and self.dose_max is None:
                missing.append("dose (or dose_min/dose_max)")
            for name in ("route", "frequency"):
                if not getattr(self, name):
                    missing.append(name)
        if missing:
            kind = "a medication order" if self.is_medication else "an order"
            raise ValueError(f"{kind} criterion must pin {', '.join(missing)} (list several values to accept "
                             "any of them)")
        if self.dose is not None and (self.dose_min is not None or self.dose_max is not None):
            raise ValueError("give 'dose' (with 'dose_tolerance') or 'dose_min'/'dose_max', not both")
        return self

    @property
    def is_medication(self) -> bool:
        if self.order_type:
            return self.order_type == "medication"
        if self.drug_class or self.ingredient:
            return True
        types = order_type_of()
        return any(types.get(code) == "medication" for code in texts(self.code or []))

    def _checks(self) -> list[tuple[str, object]]:
        checks = []
        if self.dose is not None:
            checks.append(("dose", lambda o: _within(o.dose, texts(self.dose), float(self.dose_tolerance))))
        if self.dose_min is not None:
            checks.append(("dose", lambda o: o.dose is not None and o.dose >= float(self.dose_min) - 1e-9))
        if self.dose_max is not None:
            checks.append(("dose", lambda o: o.dose is not None and o.dose <= float(self.dose_max) + 1e-9))
        if self.dose_unit:
            checks.append(("dose unit", lambda o: o.dose_unit.lower() == self.dose_unit.lower()))
        if self.route:
            checks.append(("route", lambda o: o.route in {_route(r) for r in texts(self.route)}))
        if self.frequency:
            checks.append(("frequency", lambda o: o.frequency in {_frequency(f) for f in texts(self.frequency)}))
        elif not self.is_medication:
            checks.append(("frequency", lambda o: o.frequency in ("", "ONCE")))
        if self.duration_days is not None:
            checks.append(("duration", lambda o: _within(o.duration_days, texts(self.duration_days),
                                                         float(self.duration_tolerance))))
        if self.priority:
            checks.append(("priority", lambda o: o.priority in {p.lower() for p in texts(self.priority)}))
        if self.prn is not None:
            checks.append(("PRN", lambda o: o.prn == self.prn))
        if self.status == "signed":
            checks.append(("signed and active", lambda o: o.signed_at is not None and o.status in SIGNED_STATUSES))
        else:
            checks.append(("pended or signed", lambda o: o.status in (Order.Status.PENDED, *SIGNED_STATUSES)))
        return checks

    def matches(self, order: Order) -> bool:
        """The order is this criterion's, with every detail right (and signed, if that is asked)."""
        return self.identifies_order(order) and all(test(order) for _, test in self._checks())

    def check(self, ctx: RubricContext) -> CriterionResult:
        candidates = [o for o in ctx.orders if self.identifies_order(o) and o.status != Order.Status.CANCELLED]
        if not candidates:
            return CriterionResult(0.0, False, f"no order of {self.what()} in this episode")
        right = [o for o in candidates if self.matches(o)]
        if right:
            return CriterionResult(1.0, True, f"order #{right[0].pk} {right[0].display}")
        checks = self._checks()
        closest = max(candidates, key=lambda o: (sum(1 for _, test in checks if test(o)), o.pk))
        missing = list(dict.fromkeys(name for name, test in checks if not test(closest)))
        return CriterionResult(PARTIAL_CREDIT, False,
                               f"order #{closest.pk} {closest.display}; wrong or missing: {', '.join(missing)}")


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


def _drug_key(order: Order) -> str:
    """What "the same drug" means for duplicates: its ingredient, or the code of anything else."""
    return f"ingredient:{order.orderable.ingredient.lower()}" if order.orderable.ingredient else f"code:{order.code}"


def _high_alert(order: Order) -> bool:
    return order.order_type == OrderType.MEDICATION and is_high_alert(
        drug_class=order.orderable.drug_class, ingredient=order.orderable.ingredient, route=order.route)


def _assign(orders: list[Order], slots: list) -> set[int]:
    """Indexes of the orders a slot takes, each slot taking at most one order it accepts (a maximum
    bipartite matching, so overlapping goals, such as "a beta-lactam" and "ceftriaxone", share fairly)."""
    owner: dict[int, int] = {}  # slot index -> order index

    def place(i: int, seen: set[int]) -> bool:
        for j, accepts in enumerate(slots):
            if j in seen or not accepts(orders[i]):
                continue
            seen.add(j)
            if j not in owner or place(owner[j], seen):
                owner[j] = i
                return True
        return False

    for i in range(len(orders)):
        place(i, set())
    return set(owner.values())


class NoExtraOrders(Constraint):
    """No signed order the task did not call for, and none of the same drug twice: ordering everything, or a
    second dose "just in case", does not pass. Each order goal of the rubric calls for one order (gates' and
    any-ofs' included); `allow_codes` / `allow_drug_classes` add acceptable alternatives, one order each.
    An extra order of a high-alert medication (ISMP) is critical whatever the severity."""

    kind: Literal["no_extra_orders"] = "no_extra_orders"
    allow_codes: Texts = Field(default_factory=list, description="Codes or catalog keys the task calls for.")
    allow_drug_classes: Texts = Field(default_factory=list, description="Drug classes the task calls for.")
    order_types: list[Literal["medication", "lab", "imaging", "consult", "nursing"]] = Field(
        default_factory=list, description="Only count orders of these types (default: all)."
    )
    max_extra: int = Field(0, ge=0, description="How many other signed orders are tolerated.")
    opt_out_reason: str = Field("", max_length=300, description="Switch the check off, saying why (a task where "
                                                                "any orders are acceptable).")
    severity_: Literal["none", "penalty", "critical"] = severity_field("penalty")
    _goals: list = PrivateAttr(default_factory=list)

    @model_validator(mode="after")
    def _reasoned(self):
        if self.opt_out_reason and reason_words(self.opt_out_reason) < 4:
            raise ValueError("opt_out_reason must say why in a few words")
        return self

    def bind(self, rubric: list) -> None:
        self._goals = [c for c in walk(rubric) if isinstance(c, OrderPlaced)]

    def _allowed(self, order: Order) -> bool:
        return (order.code in texts(self.allow_codes) or order.orderable.key in texts(self.allow_codes)
                or order.orderable.drug_class in texts(self.allow_drug_classes))

    def check(self, ctx: RubricContext) -> CriterionResult:
        if self.opt_out_reason:
            return CriterionResult(1.0, True, f"not checked: {self.opt_out_reason}")
        signed = [o for o in ctx.orders if o.signed_at is not None
                  and (not self.order_types or o.order_type in self.order_types)]
        slots = [goal.identifies_order for goal in self._goals]
        for key in sorted({_drug_key(o) for o in signed if self._allowed(o)}):
            slots.append(lambda o, key=key: self._allowed(o) and _drug_key(o) == key)
        taken = _assign(signed, slots)
        extra = [o for i, o in enumerate(signed) if i not in taken]
        if len(extra) <= self.max_extra:
            return CriterionResult(1.0, True, f"{len(extra)} other order(s)")
        keys = [_drug_key(o) for o in signed]
        twice = [o for o in extra if keys.count(_drug_key(o)) > 1]
        names = ", ".join(f"{o.display}{' (again)' if o in twice else ''}" for o in extra[:10])
        severity = "critical" if any(_high_alert(o) for o in extra) else None
        return CriterionResult(0.0, False, f"{len(extra)} order(s) beyond what the task calls for: {names}",
                               severity=severity)


class SafeDoses(Constraint):
    """No signed medication order above its maximum single or daily dose (the catalog's), or above what the
    patient's kidney function allows: what decision support warns about, an agent may override, but a
    task never pays for it."""

    kind: Literal["safe_doses"] = "safe_doses"
    severity_: Literal["none", "penalty", "critical"] = severity_field("critical")

    def check(self, ctx: RubricContext) -> CriterionResult:
        from orders import cds
        from orders.selectors import cds_pending_order, patient_renal_function

        signed = [o for o in ctx.orders if o.signed_at is not None and o.order_type == OrderType.MEDICATION]
        if not signed:
            return CriterionResult(1.0, True, "no medication signed")
        context = cds.Context(renal=patient_renal_function(ctx.patient))
        unsafe = []
        for order in signed:
            pending = cds_pending_order(order)
            for alert in cds.dose_range_alerts(pending, context) + cds.renal_alerts(pending, context):
                # A renal rule with a dose limit fires only above it; one without is a warning to weigh.
                if alert.severity == "high" or alert.rule == "dose_range" or _renal_limit(alert, order):
                    unsafe.append(f"#{order.pk} {order.summary or order.display}: {alert.title}")
        if not unsafe:
            return CriterionResult(1.0, True, f"{len(signed)} medication order(s) within dose limits")
        return CriterionResult(0.0, False, "unsafe dose(s): " + "; ".join(unsafe[:5]))


def _renal_limit(alert, order: Order) -> bool:
    from orders.cds_rules_dosing import RENAL_RULES

    ingredient = order.orderable.ingredient.lower()
    return alert.rule == "renal" and any(
        rule.ingredient == ingredient and rule.max_daily_dose is not None and rule.below == alert.details["threshold"]
        for rule in RENAL_RULES)


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
            orderable = orderable_by_key(details["orderable"]) if details.get("orderable") \
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
        if orders_signed_exist([e.details.get("order_id") for e in reasoned]):
            return CriterionResult(1.0, True, "alert overridden with a reason and the order signed")
        return CriterionResult(0.5, False, "alert overridden with a reason, but the order was not signed")
