"""The ten MedAgentBench task categories (Jiang et al., NEJM AI 2025), on EHRGym's charts.

Each template names its category ("MedAgentBench category N") so results can be set beside the
published ones. MedAgentBench fixes one clock for its whole data set; Synthea's charts here are
months old, so the time-window tasks (4, 5, 6, 9) state their own clock per instance ("It is now
..."): a reference time some hours after a real draw (the result is in the window) or more than a
day after it (none is, and the answer is -1, MedAgentBench's convention). The expected answers are
read from the episode's chart at reset (fact observation_as_of); the conditional order tasks split
their branches into variants (selector observation_draw), each with the rubric that fits it. The
electrolyte replacements (categories 5 and 9) are in harness.library.electrolyte_replacement.
"""

from datetime import datetime, timedelta

from harness import browser_oracles as browser
from harness.browser_oracles import browser_oracle
from harness.library import answered_from, template
from harness.library.builders import (
    chart_question,
    closing_criteria,
    order_branch,
    record_vitals,
    signed_order,
    vitals_recorded,
)
from harness.oracles import draws_in_window, newest_numeric_of, oracle, placed_order_id, sign_answering_alerts

MAGNESIUM = ["19123-9"]
GLUCOSE = ["2345-7", "2339-0"]
HBA1C = ["4548-4"]
ORTHO_REFERRAL = "183545006"  # SNOMED CT Referral to orthopedic service


OVERRIDE_REASON = "Replacement per the electrolyte protocol; benefit outweighs the risk."
# The clock a time-window task states (fact observation_as_of's reading_now, in the EHR's time zone).
CLOCK = "It is now {reading_now} in the EHR's local time ({reading_utc_offset}). "


def window_question(*, loincs: list[str], answer: dict, **fields):
    """A question on a test's draws in the 24 h before the instance's stated clock (the `reading` fact); the
    variants give the draw that sets the clock (`nth`), the hours after it and how many draws that needs."""
    return chart_question(
        patient_selector={"has_observation": {"loincs": loincs, "min_count": "{min_count}", "numeric": True}},
        facts={"reading": {"fact": "observation_as_of", "loincs": loincs, "nth": "{nth}",
                           "offset_hours": "{offset_hours}"}},
        section="results", answers=[answer], max_steps=8, step_limit=15, **fields)


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

MAGNESIUM_24H = window_question(
    task_id="ehr/laboratory-medicine.magnesium-last-24h-v1",
    title="Latest magnesium within the last 24 hours",
    domain="laboratory-medicine",
    description="MedAgentBench category 4: the most recent serum magnesium within 24 hours of a stated clock, "
                "or -1 when none was drawn in that window. The clock is a real draw plus 3 or 9 hours (a value "
                "is in the window) or plus 30 or 50 hours (usually none is); later results in the chart are "
                "after the clock and do not count.",
    instruction=CLOCK + "What is the most recent serum magnesium of {patient_name} (MRN {mrn}) within the last "
                        "24 hours, in mg/dL? If none was measured in those 24 hours, answer -1.",
    loincs=MAGNESIUM,
    variants=[{**c, "min_count": c["nth"] + 1} for c in MG_CLOCKS],
    answer={"kind": "answer_matches", "label": "Latest magnesium in the 24 h before {reading_now} (or -1)",
            "expected": "{reading}", "match": "number", "tolerance": 0.05},
    oracle="medagentbench.latest-in-window",
)


@oracle("medagentbench.latest-in-window")
def latest_in_window(instance):
    rows = yield from draws_in_window(instance, instance.params.get("loincs", MAGNESIUM))
    yield {"type": "answer", "answer": f"{rows[0][1]:.2f}" if rows else "-1"}


# 6 and 7 -----------------------------------------------------------------------------------

GLUCOSE_AVERAGE = window_question(
    task_id="ehr/endocrinology.average-glucose-24h-v1",
    title="Average glucose over the last 24 hours",
    domain="endocrinology",
    description="MedAgentBench category 6: the mean of the glucose results in the 24 h before a stated clock "
                "(a draw filed under two codes counts once), or -1 when none falls in the window. The clock is a "
                "real draw plus 6 hours (in the window) or plus 36 hours (usually none).",
    instruction=CLOCK + "What is the average glucose (serum or blood) of {patient_name} (MRN {mrn}) over the last "
                        "24 hours, in mg/dL? If none was measured in that time, answer -1.",
    loincs=GLUCOSE,
    variants=[{"nth": n, "offset_hours": h, "min_count": n + 1} for n in range(2) for h in (6, 36)],
    answer={"kind": "answer_matches", "label": "Mean glucose in the 24 h before {reading_now} (or -1)",
            "expected": "{reading_mean}", "match": "number", "tolerance": 0.5},
    oracle="medagentbench.average-in-window",
)


@oracle("medagentbench.average-in-window")
def average_in_window(instance):
    rows = yield from draws_in_window(instance, GLUCOSE)
    mean = sum(value for _, value in rows) / len(rows) if rows else -1
    yield {"type": "answer", "answer": f"{mean:.1f}" if rows else "-1"}


LATEST_GLUCOSE = chart_question(
    task_id="ehr/endocrinology.latest-glucose-v1",
    title="Most recent glucose",
    domain="endocrinology",
    description="MedAgentBench category 7: the most recent blood glucose value (either glucose code; a draw filed "
                "under both is one), read from the episode's chart at reset.",
    instruction="What is the most recent glucose value (serum or blood) of {patient_name} (MRN {mrn})? If two "
                "results were filed at that same moment, either counts. Answer with the value in mg/dL.",
    patient_selector={"has_observation": {"loincs": GLUCOSE, "numeric": True}},
    variants=[{}],
    facts={"result": {"fact": "latest_observation", "loincs": GLUCOSE}},
    section="results",
    answers=[{"kind": "answer_matches", "label": "The newest glucose value",
              "expected": "{result_values}", "match": "number", "loinc": GLUCOSE}],
    max_steps=8,
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
        {"min_days": 366, "max_days": None, "branch": "overdue", **order_branch(order=True)},
        {"min_days": None, "max_days": 364, "branch": "current", **order_branch(order=False)},
    ],
    facts={"a1c": {"fact": "latest_observation", "loincs": HBA1C}},
    rubric=[
        answered_from("results",
                      {"kind": "answer_matches", "label": "The latest HbA1c value", "expected": "{a1c_values}",
                       "match": "number", "loinc": HBA1C},
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
