"""The curated knowledge behind decision support on doses: renal dosing limits and high-alert medications.

Tables, not code, so a pharmacist can review them line by line, matched by ingredient
name or drug class as in orders.cds_rules_allergy_interaction. Sources: FDA labels, the
2023 AGS Beers Criteria (renal thresholds), KDIGO/ADA (metformin and eGFR), and ISMP's
List of High-Alert Medications.
"""

from dataclasses import dataclass

from orders.cds_rules_allergy_interaction import HIGH, LOW

# --- Renal dosing ------------------------------------------------------------------------


@dataclass(frozen=True)
class RenalRule:
    """An ingredient's dosing limit below a kidney function threshold.

    measure: "egfr" (mL/min/1.73 m², as labs report) or "crcl" (Cockcroft–Gault, mL/min,
    as drug labels dose). With `max_daily_dose` set, the rule fires only when the ordered
    daily dose is above it; otherwise it fires whenever function is below `below`.
    """

    ingredient: str
    measure: str
    below: float
    severity: str
    message: str
    max_daily_dose: float | None = None


RENAL_RULES = (
    RenalRule("metformin", "egfr", 30, HIGH, "Metformin is contraindicated when eGFR is below 30 (lactic acidosis)."),
    RenalRule(
        "metformin",
        "egfr",
        45,
        LOW,
        "Do not start metformin at eGFR 30–45; if already taking it, reassess benefit and consider halving the dose.",
    ),
    RenalRule(
        "enoxaparin",
        "crcl",
        30,
        HIGH,
        "CrCl below 30 mL/min: enoxaparin accumulates. Prophylaxis is 30 mg SC "
        "once daily; treatment is 1 mg/kg SC once daily.",
        max_daily_dose=30,
    ),
    RenalRule("rivaroxaban", "crcl", 15, HIGH, "Avoid rivaroxaban when CrCl is below 15 mL/min."),
    RenalRule(
        "apixaban", "crcl", 15, LOW, "Limited data with CrCl below 15 mL/min; review the apixaban dose criteria."
    ),
    RenalRule(
        "sulfamethoxazole-trimethoprim",
        "crcl",
        15,
        HIGH,
        "Trimethoprim-sulfamethoxazole is not recommended when CrCl is below 15 mL/min.",
    ),
    RenalRule(
        "sulfamethoxazole-trimethoprim",
        "crcl",
        30,
        LOW,
        "CrCl 15–30 mL/min: give 50% of the usual dose (1 DS tablet daily); watch potassium.",
        max_daily_dose=1,
    ),
    RenalRule(
        "nitrofurantoin",
        "crcl",
        30,
        LOW,
        "Beers criteria: avoid nitrofurantoin when CrCl is below 30 mL/min (ineffective, toxic).",
    ),
    RenalRule("ketorolac", "crcl", 30, HIGH, "Ketorolac is contraindicated in advanced renal impairment."),
    RenalRule("ibuprofen", "egfr", 30, HIGH, "Avoid NSAIDs when eGFR is below 30 (acute kidney injury)."),
    RenalRule("naproxen", "egfr", 30, HIGH, "Avoid NSAIDs when eGFR is below 30 (acute kidney injury)."),
    RenalRule("indomethacin", "egfr", 30, HIGH, "Avoid NSAIDs when eGFR is below 30 (acute kidney injury)."),
    RenalRule("spironolactone", "egfr", 30, HIGH, "Spironolactone with eGFR below 30: serious hyperkalaemia risk."),
    RenalRule(
        "potassium chloride",
        "egfr",
        30,
        LOW,
        "eGFR below 30: potassium accumulates; give smaller doses and recheck potassium.",
    ),
    RenalRule(
        "magnesium sulfate",
        "crcl",
        30,
        LOW,
        "CrCl below 30 mL/min: reduce the magnesium dose and monitor the level (hypermagnesaemia).",
    ),
    RenalRule(
        "vancomycin",
        "crcl",
        50,
        LOW,
        "CrCl below 50 mL/min: extend the vancomycin interval and dose by levels (AUC or trough).",
    ),
    RenalRule(
        "piperacillin-tazobactam",
        "crcl",
        40,
        LOW,
        "CrCl below 40 mL/min: reduce piperacillin-tazobactam to 2.25–3.375 g every 6 hours.",
        max_daily_dose=13.5,
    ),
    RenalRule(
        "cefepime",
        "crcl",
        60,
        LOW,
        "CrCl below 60 mL/min: reduce the cefepime dose (neurotoxicity).",
        max_daily_dose=4000,
    ),
    RenalRule(
        "levofloxacin",
        "crcl",
        50,
        LOW,
        "CrCl below 50 mL/min: extend the levofloxacin interval to every 48 hours after the first dose.",
    ),
    RenalRule(
        "famotidine",
        "crcl",
        50,
        LOW,
        "CrCl below 50 mL/min: reduce famotidine by 50% (CNS effects).",
        max_daily_dose=20,
    ),
    RenalRule(
        "morphine",
        "crcl",
        30,
        LOW,
        "CrCl below 30 mL/min: active morphine metabolites accumulate; reduce the dose or prefer hydromorphone.",
    ),
    RenalRule("digoxin", "crcl", 50, LOW, "CrCl below 50 mL/min: reduce the digoxin dose and check a level."),
    RenalRule("gabapentin", "crcl", 60, LOW, "CrCl below 60 mL/min: reduce the gabapentin dose."),
)


# --- High-alert medications ----------------------------------------------------------------

# The Institute for Safe Medication Practices' List of High-Alert Medications in Acute Care
# Settings (ISMP, 2024): drugs whose errors are the most likely to cause significant harm.
# Matched on the catalog's drug classes and ingredients; some only by the intravenous route
# (potassium chloride tablets are not on the list, its concentrate for injection is).
HIGH_ALERT_CLASSES = frozenset({
    "insulin-short-acting", "insulin-rapid-acting", "insulin-long-acting", "insulin-premixed",  # insulin, SC and IV
    "lmwh", "heparin", "vka", "doac",  # antithrombotic agents
    "opioid", "opioid-partial-agonist",  # opioids, IV, transdermal and oral
})
HIGH_ALERT_IV_CLASSES = frozenset({
    "potassium-supplement",  # potassium chloride for injection
    "magnesium-supplement",  # magnesium sulfate injection
    "adrenergic",  # adrenergic agonists, IV
    "benzodiazepine",  # moderate sedation agents, IV
    "glucose",  # dextrose, hypertonic 20% or more
    "cardiac-glycoside",  # inotropic medications, IV
})
HIGH_ALERT_INGREDIENTS = frozenset({"methotrexate"})  # oral methotrexate, non-oncologic use


def is_high_alert(*, drug_class: str, ingredient: str, route: str) -> bool:
    """Whether a medication order is on ISMP's high-alert list."""
    return (
        drug_class in HIGH_ALERT_CLASSES
        or (route == "IV" and drug_class in HIGH_ALERT_IV_CLASSES)
        or ingredient.lower() in HIGH_ALERT_INGREDIENTS
    )
