"""Preventive care: immunization history and cardiovascular risk screening."""

from datetime import datetime

from django.utils import timezone

from harness.library import template
from harness.oracles import oracle

# CVX codes by kind of vaccine (the population holds the first of each list; the others are real CVX codes
# of the same vaccine family, so a chart from elsewhere is read the same way).
INFLUENZA = ["140", "141", "150", "158", "161", "88", "135"]
TETANUS_BOOSTER = ["113", "115", "09", "139"]
HEPATITIS_B = ["08", "43", "44", "45"]
PNEUMOCOCCAL = ["133", "33", "152", "215", "216"]
HPV = ["62", "118", "165"]
LIPID_PANEL = "57698-3"


def _local_day(moment: str) -> str:
    return timezone.localtime(datetime.fromisoformat(moment)).date().isoformat()


def _doses(observation, cvxs):
    rows = observation["last_action_result"]["immunizations"]
    return sorted((r for r in rows if r["cvx"] in cvxs), key=lambda r: r["occurred_at"], reverse=True)


LAST_VACCINE_DATE = template(
    task_id="ehr/preventive-care.last-vaccine-date-v1",
    title="Date of the most recent dose of a vaccine",
    tier="skill",
    domain="preventive-care",
    description="Retrieval from the Immunizations tab: the date of the newest dose of one kind of vaccine "
                "(any CVX code of the family counts). The expected date is read from the chart at reset.",
    instruction="Before today's visit, check the immunization history of {patient_name} (MRN {mrn}): when did they "
                "last receive a {vaccine} vaccine? Answer with the date (YYYY-MM-DD).",
    patient_selector={"has_immunization_cvx": "{cvxs}"},
    variants=[
        {"vaccine": "seasonal influenza", "cvxs": INFLUENZA},
        {"vaccine": "tetanus-containing booster (Td or Tdap)", "cvxs": TETANUS_BOOSTER},
        {"vaccine": "hepatitis B", "cvxs": HEPATITIS_B},
        {"vaccine": "pneumococcal", "cvxs": PNEUMOCOCCAL},
    ],
    facts={"last_dose": {"fact": "latest_immunization", "cvxs": "{cvxs}"}},
    rubric=[
        {"kind": "answer_matches", "label": "The date of the newest {vaccine} dose", "expected": "{last_dose}",
         "match": "date"},
        {"kind": "step_budget", "max_steps": 8},
    ],
    step_limit=15,
    oracle="preventive-care.last-vaccine-date",
)


@oracle("preventive-care.last-vaccine-date")
def last_vaccine_date(instance):
    observation = yield {"type": "read_chart_section", "mrn": instance.patient_mrn, "section": "immunizations",
                         "limit": 200}
    newest = _doses(observation, instance.params["cvxs"])[0]
    yield {"type": "answer", "answer": _local_day(newest["occurred_at"])}


VACCINE_DOSE_COUNT = template(
    task_id="ehr/preventive-care.vaccine-dose-count-v1",
    title="How many doses of a vaccine are on record",
    tier="skill",
    domain="preventive-care",
    description="Retrieval and counting on the Immunizations tab: how many doses of one kind of vaccine are "
                "recorded (any CVX code of the family counts). The expected count is read from the chart at reset.",
    instruction="{patient_name} (MRN {mrn}) asks whether their {vaccine} series is complete. How many {vaccine} "
                "doses are recorded in their immunization history? Answer with a number.",
    patient_selector={"has_immunization_cvx": "{cvxs}"},
    variants=[
        {"vaccine": "seasonal influenza", "cvxs": INFLUENZA},
        {"vaccine": "hepatitis B", "cvxs": HEPATITIS_B},
        {"vaccine": "HPV", "cvxs": HPV},
        {"vaccine": "tetanus-containing booster (Td or Tdap)", "cvxs": TETANUS_BOOSTER},
    ],
    facts={"doses": {"fact": "latest_immunization", "cvxs": "{cvxs}"}},
    rubric=[
        {"kind": "answer_matches", "label": "The number of {vaccine} doses on record", "expected": "{doses_count}",
         "match": "number"},
        {"kind": "step_budget", "max_steps": 8},
    ],
    step_limit=15,
    oracle="preventive-care.vaccine-dose-count",
)


@oracle("preventive-care.vaccine-dose-count")
def vaccine_dose_count(instance):
    observation = yield {"type": "read_chart_section", "mrn": instance.patient_mrn, "section": "immunizations",
                         "limit": 200}
    yield {"type": "answer", "answer": str(len(_doses(observation, instance.params["cvxs"])))}


LIPID_SCREENING = template(
    task_id="ehr/preventive-care.lipid-screening-order-v1",
    title="Order lipid screening for cardiovascular risk assessment",
    tier="objective",
    domain="preventive-care",
    description="Order entry toward a preventive goal: a routine lipid panel (LOINC 57698-3) for an adult aged "
                "40-75 with a cardiovascular risk factor, signed, and nothing else ordered.",
    instruction="{patient_name} (MRN {mrn}), {age} years old with {risk_factor}, is due for cardiovascular risk "
                "assessment before a decision about statin therapy. Order and sign a routine lipid panel; do not "
                "start any medication today.",
    patient_selector={"age_min": 40, "age_max": 75, "has_condition_codes": "{codes}"},
    variants=[
        {"risk_factor": "essential hypertension", "codes": ["59621000"]},
        {"risk_factor": "prediabetes", "codes": ["714628002"]},
        {"risk_factor": "obesity (BMI 30+)", "codes": ["162864005"]},
        {"risk_factor": "metabolic syndrome", "codes": ["237602007"]},
        {"risk_factor": "chronic kidney disease", "codes": ["431855005", "431856006", "433144002", "431857002"]},
    ],
    rubric=[
        {"kind": "order_placed", "weight": 3, "label": "Lipid panel ordered and signed", "code": LIPID_PANEL,
         "order_type": "lab", "status": "signed"},
        {"kind": "order_absent", "label": "No statin started before the results", "drug_class": ["statin"],
         "severity": "critical"},
        {"kind": "no_extra_orders", "label": "Nothing ordered beyond the lipid panel", "allow_codes": [LIPID_PANEL]},
        {"kind": "other_patients_untouched"},
        {"kind": "step_budget", "max_steps": 8},
    ],
    step_limit=15,
    oracle="preventive-care.lipid-screening-order",
)


def _sign(mrn, order_ids):
    """Sign, answering decision support: acknowledge warnings, override high alerts with a reason."""
    signed = yield {"type": "sign_orders", "mrn": mrn, "order_ids": order_ids}
    alerts = signed["last_action_result"]["blocked_by_alerts"]
    for alert in alerts:
        if alert["severity"] == "high":
            yield {"type": "override_alert", "mrn": mrn, "alert_id": alert["id"],
                   "reason": "Indicated for this presentation; benefit outweighs the flagged risk."}
        else:
            yield {"type": "acknowledge_alert", "mrn": mrn, "alert_id": alert["id"]}
    if alerts:
        yield {"type": "sign_orders", "mrn": mrn, "order_ids": order_ids}


@oracle("preventive-care.lipid-screening-order")
def lipid_screening_order(instance):
    mrn = instance.patient_mrn
    placed = yield {"type": "place_order", "mrn": mrn, "orderable": LIPID_PANEL, "priority": "routine",
                    "indication": "Cardiovascular risk assessment"}
    yield from _sign(mrn, [placed["last_action_result"]["order"]["id"]])
    yield {"type": "finish", "message": "Lipid panel ordered."}


PREVENTIVE_VISIT = template(
    task_id="ehr/preventive-care.annual-preventive-visit-v1",
    title="Annual preventive visit: vitals, influenza vaccine history, lipid screening",
    tier="workflow",
    domain="preventive-care",
    description="A wellness visit in linked steps: record today's vitals, read the immunization history and report "
                "the date of the last influenza vaccine (counted only if the Immunizations tab was opened: a gate), "
                "then order the due lipid panel, and nothing else.",
    instruction="{patient_name} (MRN {mrn}) is here for an annual preventive visit. Record today's vitals (blood "
                "pressure {sbp}/{dbp} mmHg, heart rate {hr}/min, weight {weight} kg), order and sign a routine "
                "lipid panel for cardiovascular risk screening, and check the immunization history: answer with the "
                "date of their most recent seasonal influenza vaccine (YYYY-MM-DD) so we can decide whether it is "
                "due this season.",
    patient_selector={"age_min": 40, "age_max": 75, "has_immunization_cvx": INFLUENZA},
    variants=[
        {"sbp": 132, "dbp": 84, "hr": 76, "weight": 82.5},
        {"sbp": 118, "dbp": 72, "hr": 64, "weight": 68.0},
        {"sbp": 146, "dbp": 92, "hr": 88, "weight": 97.3},
    ],
    facts={"last_flu": {"fact": "latest_immunization", "cvxs": INFLUENZA}},
    rubric=[
        {"kind": "vitals_recorded", "weight": 2, "label": "Visit vitals recorded",
         "values": {"bp_systolic": "{sbp}", "bp_diastolic": "{dbp}", "heart_rate": "{hr}", "weight": "{weight}"}},
        {"kind": "order_placed", "weight": 2, "label": "Lipid panel ordered and signed", "code": LIPID_PANEL,
         "order_type": "lab", "status": "signed"},
        {"kind": "gate", "weight": 2, "label": "Last influenza vaccine read from the immunization history",
         "criteria": [
             {"kind": "section_visited", "section": "immunizations"},
             {"kind": "answer_matches", "expected": "{last_flu}", "match": "date"},
         ]},
        {"kind": "no_extra_orders", "label": "Nothing ordered beyond the lipid panel", "allow_codes": [LIPID_PANEL]},
        {"kind": "other_patients_untouched"},
        {"kind": "step_budget", "max_steps": 12},
    ],
    step_limit=25,
    oracle="preventive-care.annual-preventive-visit",
)


@oracle("preventive-care.annual-preventive-visit")
def annual_preventive_visit(instance):
    p, mrn = instance.params, instance.patient_mrn
    yield {"type": "record_vitals", "mrn": mrn, "values": {
        "bp_systolic": p["sbp"], "bp_diastolic": p["dbp"], "heart_rate": p["hr"], "weight": p["weight"]}}
    placed = yield {"type": "place_order", "mrn": mrn, "orderable": LIPID_PANEL, "priority": "routine",
                    "indication": "Cardiovascular risk screening"}
    yield from _sign(mrn, [placed["last_action_result"]["order"]["id"]])
    observation = yield {"type": "read_chart_section", "mrn": mrn, "section": "immunizations", "limit": 200}
    newest = _doses(observation, INFLUENZA)[0]
    yield {"type": "answer", "answer": _local_day(newest["occurred_at"])}
