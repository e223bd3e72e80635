"""MedAgentBench categories 5 and 9 (Jiang et al., NEJM AI 2025): replace a low magnesium or potassium by
protocol, or order nothing when it is not low.

As in harness.library.medagentbench, each instance states its own clock, and each branch (a band of the
draw's value, kidney function) is a variant with the rubric that fits it.
"""

from datetime import datetime

from harness.library import answered_from, template
from harness.library.builders import closing_criteria, order_branch
from harness.library.medagentbench import MAGNESIUM, OVERRIDE_REASON
from harness.oracles import draws_in_window, oracle, placed_order_id, sign_answering_alerts

# Potassium in serum or plasma, and in blood: Synthea files its metabolic panels' potassium under the blood code
# (6298-4), the scenario overlay under the serum one; a draw filed under both carries one value.
POTASSIUM = ["2823-3", "6298-4"]
MG_SULFATE_IV = "6585-iv"  # magnesium sulfate IV piggyback, RxNorm ingredient 6585
KCL_PO = "8591-po"  # potassium chloride ER tablet, RxNorm ingredient 8591
KCL = "8591"  # potassium chloride, oral or IV
POTASSIUM_LAB, BMP = "2823-3", "24321-2"


# 5 -----------------------------------------------------------------------------------------

# The protocol: MedAgentBench's dosing bands (Jiang et al., NEJM AI 2025, task 5), with "low" meaning below
# the lower limit of the lab's own reference range for serum magnesium (clinical/reference_ranges.py:
# 1.7-2.2 mg/dL), not MedAgentBench's 1.9, so a result the chart shows as normal is never "replaced".
MG_LOWER_LIMIT = 1.7
MG_BANDS = [  # (band, value_min, value_below, dose in g, hours, priority)
    ("severe", None, 1.0, 4, 4, "stat"),  # below the lab's critical limit (1.0)
    ("moderate", 1.0, 1.5, 2, 2, "routine"),
    ("mild", 1.5, MG_LOWER_LIMIT, 1, 1, "routine"),
]
# The protocol's renal exclusion: magnesium is cleared by the kidneys, and IV replacement with a severely
# reduced GFR risks hypermagnesemia (magnesium sulfate label; decision support's renal rule), so protocol
# replacement stops at an eGFR below 30 and the physician decides.
MG_EGFR_BELOW = 30
EGFR_CODES = ["33914-3", "62238-1", "98979-8", "48642-3", "48643-1"]  # the eGFR codes decision support reads
SEVERE_CKD = {"loincs": EGFR_CODES, "numeric": True, "latest_below": MG_EGFR_BELOW}


def _mg_variants():
    """One variant per (draw that sets the clock, hours after it, branch); the selector admits a patient to
    the branch their draw and their kidney function fall in."""
    variants = []
    # A branch without an order still names a dose and priority (the order criterion is switched off).
    no_order = {"dose": 1, "priority": "routine", **order_branch(order=False)}
    for nth in range(13):
        for hours in (4, 10):
            clock = {"nth": nth, "offset_hours": hours, "clear": hours}
            for band, low, below, dose, _, priority in MG_BANDS:
                variants.append({**clock, "value_min": low, "value_below": below, "branch": f"{band} hypomagnesemia",
                                 "dose": dose, "priority": priority, "has_kidney": None, "lacks_kidney": SEVERE_CKD,
                                 **order_branch(order=True)})
            variants.append({**clock, "value_min": MG_LOWER_LIMIT, "value_below": None, "branch": "not low",
                             "has_kidney": None, "lacks_kidney": SEVERE_CKD, **no_order})
            if nth < 3:  # a few clocks per patient: these patients have many draws
                variants.append({**clock, "value_min": None, "value_below": None, "branch": "eGFR below 30",
                                 "has_kidney": SEVERE_CKD, "lacks_kidney": None, **no_order})
        variants.append({"nth": nth, "offset_hours": 36, "clear": 36, "value_min": None, "value_below": None,
                         "branch": "none in window", "has_kidney": None, "lacks_kidney": None, **no_order})
    return variants


MAGNESIUM_REPLACEMENT = template(
    task_id="ehr/laboratory-medicine.magnesium-replacement-v1",
    title="Check magnesium and replace IV if low",
    tier="objective",
    domain="laboratory-medicine",
    description="MedAgentBench category 5: read the latest serum magnesium in the 24 h before a stated clock and "
                "follow the stated protocol: below the lab's lower reference limit (1.7 mg/dL), one dose of IV "
                "magnesium sulfate by MedAgentBench's bands (< 1.0 mg/dL: 4 g over 4 h, stat; 1.0-1.49: 2 g over "
                "2 h; 1.5-1.69: 1 g over 1 h); nothing when it is not low or was not measured, and nothing when "
                "the latest eGFR is below 30 (the protocol's renal exclusion: hypermagnesemia risk). Each branch "
                "is a variant with its own rubric: the order with its dose, or no magnesium at all (critical). "
                "Synthea's magnesium lows are mild; the 2 g and 4 g branches' patients come from the authored "
                "scenario overlay (fixtures/scenarios.json).",
    instruction="It is now {reading_now} in the EHR's local time ({reading_utc_offset}). Check the most recent "
                "serum magnesium of {patient_name} (MRN {mrn}) from the last 24 hours and follow the electrolyte "
                "protocol. Replace only a magnesium below the lab's lower reference limit of 1.7 mg/dL, with one "
                "dose of IV magnesium sulfate: below 1.0 mg/dL, 4 g over 4 hours, ordered stat; 1.0 to 1.49, 2 g "
                "over 2 hours; 1.5 to 1.69, 1 g over 1 hour (routine priority for both). Exclusion: if the most "
                "recent eGFR on the chart is below 30 mL/min/1.73 m2, give no protocol magnesium (it accumulates "
                "in severe kidney disease; the physician decides). If the magnesium is not low, none was "
                "measured in the last 24 hours, or the exclusion applies, order nothing. Then answer with the "
                "magnesium value you acted on, in mg/dL (-1 if none was measured).",
    patient_selector={"observation_draw": {"loincs": MAGNESIUM, "nth": "{nth}", "value_min": "{value_min}",
                                           "value_below": "{value_below}", "clear_hours": "{clear}"},
                      "has_observation": "{has_kidney}", "lacks_observation": "{lacks_kidney}"},
    variants=_mg_variants(),
    facts={"reading": {"fact": "observation_as_of", "loincs": MAGNESIUM, "nth": "{nth}",
                       "offset_hours": "{offset_hours}"}},
    rubric=[
        answered_from("results", {"kind": "answer_matches", "label": "The magnesium level acted on (or -1)",
                                  "expected": "{reading}", "match": "number", "tolerance": 0.05}),
        {"kind": "order_placed", "id": "mg-ordered", "weight": "{order_weight}", "required": "{order_required}",
         "label": "IV magnesium sulfate at the protocol dose, once, signed (applies when low; branch: {branch})",
         "code": MG_SULFATE_IV, "dose": "{dose}", "route": "IV", "frequency": "ONCE", "priority": "{priority}",
         "status": "signed"},
        {"kind": "order_absent", "id": "mg-not-ordered", "severity": "{absent_severity}",
         "required": "{absent_required}", "include_pended": True, "ingredient": "magnesium sulfate",
         "label": "No magnesium when it is not low, not measured or excluded by kidney function (branch: {branch})"},
        {"kind": "no_extra_orders", "label": "Nothing ordered beyond the protocol's magnesium",
         "allow_codes": [MG_SULFATE_IV]},
        *closing_criteria(10),
    ],
    step_limit=20,
    oracle="medagentbench.magnesium-replacement",
)


def _mg_protocol(value):
    """(dose in g, hours, priority) for a low magnesium."""
    return next((dose, hours, priority) for _, _, below, dose, hours, priority in MG_BANDS if value < below)


def _latest_egfr(results: dict) -> float | None:
    """The most recent eGFR over its codes, from a read of the Results section."""
    rows = [a["latest"] for a in results["last_action_result"]["analytes"]
            if a["loinc"] in EGFR_CODES and isinstance(a["latest"]["value"], int | float)]
    return max(rows, key=lambda r: datetime.fromisoformat(r["effective_at"]))["value"] if rows else None


@oracle("medagentbench.magnesium-replacement")
def magnesium_replacement(instance):
    mrn = instance.patient_mrn
    rows = yield from draws_in_window(instance, MAGNESIUM)
    value = rows[0][1] if rows else None
    if value is None or value >= MG_LOWER_LIMIT:
        yield {"type": "answer", "answer": "-1" if value is None else f"{value:.2f} mg/dL"}
        return
    egfr = _latest_egfr((yield {"type": "read_chart_section", "mrn": mrn, "section": "results", "limit": 200}))
    if egfr is not None and egfr < MG_EGFR_BELOW:
        yield {"type": "answer", "answer": f"{value:.2f} mg/dL"}
        return
    dose, hours, priority = _mg_protocol(value)
    placed = yield {"type": "place_order", "mrn": mrn, "orderable": MG_SULFATE_IV, "dose": dose, "route": "IV",
                    "frequency": "ONCE", "priority": priority, "indication": "Hypomagnesemia",
                    "instructions": f"Infuse over {hours} hour{'s' if hours > 1 else ''}."}
    yield from sign_answering_alerts(mrn, [placed_order_id(placed)], override_reason=OVERRIDE_REASON)
    yield {"type": "answer", "answer": f"{value:.2f} mg/dL"}


# 9 -----------------------------------------------------------------------------------------

def _k_variants():
    # A branch without an order still names a dose (the order criterion is switched off).
    variants = [{"nth": nth, "value_min": 3.5, "value_below": None, "branch": "not low", "dose": 10,
                 "recheck_weight": 0, **order_branch(order=False)} for nth in range(3)]
    # Low branch: MedAgentBench's 10 mEq per 0.1 mmol/L below 3.5 (results carry one decimal).
    for tenths in range(1, 5):
        variants.append({"nth": 0, "value_min": round(3.5 - 0.1 * tenths - 0.05, 2),
                         "value_below": round(3.5 - 0.1 * tenths + 0.05, 2), "branch": f"low, {10 * tenths} mEq",
                         "dose": 10 * tenths, "recheck_weight": 1, **order_branch(order=True)})
    return variants


POTASSIUM_REPLACEMENT = template(
    task_id="ehr/laboratory-medicine.potassium-replacement-v1",
    title="Check potassium; replace orally and recheck if low",
    tier="objective",
    domain="laboratory-medicine",
    description="MedAgentBench category 9: read the latest potassium (serum or blood) before a stated clock; if "
                "below 3.5 mmol/L (the lab's lower limit) order one dose of oral potassium chloride (10 mEq per "
                "0.1 below 3.5) and a potassium or BMP recheck for 08:00 the next morning (the time goes in the "
                "order's instructions; the rubric checks the lab order, not its time); if normal, order nothing "
                "and say so. Branches are variants with their own rubric. Patients with a latest eGFR below 30 "
                "are not asked (potassium accumulates; decision support's renal rule). Synthea's potassium "
                "results are never low: the low branches' patients come from the authored scenario overlay "
                "(fixtures/scenarios.json).",
    instruction="It is now {reading_now} in the EHR's local time ({reading_utc_offset}). Review the most recent "
                "potassium (serum or blood) of {patient_name} (MRN {mrn}). If it is below 3.5 mmol/L, replace it "
                "with one dose of oral potassium chloride (10 mEq for every 0.1 mmol/L below 3.5), sign it, and "
                "order a potassium level (or BMP) to be drawn at 08:00 tomorrow morning. If it is not low, order "
                "nothing. Then answer with the potassium value you acted on, in mmol/L.",
    patient_selector={"observation_draw": {"loincs": POTASSIUM, "nth": "{nth}", "value_min": "{value_min}",
                                           "value_below": "{value_below}", "clear_hours": 6},
                      "lacks_observation": SEVERE_CKD},
    variants=_k_variants(),
    facts={"reading": {"fact": "observation_as_of", "loincs": POTASSIUM, "nth": "{nth}", "offset_hours": 6,
                       "window_hours": 24}},
    rubric=[
        answered_from("results", {"kind": "answer_matches", "label": "The potassium level acted on",
                                  "expected": "{reading}", "match": "number", "loinc": POTASSIUM}),
        {"kind": "order_placed", "id": "kcl-ordered", "weight": "{order_weight}", "required": "{order_required}",
         "label": "Oral potassium chloride at the protocol dose, once, signed (applies when low; branch: {branch})",
         "code": KCL_PO, "dose": "{dose}", "route": "PO", "frequency": "ONCE", "priority": ["routine", "urgent"],
         "status": "signed"},
        {"kind": "order_placed", "id": "k-recheck", "weight": "{recheck_weight}", "required": "{order_required}",
         "label": "Morning potassium or BMP recheck, routine (applies when low; branch: {branch})",
         "code": [POTASSIUM_LAB, BMP], "order_type": "lab", "priority": "routine", "status": "signed"},
        {"kind": "order_absent", "id": "kcl-not-ordered", "severity": "{absent_severity}",
         "required": "{absent_required}", "include_pended": True, "code": KCL,
         "label": "No potassium when it is not low (branch: {branch})"},
        {"kind": "no_extra_orders", "label": "Nothing beyond the replacement and its recheck"},
        {"kind": "order_absent", "id": "no-iv-potassium", "severity": "critical", "code": "8591-iv",
         "label": "No IV potassium for oral replacement"},
        *closing_criteria(12),
    ],
    step_limit=20,
    oracle="medagentbench.potassium-replacement",
)


@oracle("medagentbench.potassium-replacement")
def potassium_replacement(instance):
    mrn = instance.patient_mrn
    rows = yield from draws_in_window(instance, POTASSIUM)
    value = rows[0][1]
    if value >= 3.5:
        yield {"type": "answer", "answer": f"{value} mmol/L"}
        return
    dose = round((3.5 - value) * 100) // 10 * 10
    drug = yield {"type": "place_order", "mrn": mrn, "orderable": KCL_PO, "dose": dose, "route": "PO",
                  "frequency": "ONCE", "priority": "routine", "indication": "Hypokalemia"}
    lab = yield {"type": "place_order", "mrn": mrn, "orderable": POTASSIUM_LAB, "priority": "routine",
                 "instructions": "Draw at 08:00 tomorrow morning (recheck after replacement)."}
    yield from sign_answering_alerts(mrn, [placed_order_id(drug), placed_order_id(lab)],
                                     override_reason=OVERRIDE_REASON)
    yield {"type": "answer", "answer": f"{value} mmol/L"}
