"""Endocrinology: glycemic control read from the chart."""

from datetime import datetime

from harness.library.builders import chart_question, trend_call, trend_question
from harness.oracles import oracle

GLYCEMIC_TREND = trend_question(
    "{test}",
    better="lower",
    task_id="ehr/endocrinology.glycemic-control-trend-v1",
    title="Is glycemic control improving?",
    domain="endocrinology",
    description="Interpretation: compare the two most recent draws of a glycemic marker (lower is better) and "
                "call the trend by the stated rule. The expected value and call are computed from the episode's "
                "chart at reset; the same draw filed under two codes is one draw (either value counts). The answer "
                "gives the latest value with the call: a three-way call alone would be a third solved by a constant.",
    instruction="Compare the two most recent {test} results of {patient_name} (MRN {mrn}). Is their glycemic "
                "control improving, worsening or stable (a change of {stable_within} {unit_text} or less counts "
                "as stable)? Answer with the most recent value and one word, for example \"7.2, improving\".",
    patient_selector={"age_min": 18, "has_observation": {"loincs": "{loincs}", "min_count": 2, "numeric": True}},
    variants=[
        {"test": "hemoglobin A1c", "loincs": ["4548-4"], "stable_within": 0.1, "unit_text": "percentage points"},
        {"test": "glucose (serum or blood)", "loincs": ["2345-7", "2339-0"], "stable_within": 5, "unit_text": "mg/dL"},
    ],
    oracle="endocrinology.glycemic-control-trend",
)


@oracle("endocrinology.glycemic-control-trend")
def glycemic_trend(instance):
    """Read each code's results, take the newest draw and the draw before it, apply the rule."""
    rows = []
    for loinc in instance.params["loincs"]:
        observation = yield {"type": "get_observations", "mrn": instance.patient_mrn, "loinc": loinc, "limit": 10}
        rows += [(datetime.fromisoformat(r["effective_at"]), r["value"])
                 for r in observation["last_action_result"]["observations"] if isinstance(r["value"], int | float)]
    rows.sort(reverse=True)
    latest_at, latest = rows[0]
    previous = next(value for at, value in rows if at < latest_at)
    call = trend_call(latest, previous, better="lower", stable_within=instance.params["stable_within"])
    yield {"type": "answer", "answer": f"{latest}, {call}"}


# --- The diagnostic category of an A1c -----------------------------------------------------------

A1C_CATEGORIES = [[6.5, "diabetes range"], [5.7, "prediabetes range"], [0, "normal"]]

A1C_CATEGORY = chart_question(
    task_id="ehr/endocrinology.a1c-diagnostic-category-v1",
    title="Diagnostic category of the latest hemoglobin A1c",
    tier="objective",
    domain="endocrinology",
    description="Interpretation: classify the newest hemoglobin A1c by the ADA cut-offs (< 5.7% normal, "
                "5.7-6.4% prediabetes range, >= 6.5% diabetes range; ADA Standards of Care 2025, section 2). The "
                "expected value and category are computed from the episode's chart at reset; the answer gives both "
                "(a three-way category alone would be a third solved by a constant answer).",
    instruction="{patient_name} (MRN {mrn}) {context}. What is their most recent hemoglobin A1c, and by the ADA "
                "criteria which range does it fall in: normal, prediabetes range or diabetes range? Answer with the "
                "value and the range, for example \"6.1%, prediabetes range\".",
    patient_selector={"age_min": 18, "has_observation": {"loincs": ["4548-4"], "numeric": True}},
    variants=[
        {"context": "asks at a wellness visit whether they have diabetes"},
        {"context": "is being screened before starting a medication that can raise glucose"},
    ],
    facts={"category": {"fact": "observation_band", "loincs": ["4548-4"], "bands": A1C_CATEGORIES}},
    section="results",
    answers=[{"kind": "answer_matches", "label": "The latest A1c value ({category_value}{category_unit})",
              "expected": "{category_value}", "match": "number", "unit": "%", "loinc": "4548-4"},
             {"kind": "answer_matches", "weight": 2, "label": "ADA range of that A1c",
              "expected": "{category}", "choices": ["normal", "prediabetes range", "diabetes range"]}],
    label="The latest A1c and its ADA range, read from the chart",
    max_steps=8,
    step_limit=15,
    oracle="endocrinology.a1c-diagnostic-category",
)


@oracle("endocrinology.a1c-diagnostic-category")
def a1c_diagnostic_category(instance):
    observation = yield {"type": "get_observations", "mrn": instance.patient_mrn, "loinc": "4548-4", "limit": 5}
    rows = [r for r in observation["last_action_result"]["observations"] if isinstance(r["value"], int | float)]
    value = max(rows, key=lambda r: r["effective_at"])["value"]
    category = next(label for bound, label in A1C_CATEGORIES if value >= bound)
    yield {"type": "answer", "answer": f"{value}%, {category}"}
