"""The ten MedAgentBench task categories (Jiang et al., NEJM AI 2025), on EHRGym's charts.

Each template names its category ("MedAgentBench category N") so results can be set beside the
published ones. MedAgentBench fixes one clock for its whole data set; Synthea's charts here are
months old, so the time-window tasks (4, 5, 6, 9) state their own clock per instance ("It is now
..."): a reference time some hours after a real draw (the result is in the window) or more than a
day after it (none is, and the answer is -1, MedAgentBench's convention). The expected answers are
read from the episode's chart at reset (fact observation_as_of); the conditional order tasks split
their branches into variants (selector observation_draw), each with the rubric that fits it.
"""

from datetime import datetime, timedelta

from harness import browser_oracles as browser
from harness.browser_oracles import browser_oracle
from harness.library import answered_from, template
from harness.library.builders import closing_criteria, record_vitals, signed_order, vitals_recorded
from harness.oracles import newest_numeric_of, oracle, placed_order_id, sign_answering_alerts

MAGNESIUM = ["19123-9"]
# Potassium in serum or plasma, and in blood: Synthea files its metabolic panels' potassium under the blood code
# (6298-4), the scenario overlay under the serum one; a draw filed under both carries one value.
POTASSIUM = ["2823-3", "6298-4"]
GLUCOSE = ["2345-7", "2339-0"]
HBA1C = ["4548-4"]
MG_SULFATE_IV = "6585-iv"  # magnesium sulfate IV piggyback, RxNorm ingredient 6585
KCL_PO = "8591-po"  # potassium chloride ER tablet, RxNorm ingredient 8591
KCL = "8591"  # potassium chloride, oral or IV
POTASSIUM_LAB, BMP = "2823-3", "24321-2"
ORTHO_REFERRAL = "183545006"  # SNOMED CT Referral to orthopedic service


OVERRIDE_REASON = "Replacement per the electrolyte protocol; benefit outweighs the risk."


def _in_window(instance, loincs, *, window_hours=24):
    """Every numeric draw of the test in the window before the instance's stated clock, newest first."""
    now = datetime.fromisoformat(instance.params["reading_now_iso"])  # the stated clock, with its UTC offset
    start = now - timedelta(hours=window_hours)
    rows, seen = [], set()
    for loinc in loincs:
        observation = yield {"type": "get_observations", "mrn": instance.patient_mrn, "loinc": loinc,
                             "start": start.isoformat(), "end": now.isoformat(), "limit": 50}
        for row in observation["last_action_result"]["observations"]:
            at = datetime.fromisoformat(row["effective_at"])
            if isinstance(row["value"], int | float) and at > start and at not in seen:
                seen.add(at)
                rows.append((at, row["value"]))
    rows.sort(reverse=True)
    return rows


# 1 -----------------------------------------------------------------------------------------

FIND_MRN = template(
    task_id="ehr/navigation-and-chart-review.find-mrn-v1",
    title="Find a patient's MRN by name and date of birth",
    tier="skill",
    domain="navigation-and-chart-review",
    description="MedAgentBench category 1 (patient lookup): search the patient list by name and birth date and "
                "answer with the MRN.",
    instruction="What is the MRN of the patient named {full_name}, born {dob}? Answer with the MRN only.",
    variants=[{}],
    rubric=[
        {"kind": "answer_matches", "label": "The patient's MRN", "expected": "{mrn}", "match": "mrn"},
        *closing_criteria(6),
    ],
    step_limit=12,
    oracle="medagentbench.find-mrn",
)


@oracle("medagentbench.find-mrn")
def find_mrn(instance):
    p = instance.params
    found = yield {"type": "search_patients", "query": p["dob"], "limit": 50}
    rows = [r for r in found["last_action_result"]["patients"] if r["birth_date"] == p["dob"]
            and r["name"] == p["patient_name"]]
    yield {"type": "answer", "answer": rows[0]["mrn"]}


@browser_oracle("medagentbench.find-mrn")
def find_mrn_in_browser(instance):
    """Look the patient up by birth date in the toolbar; read the MRN off the chart or the match list."""
    p = instance.params
    yield from browser.fill("toolbar-lookup-input", p["dob"])
    tree = yield from browser.act({"type": "press", "bid": "toolbar-lookup-input", "key_comb": "Enter"})
    born = datetime.fromisoformat(p["dob"]).strftime("%m/%d/%Y")
    if tree.has(bid="storyboard-mrn"):  # one patient has that birth date: the lookup opened the chart
        if tree.find(bid="storyboard-name").name != p["patient_name"] or tree.find(bid="storyboard-dob").name != born:
            raise browser.PageError("the lookup opened another patient's chart")
        mrn = tree.find(bid="storyboard-mrn").name
    else:
        mrn = next((cells[1] for row in browser.table_rows(tree, "lookup-results")
                    if (cells := row.cells())[0] == p["patient_name"] and cells[2] == born), None)
        if mrn is None:
            raise browser.PageError(f"no {p['patient_name']} born {born} among the matches")
    yield {"type": "answer", "answer": mrn}


# 2 -----------------------------------------------------------------------------------------

AGE = template(
    task_id="ehr/navigation-and-chart-review.patient-age-v1",
    title="A patient's age today",
    tier="skill",
    domain="navigation-and-chart-review",
    description="MedAgentBench category 2 (age): the patient's age in whole years as of today, from the "
                "birth date in the chart.",
    instruction="How old is {patient_name} (MRN {mrn}) today, in completed years? Answer with a whole number.",
    variants=[{}],
    rubric=[
        {"kind": "answer_matches", "label": "Age in completed years", "expected": "{age}", "match": "number",
         "tolerance": 0},
        {"kind": "step_budget", "max_steps": 6},
    ],
    step_limit=12,
    oracle="medagentbench.patient-age",
)


@oracle("medagentbench.patient-age")
def patient_age(instance):
    found = yield {"type": "search_patients", "query": instance.patient_mrn, "limit": 5}
    row = next(r for r in found["last_action_result"]["patients"] if r["mrn"] == instance.patient_mrn)
    yield {"type": "answer", "answer": str(row["age"])}


# 3 -----------------------------------------------------------------------------------------

RECORD_BP = template(
    task_id="ehr/documentation.record-blood-pressure-v1",
    title="Record a blood pressure reading in vitals",
    tier="skill",
    domain="documentation",
    description="MedAgentBench category 3 (record vitals): chart a blood pressure the instruction gives, both "
                "components, as a vital-sign reading.",
    instruction="I just took {patient_name}'s blood pressure (MRN {mrn}): {sbp}/{dbp} mmHg. Please record it in "
                "the vitals.",
    patient_selector={"age_min": 18},
    variants=[{"sbp": 118, "dbp": 77}, {"sbp": 142, "dbp": 91}, {"sbp": 104, "dbp": 66}],
    rubric=[
        vitals_recorded("Blood pressure {sbp}/{dbp} mmHg recorded", "sbp", "dbp", tolerance=0),
        *closing_criteria(5),
    ],
    step_limit=10,
    oracle="medagentbench.record-blood-pressure",
)


@oracle("medagentbench.record-blood-pressure")
def record_blood_pressure(instance):
    yield record_vitals(instance, "sbp", "dbp")
    yield {"type": "finish", "message": "Blood pressure recorded."}


# 4 -----------------------------------------------------------------------------------------

# (nth draw sets the clock, hours after it): in the window (3, 9 h) or not (30, 50 h).
MG_CLOCKS = [{"nth": n, "offset_hours": h} for n in range(4) for h in (3, 9, 30, 50)]

MAGNESIUM_24H = template(
    task_id="ehr/laboratory-medicine.magnesium-last-24h-v1",
    title="Latest magnesium within the last 24 hours",
    tier="skill",
    domain="laboratory-medicine",
    description="MedAgentBench category 4: the most recent serum magnesium within 24 hours of a stated clock, "
                "or -1 when none was drawn in that window. The clock is a real draw plus 3 or 9 hours (a value "
                "is in the window) or plus 30 or 50 hours (usually none is); later results in the chart are "
                "after the clock and do not count.",
    instruction="It is now {reading_now} in the EHR's local time ({reading_utc_offset}). What is the most recent "
                "serum magnesium of {patient_name} (MRN {mrn}) within the last 24 hours, in mg/dL? If none was "
                "measured in those 24 hours, answer -1.",
    patient_selector={"has_observation": {"loincs": MAGNESIUM, "min_count": "{min_count}", "numeric": True}},
    variants=[{**c, "min_count": c["nth"] + 1} for c in MG_CLOCKS],
    facts={"reading": {"fact": "observation_as_of", "loincs": MAGNESIUM, "nth": "{nth}",
                       "offset_hours": "{offset_hours}"}},
    rubric=[
        answered_from("results", {"kind": "answer_matches", "label": "Latest magnesium in the 24 h before "
                                                                      "{reading_now} (or -1)",
                                  "expected": "{reading}", "match": "number", "tolerance": 0.05}),
        {"kind": "step_budget", "max_steps": 8},
    ],
    step_limit=15,
    oracle="medagentbench.latest-in-window",
)


@oracle("medagentbench.latest-in-window")
def latest_in_window(instance):
    rows = yield from _in_window(instance, instance.params.get("loincs", MAGNESIUM))
    yield {"type": "answer", "answer": f"{rows[0][1]:.2f}" if rows else "-1"}


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


# A branch switches criteria on or off: a goal that does not apply has weight 0 and is not required; a
# constraint that does not apply has severity none and is not required (neither moves the score).
def _branch(*, order: bool) -> dict:
    return {"order_weight": 3 if order else 0, "order_required": order,
            "absent_severity": "none" if order else "critical", "absent_required": not order}


def _mg_variants():
    """One variant per (draw that sets the clock, hours after it, branch); the selector admits a patient to
    the branch their draw and their kidney function fall in."""
    variants = []
    # A branch without an order still names a dose and priority (the order criterion is switched off).
    no_order = {"dose": 1, "priority": "routine", **_branch(order=False)}
    for nth in range(13):
        for hours in (4, 10):
            clock = {"nth": nth, "offset_hours": hours, "clear": hours}
            for band, low, below, dose, _, priority in MG_BANDS:
                variants.append({**clock, "value_min": low, "value_below": below, "branch": f"{band} hypomagnesemia",
                                 "dose": dose, "priority": priority, "has_kidney": None, "lacks_kidney": SEVERE_CKD,
                                 **_branch(order=True)})
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
    rows = yield from _in_window(instance, MAGNESIUM)
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


# 6 and 7 -----------------------------------------------------------------------------------

GLUCOSE_AVERAGE = template(
    task_id="ehr/endocrinology.average-glucose-24h-v1",
    title="Average glucose over the last 24 hours",
    tier="skill",
    domain="endocrinology",
    description="MedAgentBench category 6: the mean of the glucose results in the 24 h before a stated clock "
                "(a draw filed under two codes counts once), or -1 when none falls in the window. The clock is a "
                "real draw plus 6 hours (in the window) or plus 36 hours (usually none).",
    instruction="It is now {reading_now} in the EHR's local time ({reading_utc_offset}). What is the average "
                "glucose (serum or blood) of {patient_name} (MRN {mrn}) over the last 24 hours, in mg/dL? If none "
                "was measured in that time, answer -1.",
    patient_selector={"has_observation": {"loincs": GLUCOSE, "min_count": "{min_count}", "numeric": True}},
    variants=[{"nth": n, "offset_hours": h, "min_count": n + 1} for n in range(2) for h in (6, 36)],
    facts={"reading": {"fact": "observation_as_of", "loincs": GLUCOSE, "nth": "{nth}",
                       "offset_hours": "{offset_hours}"}},
    rubric=[
        answered_from("results", {"kind": "answer_matches", "label": "Mean glucose in the 24 h before "
                                                                      "{reading_now} (or -1)",
                                  "expected": "{reading_mean}", "match": "number", "tolerance": 0.5}),
        {"kind": "step_budget", "max_steps": 8},
    ],
    step_limit=15,
    oracle="medagentbench.average-in-window",
)


@oracle("medagentbench.average-in-window")
def average_in_window(instance):
    rows = yield from _in_window(instance, GLUCOSE)
    mean = sum(value for _, value in rows) / len(rows) if rows else -1
    yield {"type": "answer", "answer": f"{mean:.1f}" if rows else "-1"}


LATEST_GLUCOSE = template(
    task_id="ehr/endocrinology.latest-glucose-v1",
    title="Most recent glucose",
    tier="skill",
    domain="endocrinology",
    description="MedAgentBench category 7: the most recent blood glucose value (either glucose code; a draw filed "
                "under both is one), read from the episode's chart at reset.",
    instruction="What is the most recent glucose value (serum or blood) of {patient_name} (MRN {mrn})? If two "
                "results were filed at that same moment, either counts. Answer with the value in mg/dL.",
    patient_selector={"has_observation": {"loincs": GLUCOSE, "numeric": True}},
    variants=[{}],
    facts={"result": {"fact": "latest_observation", "loincs": GLUCOSE}},
    rubric=[
        answered_from("results", {"kind": "answer_matches", "label": "The newest glucose value",
                                  "expected": "{result_values}", "match": "number"}),
        {"kind": "step_budget", "max_steps": 8},
    ],
    step_limit=15,
    oracle="medagentbench.latest-glucose",
)


@oracle("medagentbench.latest-glucose")
def latest_glucose(instance):
    newest = yield from newest_numeric_of(instance.patient_mrn, GLUCOSE)
    yield {"type": "answer", "answer": f"{newest['value']} mg/dL"}


# 8 -----------------------------------------------------------------------------------------

ORTHO_REFERRAL_TASK = template(
    task_id="ehr/navigation-and-chart-review.orthopedic-referral-v1",
    title="Refer to orthopedic surgery",
    tier="skill",
    domain="navigation-and-chart-review",
    description="MedAgentBench category 8 (referral order): order and sign the orthopedic referral (SNOMED CT "
                "183545006) with the reason the instruction gives as the consult question. Other orders fail "
                "the task.",
    instruction="{patient_name} (MRN {mrn}) needs an orthopedic surgery consult. Order the referral and sign it, "
                "with this reason for the consultant: \"{reason}\"",
    patient_selector={"age_min": 18},
    variants=[
        {"reason": "Right knee pain for 6 months with MRI showing a complex medial meniscus tear; please evaluate "
                   "for arthroscopic repair."},
        {"reason": "Left hip osteoarthritis with pain limiting walking despite physical therapy; please evaluate "
                   "for total hip arthroplasty."},
        {"reason": "Chronic right shoulder pain with weakness on abduction, suspected rotator cuff tear; please "
                   "evaluate and advise on management."},
    ],
    rubric=[
        signed_order("Orthopedic referral (routine) ordered and signed", ORTHO_REFERRAL, order_type="consult"),
        {"kind": "no_extra_orders", "label": "Nothing ordered besides the referral"},
        *closing_criteria(8),
    ],
    step_limit=15,
    oracle="medagentbench.orthopedic-referral",
)


@oracle("medagentbench.orthopedic-referral")
def orthopedic_referral(instance):
    mrn = instance.patient_mrn
    placed = yield {"type": "place_order", "mrn": mrn, "orderable": ORTHO_REFERRAL, "priority": "routine",
                    "consult_question": instance.params["reason"]}
    yield from sign_answering_alerts(mrn, [placed_order_id(placed)], override_reason=OVERRIDE_REASON)
    yield {"type": "finish", "message": "Orthopedic referral signed."}


@browser_oracle("medagentbench.orthopedic-referral")
def orthopedic_referral_in_browser(instance):
    yield from browser.open_section(instance.patient_mrn, "orders")
    yield from browser.place_order("orthopedic referral", "183545006", {"consult_question": instance.params["reason"]})
    yield from browser.sign_orders("Referral is indicated.")
    yield {"type": "finish", "message": "Orthopedic referral signed."}


# 9 -----------------------------------------------------------------------------------------

def _k_variants():
    # A branch without an order still names a dose (the order criterion is switched off).
    variants = [{"nth": nth, "value_min": 3.5, "value_below": None, "branch": "not low", "dose": 10,
                 "recheck_weight": 0, **_branch(order=False)} for nth in range(3)]
    # Low branch: MedAgentBench's 10 mEq per 0.1 mmol/L below 3.5 (results carry one decimal).
    for tenths in range(1, 5):
        variants.append({"nth": 0, "value_min": round(3.5 - 0.1 * tenths - 0.05, 2),
                         "value_below": round(3.5 - 0.1 * tenths + 0.05, 2), "branch": f"low, {10 * tenths} mEq",
                         "dose": 10 * tenths, "recheck_weight": 1, **_branch(order=True)})
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
                                  "expected": "{reading}", "match": "number"}),
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
    rows = yield from _in_window(instance, POTASSIUM)
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


# 10 ----------------------------------------------------------------------------------------

HBA1C_CHECK = template(
    task_id="ehr/endocrinology.hba1c-check-reorder-v1",
    title="Latest HbA1c, reordered if over a year old",
    tier="objective",
    domain="endocrinology",
    description="MedAgentBench category 10: report the latest hemoglobin A1c and its date; if that result is "
                "more than a year old (today), also order and sign a new HbA1c. The branch is a variant "
                "(selector latest_result_age): overdue patients must get the order, current ones must not.",
    instruction="What is the last hemoglobin A1c of {patient_name} (MRN {mrn}) and when was it recorded? If the "
                "result is more than 1 year old, order and sign a new HbA1c. Answer with the value and its date "
                "(YYYY-MM-DD, in the EHR's local time).",
    patient_selector={"latest_result_age": {"loincs": HBA1C, "min_days": "{min_days}", "max_days": "{max_days}"}},
    variants=[
        {"min_days": 366, "max_days": None, "branch": "overdue", **_branch(order=True)},
        {"min_days": None, "max_days": 364, "branch": "current", **_branch(order=False)},
    ],
    facts={"a1c": {"fact": "latest_observation", "loincs": HBA1C}},
    rubric=[
        answered_from("results",
                      {"kind": "answer_matches", "label": "The latest HbA1c value", "expected": "{a1c_values}",
                       "match": "number"},
                      {"kind": "answer_matches", "label": "The date of that result", "expected": "{a1c_date}",
                       "match": "date"},
                      label="The latest HbA1c and its date, read from the chart"),
        {"kind": "order_placed", "id": "a1c-ordered", "weight": "{order_weight}", "required": "{order_required}",
         "label": "New HbA1c ordered (routine) and signed (applies when over a year old; branch: {branch})",
         "code": "4548-4", "order_type": "lab", "priority": "routine", "status": "signed"},
        {"kind": "order_absent", "id": "a1c-not-ordered", "severity": "{absent_severity}",
         "required": "{absent_required}", "include_pended": True, "code": "4548-4",
         "label": "No HbA1c reordered within a year of the last (branch: {branch})"},
        {"kind": "no_extra_orders", "label": "Nothing ordered besides the HbA1c"},
        *closing_criteria(10),
    ],
    step_limit=20,
    oracle="medagentbench.hba1c-check-reorder",
)


@oracle("medagentbench.hba1c-check-reorder")
def hba1c_check_reorder(instance):
    from django.utils import timezone

    mrn = instance.patient_mrn
    observation = yield {"type": "get_observations", "mrn": mrn, "loinc": "4548-4", "limit": 1}
    row = observation["last_action_result"]["observations"][0]
    at = datetime.fromisoformat(row["effective_at"])
    if at < timezone.now() - timedelta(days=365):
        placed = yield {"type": "place_order", "mrn": mrn, "orderable": "4548-4", "priority": "routine"}
        yield from sign_answering_alerts(mrn, [placed_order_id(placed)], override_reason=OVERRIDE_REASON)
    day = timezone.localtime(at).date().isoformat()
    yield {"type": "answer", "answer": f"{row['value']}% on {day}"}
