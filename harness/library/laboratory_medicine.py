"""Laboratory medicine: finding and reading results."""

from datetime import datetime

from harness import browser_oracles as browser
from harness.browser_oracles import browser_oracle
from harness.library import template
from harness.library.builders import (
    chart_question,
    closing_criteria,
    no_order_of,
    signed_order,
    trend_call,
    trend_question,
)
from harness.oracles import newest_numeric_of, oracle, placed_order_id, sign_answering_alerts
from orders.models import Priority

LATEST_RESULT = template(
    task_id="ehr/laboratory-medicine.latest-result-v1",
    title="Most recent result of a lab test",
    tier="skill",
    domain="laboratory-medicine",
    description="Retrieval: find one analyte's newest result (some are filed under a serum and a blood LOINC "
                "code, and the instruction says so) and report it with its unit. The expected value is read from "
                "the episode's chart at reset; when two results were filed at the same moment, either counts.",
    instruction="What is the most recent {analyte} result for {patient_name} (MRN {mrn})? If two results were "
                "filed at that same moment, either counts. Answer with the value and its unit.",
    patient_selector={"has_observation": {"loincs": "{loincs}", "numeric": True}},
    variants=[
        {"analyte": "potassium (serum or blood)", "loincs": ["2823-3", "6298-4"]},
        {"analyte": "sodium (serum or blood)", "loincs": ["2951-2", "2947-0"]},
        {"analyte": "creatinine (serum or blood)", "loincs": ["2160-0", "38483-4"]},
        {"analyte": "glucose (serum or blood)", "loincs": ["2345-7", "2339-0"]},
        {"analyte": "hemoglobin A1c", "loincs": ["4548-4"]},
        {"analyte": "hemoglobin", "loincs": ["718-7"]},
        {"analyte": "LDL cholesterol", "loincs": ["18262-6"]},
        {"analyte": "total cholesterol", "loincs": ["2093-3"]},
        {"analyte": "estimated GFR", "loincs": ["33914-3"]},
    ],
    facts={"result": {"fact": "latest_observation", "loincs": "{loincs}"}},
    rubric=[
        {"kind": "answer_matches", "label": "The newest {analyte} value, in {result_unit}",
         "expected": "{result_values}", "match": "number", "unit": "{result_unit}", "loinc": "{loincs}"},
        {"kind": "step_budget", "max_steps": 12},
    ],
    step_limit=20,
    oracle="laboratory-medicine.latest-result",
)


@oracle("laboratory-medicine.latest-result")
def latest_result(instance):
    """Query each LOINC code of the analyte and answer with the newest numeric result."""
    row = yield from newest_numeric_of(instance.patient_mrn, instance.params["loincs"])
    yield {"type": "answer", "answer": f"{row['value']} {row['unit']}"}


@browser_oracle("laboratory-medicine.latest-result")
def latest_result_in_browser(instance):
    """Read the newest value of the analyte (any of its codes) off Results Review."""
    results = yield from browser.open_section(instance.patient_mrn, "results")
    value, unit, _ = browser.latest_result(results, instance.params["loincs"])
    yield {"type": "answer", "answer": f"{value} {unit}"}


# --- Trends, earlier results, abnormal renal function -------------------------------------


def _numeric_rows(observation):
    rows = observation["last_action_result"]["observations"]
    return [(datetime.fromisoformat(r["effective_at"]), r["value"]) for r in rows
            if isinstance(r["value"], int | float)]


def _latest_and_previous(instance):
    """Generator: (latest value, previous draw's value) over every LOINC code of the analyte."""
    rows = []
    for loinc in instance.params["loincs"]:
        observation = yield {"type": "get_observations", "mrn": instance.patient_mrn, "loinc": loinc, "limit": 20}
        rows += _numeric_rows(observation)
    rows.sort(key=lambda row: row[0], reverse=True)
    latest_at, latest = rows[0]
    previous = next(value for at, value in rows if at < latest_at)
    return latest, previous


LAB_TREND = trend_question(
    "{analyte}",
    better="{better}",
    task_id="ehr/laboratory-medicine.result-trend-v1",
    title="Is a lab result improving or worsening?",
    domain="laboratory-medicine",
    description="Interpretation: compare the two most recent draws of an analyte (the same draw filed under two "
                "codes is one draw) and call the trend by the stated direction and stability threshold. The expected "
                "value and call are computed from the chart at reset; the answer gives the latest value with the "
                "call (a three-way call alone would be a third solved by a constant answer).",
    instruction="Compare the two most recent {analyte} results of {patient_name} (MRN {mrn}). For this patient "
                "{better} is better, and a change of {stable_within} {unit_text} or less counts as stable. Is it "
                "improving, worsening or stable? Answer with the most recent value and one word, for example "
                "\"13.2, stable\".",
    patient_selector={"has_observation": {"loincs": "{loincs}", "min_count": 2, "numeric": True}},
    variants=[
        {"analyte": "hemoglobin", "loincs": ["718-7"], "better": "higher",
         "stable_within": 0.5, "unit_text": "g/dL"},
        {"analyte": "HDL cholesterol", "loincs": ["2085-9"], "better": "higher",
         "stable_within": 2, "unit_text": "mg/dL"},
        {"analyte": "triglyceride", "loincs": ["2571-8"], "better": "lower",
         "stable_within": 10, "unit_text": "mg/dL"},
        {"analyte": "LDL cholesterol", "loincs": ["18262-6"], "better": "lower",
         "stable_within": 5, "unit_text": "mg/dL"},
        {"analyte": "total cholesterol", "loincs": ["2093-3"], "better": "lower",
         "stable_within": 5, "unit_text": "mg/dL"},
    ],
    oracle="laboratory-medicine.result-trend",
)


@oracle("laboratory-medicine.result-trend")
def result_trend(instance):
    p = instance.params
    latest, previous = yield from _latest_and_previous(instance)
    call = trend_call(latest, previous, better=p["better"], stable_within=p["stable_within"])
    yield {"type": "answer", "answer": f"{latest}, {call}"}


PREVIOUS_RESULT = chart_question(
    task_id="ehr/laboratory-medicine.previous-result-v1",
    title="The result before the most recent one",
    domain="laboratory-medicine",
    description="Retrieval from a result's history: the value of the draw before the newest one (the same draw "
                "filed under two codes is one draw), read from the chart at reset.",
    instruction="To see how {patient_name}'s (MRN {mrn}) {analyte} has changed, find the result from the draw "
                "before their most recent one. Answer with that earlier value and its unit (if that draw was filed "
                "twice, either value counts).",
    patient_selector={"has_observation": {"loincs": "{loincs}", "min_count": 2, "numeric": True}},
    variants=[
        {"analyte": "potassium (serum or blood)", "loincs": ["2823-3", "6298-4"]},
        {"analyte": "sodium (serum or blood)", "loincs": ["2951-2", "2947-0"]},
        {"analyte": "creatinine (serum or blood)", "loincs": ["2160-0", "38483-4"]},
        {"analyte": "hemoglobin A1c", "loincs": ["4548-4"]},
        {"analyte": "LDL cholesterol", "loincs": ["18262-6"]},
        {"analyte": "hemoglobin", "loincs": ["718-7"]},
    ],
    facts={"earlier": {"fact": "previous_observation", "loincs": "{loincs}"}},
    section="results",
    answers=[{"kind": "answer_matches", "label": "The {analyte} of the earlier draw",
              "expected": "{earlier_values}", "match": "number", "unit": "{earlier_unit}", "loinc": "{loincs}"}],
    max_steps=10,
    step_limit=20,
    oracle="laboratory-medicine.previous-result",
)


@oracle("laboratory-medicine.previous-result")
def previous_result(instance):
    rows, unit = [], ""
    for loinc in instance.params["loincs"]:
        observation = yield {"type": "get_observations", "mrn": instance.patient_mrn, "loinc": loinc, "limit": 20}
        for r in observation["last_action_result"]["observations"]:
            if isinstance(r["value"], int | float):
                rows.append((datetime.fromisoformat(r["effective_at"]), r["value"], r["unit"]))
    rows.sort(key=lambda row: row[0], reverse=True)
    latest_at = rows[0][0]
    _, value, unit = next(row for row in rows if row[0] < latest_at)
    yield {"type": "answer", "answer": f"{round(value, 2)} {unit}"}


CREATININE_CODES = ["2160-0", "38483-4"]
BMP = "24321-2"

ELEVATED_CREATININE = template(
    task_id="ehr/laboratory-medicine.elevated-creatinine-follow-up-v1",
    title="Follow up an elevated creatinine",
    tier="objective",
    domain="laboratory-medicine",
    description="Result follow-up toward a clinical goal: for a patient whose latest creatinine (serum or blood) "
                "is above the lab's own reference range (flagged H: over 1.35 mg/dL for men, 1.04 for women), "
                "order a repeat basic metabolic panel with the stated priority. Ordering an NSAID (nephrotoxic) "
                "is a critical violation; other orders cost a penalty. Patients whose latest creatinine draw "
                "holds two different values (filed under both codes) are not asked.",
    instruction="{patient_name}'s (MRN {mrn}) most recent creatinine is above the reference range. {context} Order "
                "and sign a repeat basic metabolic panel ({priority}) to recheck renal function and potassium, and "
                "avoid nephrotoxic medicines; their pain can be managed another way.",
    patient_selector={"age_min": 18,
                      "has_observation": {"loincs": CREATININE_CODES, "numeric": True, "latest_flags": ["H", "HH"]},
                      "observation_draw": {"loincs": CREATININE_CODES, "nth": 0, "single_value": True}},
    variants=[
        {"context": "They report less urine than usual and knee pain after a fall.", "priority": "urgent"},
        {"context": "They feel well and are asking for something for back pain.", "priority": "routine"},
        {"context": "They have been vomiting for a day and have a headache.", "priority": "stat"},
    ],
    facts={"creatinine": {"fact": "latest_observation", "loincs": CREATININE_CODES}},
    rubric=[
        signed_order("Repeat BMP, {priority}, signed", BMP, weight=3, priority="{priority}"),
        no_order_of("No NSAID with impaired renal function", ["nsaid"]),
        {"kind": "no_extra_orders", "label": "Nothing ordered beyond the BMP", "allow_codes": [BMP]},
        *closing_criteria(8),
    ],
    step_limit=15,
    oracle="laboratory-medicine.elevated-creatinine-follow-up",
)


@oracle("laboratory-medicine.elevated-creatinine-follow-up")
def elevated_creatinine_follow_up(instance):
    mrn = instance.patient_mrn
    placed = yield {"type": "place_order", "mrn": mrn, "orderable": BMP, "priority": instance.params["priority"],
                    "indication": "Elevated creatinine: recheck renal function"}
    yield from sign_answering_alerts(mrn, [placed_order_id(placed)])  # warnings only: nothing to override
    yield {"type": "finish", "message": "Repeat BMP ordered."}


@browser_oracle("laboratory-medicine.elevated-creatinine-follow-up")
def elevated_creatinine_follow_up_in_browser(instance):
    yield from browser.open_section(instance.patient_mrn, "orders")
    priority = Priority(instance.params["priority"]).label  # as the composer's drop-down shows it
    yield from browser.place_order("basic metabolic panel", "24321-2", {"priority": priority})
    yield from browser.sign_orders("Renal function recheck is indicated.")
    yield {"type": "finish", "message": "Repeat BMP ordered."}
