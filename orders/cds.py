"""Clinical decision support: what to warn about when orders are signed.

`evaluate(...)` is a pure function of the chart as it stands (allergies, the medication
list, other orders, kidney function) and returns alert specifications; the services
persist them as OrderAlert rows and block signing until each is answered. Every rule
is one small function, so each can be read and tested alone.
"""

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from orders.catalog import FREQUENCIES
from orders.cds_rules_allergy_interaction import (
    ALLERGENS,
    ALLERGY_CODE_INGREDIENTS,
    HIGH,
    HIGH_RISK_GROUPS,
    INTERACTIONS,
    LOW,
    NO_DUPLICATE_THERAPY,
    THERAPEUTIC_GROUPS,
    Allergen,
)
from orders.cds_rules_dosing import RENAL_RULES

# --- What the rules look at ---------------------------------------------------------


@dataclass(frozen=True)
class Drug:
    """A medication as the rules see it: from an order or from the medication list."""

    ingredient: str
    drug_class: str
    label: str  # how an alert names it, e.g. "warfarin sodium 5 MG Oral Tablet (medication list)"
    ref: str  # identity for fingerprints: "order:12" or "medication:855332"

    @property
    def group(self) -> str:
        return THERAPEUTIC_GROUPS.get(self.drug_class, self.drug_class)

    @property
    def tags(self) -> frozenset[str]:
        """Names an interaction may use: the ingredient, its parts if combined, the class."""
        parts = {part.strip() for part in self.ingredient.lower().split("-")} if self.ingredient else set()
        return frozenset({self.ingredient.lower(), self.drug_class, *parts} - {""})


@dataclass(frozen=True)
class AllergyFact:
    pk: int
    substance: str
    code: str
    reaction: str = ""


@dataclass(frozen=True)
class RenalFunction:
    """Kidney function from the latest results: measured or calculated eGFR, and CrCl."""

    egfr: float | None = None
    egfr_source: str = ""
    crcl: float | None = None
    crcl_source: str = ""

    def value(self, measure: str) -> tuple[float | None, str]:
        """The requested measure, falling back to the other when it is unknown."""
        primary = (self.egfr, self.egfr_source) if measure == "egfr" else (self.crcl, self.crcl_source)
        secondary = (self.crcl, self.crcl_source) if measure == "egfr" else (self.egfr, self.egfr_source)
        return primary if primary[0] is not None else secondary


@dataclass(frozen=True)
class PendingOrder:
    """The order being checked, as plain values."""

    pk: int
    order_type: str
    code: str
    display: str
    drug: Drug | None = None
    dose: float | None = None
    dose_unit: str = ""
    frequency: str = ""
    max_single_dose: float | None = None
    max_daily_dose: float | None = None


@dataclass
class Context:
    allergies: list[AllergyFact] = field(default_factory=list)
    # Other orders (pended or active) by identity, with their code and, for medications, drug.
    other_orders: list[tuple[int, str, str, str, Drug | None]] = field(
        default_factory=list
    )  # pk, code, display, status, drug
    medication_list: list[tuple[str, Drug]] = field(default_factory=list)  # (rxnorm, drug)
    renal: RenalFunction = field(default_factory=RenalFunction)


@dataclass(frozen=True)
class AlertSpec:
    rule: str
    severity: str
    title: str
    message: str
    fingerprint: str
    details: dict = field(default_factory=dict)


# --- Kidney function ----------------------------------------------------------------------


def ckd_epi_2021(*, creatinine: float, age: int, sex: str) -> float:
    """eGFR (mL/min/1.73 m²) by the race-free CKD-EPI 2021 creatinine equation."""
    female = sex == "female"
    kappa, alpha = (0.7, -0.241) if female else (0.9, -0.302)
    ratio = creatinine / kappa
    egfr = 142 * min(ratio, 1) ** alpha * max(ratio, 1) ** -1.200 * 0.9938**age
    return egfr * 1.012 if female else egfr


def cockcroft_gault(*, creatinine: float, age: int, weight_kg: float, sex: str) -> float:
    """Creatinine clearance (mL/min), the measure drug labels dose by."""
    crcl = (140 - age) * weight_kg / (72 * creatinine)
    return crcl * 0.85 if sex == "female" else crcl


def renal_function(
    *,
    egfr: tuple[float, datetime] | None,
    creatinine: tuple[float, datetime] | None,
    weight_kg: float | None,
    age: int,
    sex: str,
) -> RenalFunction:
    """Kidney function from the latest eGFR and creatinine results.

    A creatinine newer than the last reported eGFR gives a calculated eGFR, so a fresh
    result is never hidden behind an old one. Equations are for adults only.
    """
    egfr_value, egfr_source = None, ""
    if egfr is not None:
        egfr_value, egfr_source = egfr[0], f"eGFR {egfr[0]:.0f} mL/min/1.73m² on {egfr[1]:%m/%d/%Y}"
    crcl_value, crcl_source = None, ""
    if creatinine is not None and creatinine[0] > 0 and age >= 18:
        scr, at = creatinine
        if egfr is None or at > egfr[1]:
            egfr_value = ckd_epi_2021(creatinine=scr, age=age, sex=sex)
            egfr_source = (
                f"eGFR {egfr_value:.0f} mL/min/1.73m² (CKD-EPI 2021, creatinine {scr:g} mg/dL on {at:%m/%d/%Y})"
            )
        if weight_kg:
            crcl_value = cockcroft_gault(creatinine=scr, age=age, weight_kg=weight_kg, sex=sex)
            crcl_source = (
                f"CrCl {crcl_value:.0f} mL/min (Cockcroft–Gault, creatinine {scr:g} mg/dL on {at:%m/%d/%Y}, "
                f"{weight_kg:g} kg)"
            )
    return RenalFunction(egfr_value, egfr_source, crcl_value, crcl_source)


# --- Doses ------------------------------------------------------------------------------


def daily_dose(dose: float | None, frequency: str) -> float | None:
    """The most a frequency gives in a day (a PRN order is counted at its maximum)."""
    if dose is None or frequency not in FREQUENCIES:
        return None
    per_day = FREQUENCIES[frequency].per_day
    if per_day is not None:
        return dose * per_day
    return {"ONCE": dose, "Q5MIN": dose * 3}.get(frequency)


def _number(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".") if not math.isclose(value, round(value)) else f"{value:.0f}"


# --- The rules ----------------------------------------------------------------------------


def _allergens_of(allergy: AllergyFact) -> list[Allergen]:
    substance = f" {allergy.substance.lower()} "
    return [
        allergen
        for allergen in ALLERGENS
        if allergy.code in allergen.codes or any(word in substance for word in allergen.words)
    ]


def allergy_alerts(order: PendingOrder, context: Context) -> list[AlertSpec]:
    drug = order.drug
    if drug is None:
        return []
    alerts = []
    for allergy in context.allergies:
        same_ingredient = ALLERGY_CODE_INGREDIENTS.get(allergy.code, "").lower() == drug.ingredient.lower()
        named_in_substance = bool(drug.ingredient) and drug.ingredient.lower() in allergy.substance.lower()
        allergens = _allergens_of(allergy)
        direct = (
            same_ingredient
            or named_in_substance
            or any(
                drug.drug_class in allergen.classes or drug.ingredient.lower() in allergen.ingredients
                for allergen in allergens
            )
        )
        reaction = f" (reaction: {allergy.reaction})" if allergy.reaction else ""
        if direct:
            alerts.append(
                AlertSpec(
                    "allergy",
                    HIGH,
                    f"Allergy: {allergy.substance}",
                    f"The patient is allergic to {allergy.substance}{reaction}; "
                    + (
                        f"{drug.ingredient} is the same drug."
                        if same_ingredient or named_in_substance
                        else f"{drug.ingredient} is in the same drug class ({drug.drug_class.replace('-', ' ')})."
                    ),
                    f"allergy:{allergy.pk}",
                    {
                        "allergy_id": allergy.pk,
                        "substance": allergy.substance,
                        "allergy_code": allergy.code,
                        "ingredient": drug.ingredient,
                        "drug_class": drug.drug_class,
                    },
                )
            )
            continue
        for allergen in allergens:
            severity = allergen.cross.get(drug.drug_class)
            if severity:
                alerts.append(
                    AlertSpec(
                        "allergy_cross",
                        severity,
                        f"Possible cross-reactivity: {allergy.substance}",
                        f"The patient is allergic to {allergy.substance}{reaction}; {drug.ingredient} is a "
                        f"{drug.drug_class.replace('-', ' ')}. {allergen.cross_note}".strip(),
                        f"allergy_cross:{allergy.pk}",
                        {
                            "allergy_id": allergy.pk,
                            "substance": allergy.substance,
                            "allergy_code": allergy.code,
                            "ingredient": drug.ingredient,
                            "drug_class": drug.drug_class,
                        },
                    )
                )
                break
    return alerts


def _other_drugs(order: PendingOrder, context: Context) -> list[tuple[str, Drug, str]]:
    """(ref, drug, where) for every other medication: orders first, then the medication list."""
    others = [
        (f"order:{pk}", drug, f"{status} order")
        for pk, _code, _display, status, drug in context.other_orders
        if drug is not None and pk != order.pk
    ]
    return others + [(f"medication:{rxnorm}", drug, "medication list") for rxnorm, drug in context.medication_list]


def duplicate_alerts(order: PendingOrder, context: Context) -> list[AlertSpec]:
    """The same drug (or, for other orders, the same test) already ordered or taken."""
    if order.drug is None:
        return [
            AlertSpec(
                "duplicate_order",
                LOW,
                f"Duplicate order: {order.display}",
                f"{order.display} is already ordered ({status} order #{pk}).",
                f"duplicate_order:order:{pk}",
                {"other_order_id": pk, "code": order.code},
            )
            for pk, code, _display, status, _drug in context.other_orders
            if code == order.code and pk != order.pk
        ]
    alerts = []
    for ref, other, where in _other_drugs(order, context):
        if other.ingredient.lower() == order.drug.ingredient.lower():
            alerts.append(
                AlertSpec(
                    "duplicate_order",
                    LOW,
                    f"Duplicate order: {order.drug.ingredient}",
                    f"{order.drug.ingredient} is already ordered or taken: {other.label} ({where}).",
                    f"duplicate_order:{ref}",
                    {"other": ref, "other_label": other.label, "ingredient": order.drug.ingredient},
                )
            )
    return alerts


def interaction_alerts(order: PendingOrder, context: Context) -> list[AlertSpec]:
    if order.drug is None:
        return []
    alerts = []
    for ref, other, where in _other_drugs(order, context):
        for rule in INTERACTIONS:
            if rule.matches(order.drug.tags, other.tags):
                alerts.append(
                    AlertSpec(
                        "interaction",
                        rule.severity,
                        f"Interaction: {rule.title}",
                        f"{order.drug.ingredient} with {other.label} ({where}). {rule.message}",
                        f"interaction:{rule.title}:{ref}",
                        {"other": ref, "other_label": other.label, "interaction": rule.title},
                    )
                )
                break
    return alerts


def duplicate_therapy_alerts(order: PendingOrder, context: Context) -> list[AlertSpec]:
    """Another drug of the same therapeutic group (two statins, two anticoagulants ...).

    A pair an interaction rule already covers (ACE inhibitor + ARB) is left to that rule.
    """
    drug = order.drug
    if drug is None or drug.drug_class in NO_DUPLICATE_THERAPY or not drug.drug_class:
        return []
    alerts = []
    for ref, other, where in _other_drugs(order, context):
        if other.group != drug.group or other.ingredient.lower() == drug.ingredient.lower():
            continue
        if any(rule.matches(drug.tags, other.tags) for rule in INTERACTIONS):
            continue
        severity = HIGH if drug.group in HIGH_RISK_GROUPS else LOW
        alerts.append(
            AlertSpec(
                "duplicate_therapy",
                severity,
                f"Duplicate therapy: {drug.group.replace('-', ' ')}",
                f"{drug.ingredient} and {other.label} ({where}) are both {drug.group.replace('-', ' ')}s.",
                f"duplicate_therapy:{ref}",
                {"other": ref, "other_label": other.label, "group": drug.group},
            )
        )
    return alerts


def dose_range_alerts(order: PendingOrder, context: Context) -> list[AlertSpec]:
    if order.drug is None or order.dose is None:
        return []
    alerts = []
    unit = order.dose_unit
    if order.max_single_dose is not None and order.dose > order.max_single_dose:
        alerts.append(
            AlertSpec(
                "dose_range",
                HIGH,
                f"Dose above maximum: {order.drug.ingredient}",
                f"A single dose of {_number(order.dose)} {unit} is above the usual maximum of "
                f"{_number(order.max_single_dose)} {unit}.",
                f"dose_range:single:{_number(order.dose)}",
                {"dose": order.dose, "max_single_dose": order.max_single_dose, "unit": unit},
            )
        )
    per_day = daily_dose(order.dose, order.frequency)
    if order.max_daily_dose is not None and per_day is not None and per_day > order.max_daily_dose + 1e-9:
        frequency = FREQUENCIES[order.frequency].label
        alerts.append(
            AlertSpec(
                "dose_range",
                HIGH,
                f"Daily dose above maximum: {order.drug.ingredient}",
                f"{_number(order.dose)} {unit} {frequency} is {_number(per_day)} {unit} a day, above the maximum of "
                f"{_number(order.max_daily_dose)} {unit} a day.",
                f"dose_range:daily:{_number(order.dose)}:{order.frequency}",
                {
                    "dose": order.dose,
                    "frequency": order.frequency,
                    "daily_dose": per_day,
                    "max_daily_dose": order.max_daily_dose,
                    "unit": unit,
                },
            )
        )
    return alerts


def renal_alerts(order: PendingOrder, context: Context) -> list[AlertSpec]:
    """The strictest renal rule of the ingredient that the patient's kidney function triggers."""
    if order.drug is None:
        return []
    rules = sorted(
        (rule for rule in RENAL_RULES if rule.ingredient == order.drug.ingredient.lower()),
        key=lambda rule: rule.below,
    )
    per_day = daily_dose(order.dose, order.frequency)
    for rule in rules:
        value, source = context.renal.value(rule.measure)
        if value is None or value >= rule.below:
            continue
        if rule.max_daily_dose is not None and per_day is not None and per_day <= rule.max_daily_dose:
            continue
        measure = "eGFR" if rule.measure == "egfr" else "CrCl"
        return [
            AlertSpec(
                "renal",
                rule.severity,
                f"Renal dosing: {order.drug.ingredient} ({measure} < {rule.below:g})",
                f"{rule.message} Latest: {source}.",
                f"renal:{rule.ingredient}:{rule.below:g}:{value:.0f}:{_number(order.dose or 0)}:{order.frequency}",
                {
                    "measure": rule.measure,
                    "value": round(value, 1),
                    "threshold": rule.below,
                    "source": source,
                    "dose": order.dose,
                    "frequency": order.frequency,
                },
            )
        ]
    return []


RULES = (
    allergy_alerts,
    duplicate_alerts,
    interaction_alerts,
    duplicate_therapy_alerts,
    dose_range_alerts,
    renal_alerts,
)


def evaluate(order: PendingOrder, context: Context) -> list[AlertSpec]:
    """Every alert the order raises, one per fingerprint (the first rule to produce it wins)."""
    alerts: dict[str, AlertSpec] = {}
    for rule in RULES:
        for alert in rule(order, context):
            alerts.setdefault(alert.fingerprint, alert)
    return list(alerts.values())


def drug_from_text(display: str, ingredients: Iterable[tuple[str, str]]) -> tuple[str, str] | None:
    """(ingredient, class) for a medication-list entry the catalog does not code, by its name.

    The longest known ingredient name found in the text wins ("oxycodone-acetaminophen"
    over "acetaminophen"), comparing with hyphens and slashes as spaces.
    """
    text = " " + display.lower().replace("/", " ").replace("-", " ") + " "
    best = None
    for ingredient, drug_class in ingredients:
        words = [word for word in ingredient.lower().replace("-", " ").split() if word]
        if words and all(f" {word} " in text for word in words):
            if best is None or len(ingredient) > len(best[0]):
                best = (ingredient, drug_class)
    return best
