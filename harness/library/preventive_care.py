"""Preventive care: immunization history, vaccines given, and cardiovascular risk screening."""

from datetime import datetime

from django.utils import timezone

from harness.library import template
from harness.library.builders import (
    chart_question,
    closing_criteria,
    no_order_of,
    record_vitals,
    signed_order,
    vitals_recorded,
)
from harness.oracles import oracle, placed_order_id, sign_answering_alerts

# CVX codes by kind of vaccine (the population holds the first of each list; the others are real CVX codes
# of the same vaccine family, so a chart from elsewhere is read the same way).
INFLUENZA = ["140", "141", "150", "158", "161", "88", "135"]
TETANUS_BOOSTER = ["113", "115", "09", "139"]
HEPATITIS_B = ["08", "43", "44", "45"]
PNEUMOCOCCAL = ["133", "33", "152", "215", "216"]
HPV = ["62", "118", "165"]
VACCINES = {"seasonal influenza": INFLUENZA, "tetanus-containing booster (Td or Tdap)": TETANUS_BOOSTER,
            "hepatitis B": HEPATITIS_B, "pneumococcal": PNEUMOCOCCAL, "HPV": HPV}
LIPID_PANEL = "57698-3"
OVERRIDE_REASON = "Indicated for this presentation; benefit outweighs the flagged risk."


def _local_day(moment: str) -> str:
    return timezone.localtime(datetime.fromisoformat(moment)).date().isoformat()


def _doses(observation, cvxs):
    rows = observation["last_action_result"]["immunizations"]
    return sorted((r for r in rows if r["cvx"] in cvxs), key=lambda r: r["occurred_at"], reverse=True)


def immunization_question(*, vaccines: list[str], fact: str, answer: dict, **fields):
    """A question on the doses of one kind of vaccine (a variant per kind; any CVX code of its family counts),
    answered from the Immunizations tab; the `fact` (latest_immunization) is read from the chart at reset."""
    return chart_question(
        domain="preventive-care", patient_selector={"has_immunization_cvx": "{cvxs}"},
        variants=[{"vaccine": vaccine, "cvxs": VACCINES[vaccine]} for vaccine in vaccines],
        facts={fact: {"fact": "latest_immunization", "cvxs": "{cvxs}"}},
        section="immunizations", answers=[answer], max_steps=8, step_limit=15, **fields)


LAST_VACCINE_DATE = immunization_question(
    task_id="ehr/preventive-care.last-vaccine-date-v1",
    title="Date of the most recent dose of a vaccine",
    description="Retrieval from the Immunizations tab: the date of the newest dose of one kind of vaccine "
                "(any CVX code of the family counts). The expected date is read from the chart at reset.",
    instruction="Before today's visit, check the immunization history of {patient_name} (MRN {mrn}): when did they "
                "last receive a {vaccine} vaccine? Answer with the date (YYYY-MM-DD, in the EHR's local time).",
    vaccines=["seasonal influenza", "tetanus-containing booster (Td or Tdap)", "hepatitis B", "pneumococcal"],
    fact="last_dose",
    answer={"kind": "answer_matches", "label": "The date of the newest {vaccine} dose", "expected": "{last_dose}",
            "match": "date"},
    oracle="preventive-care.last-vaccine-date",
)


@oracle("preventive-care.last-vaccine-date")
def last_vaccine_date(instance):
    observation = yield {"type": "read_chart_section", "mrn": instance.patient_mrn, "section": "immunizations",
                         "limit": 200}
    newest = _doses(observation, instance.params["cvxs"])[0]
    yield {"type": "answer", "answer": _local_day(newest["occurred_at"])}


VACCINE_DOSE_COUNT = immunization_question(
    task_id="ehr/preventive-care.vaccine-dose-count-v1",
    title="How many doses of a vaccine are on record",
    description="Retrieval and counting on the Immunizations tab: how many doses of one kind of vaccine are "
                "recorded (any CVX code of the family counts). The expected count is read from the chart at reset.",
    instruction="{patient_name} (MRN {mrn}) asks whether their {vaccine} series is complete. How many {vaccine} "
                "doses are recorded in their immunization history? Answer with a number.",
    vaccines=["seasonal influenza", "hepatitis B", "HPV", "tetanus-containing booster (Td or Tdap)"],
    fact="doses",
    answer={"kind": "answer_matches", "label": "The number of {vaccine} doses on record",
            "expected": "{doses_count}", "match": "number"},
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
    description="Order entry toward a preventive goal (ACC/AHA 2018 cholesterol guideline, 2019 primary "
                "prevention guideline: a lipid panel for the risk assessment of adults 40-75): a routine lipid "
                "panel (LOINC 57698-3) for an adult aged 40-75 with a cardiovascular risk factor, signed, and "
                "nothing else ordered. Patients already taking a statin are not asked (the statin decision is "
                "made).",
    instruction="{patient_name} (MRN {mrn}), {age} years old with {risk_factor}, is due for cardiovascular risk "
                "assessment before a decision about statin therapy. Order and sign a routine lipid panel; do not "
                "start any medication today.",
    patient_selector={"age_min": 40, "age_max": 75, "has_condition_codes": "{codes}",
                      "lacks_medication_class": ["statin"]},
    variants=[
        {"risk_factor": "essential hypertension", "codes": ["59621000"]},
        {"risk_factor": "prediabetes", "codes": ["714628002"]},
        {"risk_factor": "obesity (BMI 30+)", "codes": ["162864005"]},
        {"risk_factor": "metabolic syndrome", "codes": ["237602007"]},
        {"risk_factor": "chronic kidney disease", "codes": ["431855005", "431856006", "433144002", "431857002"]},
    ],
    rubric=[
        signed_order("Lipid panel, routine, ordered and signed", LIPID_PANEL, order_type="lab", weight=3),
        no_order_of("No statin started before the results", ["statin"]),
        {"kind": "no_extra_orders", "label": "Nothing ordered beyond the lipid panel"},
        *closing_criteria(8),
    ],
    step_limit=15,
    oracle="preventive-care.lipid-screening-order",
)


@oracle("preventive-care.lipid-screening-order")
def lipid_screening_order(instance):
    mrn = instance.patient_mrn
    placed = yield {"type": "place_order", "mrn": mrn, "orderable": LIPID_PANEL, "priority": "routine",
                    "indication": "Cardiovascular risk assessment"}
    yield from sign_answering_alerts(mrn, [placed_order_id(placed)], override_reason=OVERRIDE_REASON)
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
                "date of their most recent seasonal influenza vaccine (YYYY-MM-DD, in the EHR's local time) so we "
                "can decide whether it is due this season.",
    patient_selector={"age_min": 40, "age_max": 75, "has_immunization_cvx": INFLUENZA},
    variants=[
        {"sbp": 132, "dbp": 84, "hr": 76, "weight": 82.5},
        {"sbp": 118, "dbp": 72, "hr": 64, "weight": 68.0},
        {"sbp": 146, "dbp": 92, "hr": 88, "weight": 97.3},
    ],
    facts={"last_flu": {"fact": "latest_immunization", "cvxs": INFLUENZA}},
    rubric=[
        vitals_recorded("Visit vitals recorded", "sbp", "dbp", "hr", "weight", weight=2),
        signed_order("Lipid panel, routine, ordered and signed", LIPID_PANEL, order_type="lab", weight=2),
        {"kind": "gate", "weight": 2, "label": "Last influenza vaccine read from the immunization history",
         "criteria": [
             {"kind": "section_visited", "section": "immunizations"},
             {"kind": "answer_matches", "expected": "{last_flu}", "match": "date"},
         ]},
        {"kind": "no_extra_orders", "label": "Nothing ordered beyond the lipid panel"},
        *closing_criteria(12),
    ],
    step_limit=25,
    oracle="preventive-care.annual-preventive-visit",
)


@oracle("preventive-care.annual-preventive-visit")
def annual_preventive_visit(instance):
    mrn = instance.patient_mrn
    yield record_vitals(instance, "sbp", "dbp", "hr", "weight")
    placed = yield {"type": "place_order", "mrn": mrn, "orderable": LIPID_PANEL, "priority": "routine",
                    "indication": "Cardiovascular risk screening"}
    yield from sign_answering_alerts(mrn, [placed_order_id(placed)], override_reason=OVERRIDE_REASON)
    observation = yield {"type": "read_chart_section", "mrn": mrn, "section": "immunizations", "limit": 200}
    newest = _doses(observation, INFLUENZA)[0]
    yield {"type": "answer", "answer": _local_day(newest["occurred_at"])}


# --- Vaccines given today, recorded ---------------------------------------------------------------

VACCINE_GIVEN = template(
    task_id="ehr/preventive-care.record-vaccine-given-v1",
    title="Record a vaccine just given",
    tier="skill",
    domain="preventive-care",
    description="Charting a vaccination: the clinician has just given a named product; record it on the "
                "immunization history with the right CVX code, today's date, the lot number and the injection "
                "site. Recording any other vaccine (a dose that was not given) costs a penalty and fails the task.",
    instruction="You have just given {patient_name} (MRN {mrn}) a dose of {vaccine} vaccine ({product}), lot "
                "{lot}, in the {site_text}. Record it in their immunization history.",
    patient_selector={"age_min": "{age_min}"},
    variants=[
        {"vaccine": "Tdap", "product": "Boostrix", "cvxs": ["115"], "lot": "7KX3F", "site": "LD",
         "site_text": "left deltoid", "age_min": 11},
        {"vaccine": "seasonal influenza", "product": "Fluzone Quadrivalent, preservative-free prefilled syringe",
         "cvxs": ["150", "140"], "lot": "UT8195LA", "site": "RD", "site_text": "right deltoid", "age_min": 3},
        {"vaccine": "recombinant zoster (shingles)", "product": "Shingrix, first dose", "cvxs": ["187"],
         "lot": "2T9X7", "site": "LD", "site_text": "left deltoid", "age_min": 50},
        {"vaccine": "20-valent pneumococcal conjugate", "product": "Prevnar 20", "cvxs": ["216"], "lot": "HR4123",
         "site": "RD", "site_text": "right deltoid", "age_min": 50},
        {"vaccine": "adult hepatitis B", "product": "Heplisav-B, first dose", "cvxs": ["189"], "lot": "945731",
         "site": "LD", "site_text": "left deltoid", "age_min": 18},
    ],
    rubric=[
        {"kind": "immunization_recorded", "weight": 3, "label": "{vaccine} recorded as given today, with its lot "
                                                               "and site",
         "cvx": "{cvxs}", "days_before_recording": 0, "lot_number": "{lot}", "site": "{site}"},
        {"kind": "no_extra_immunizations", "label": "No other vaccine recorded", "allow_cvx": "{cvxs}"},
        {"kind": "no_extra_orders", "label": "Nothing ordered"},
        *closing_criteria(6),
    ],
    step_limit=12,
    oracle="preventive-care.record-vaccine-given",
)


@oracle("preventive-care.record-vaccine-given")
def record_vaccine_given(instance):
    p = instance.params
    yield {"type": "record_immunization", "mrn": instance.patient_mrn, "cvx": p["cvxs"][0], "lot_number": p["lot"],
           "site": p["site"]}
    yield {"type": "finish", "message": f"{p['vaccine']} recorded."}


TDAP = "115"

TETANUS_PRONE_WOUND = template(
    task_id="ehr/preventive-care.tetanus-prone-wound-v1",
    title="Tetanus-prone wound: vitals, tetanus history and a Tdap booster",
    tier="workflow",
    domain="preventive-care",
    description="Wound care in linked steps for an adult whose last tetanus-containing vaccine was more than five "
                "years ago (so a booster is due for a tetanus-prone wound): record the vitals, read the "
                "immunization history and report the date of that last dose (counted only if the Immunizations "
                "tab was opened: a gate), then record the Tdap given today with its lot and site, and nothing else.",
    instruction="{patient_name} (MRN {mrn}) comes in with {wound}. Record their vitals (blood pressure "
                "{sbp}/{dbp} mmHg, heart rate {hr}/min, temperature {temp} °C). Check their immunization history "
                "and answer with the date (YYYY-MM-DD, in the EHR's local time) of their most recent "
                "tetanus-containing vaccine before today. It was more than five years ago, so you give a Tdap "
                "booster (Boostrix, lot {lot}) in the {site_text}: record it.",
    patient_selector={"age_min": 19, "has_immunization_cvx": TETANUS_BOOSTER,
                      "lacks_recent_immunization": {"cvxs": TETANUS_BOOSTER, "years": 5}},
    variants=[
        {"wound": "a dirty laceration of the left forearm from a garden tool", "sbp": 128, "dbp": 80, "hr": 84,
         "temp": 36.8, "lot": "7KX3F", "site": "RD", "site_text": "right deltoid"},
        {"wound": "a puncture wound of the right foot from a rusty nail", "sbp": 136, "dbp": 86, "hr": 78,
         "temp": 37.0, "lot": "5GN82", "site": "LD", "site_text": "left deltoid"},
        {"wound": "deep abrasions contaminated with soil after a fall from a bicycle", "sbp": 122, "dbp": 76,
         "hr": 92, "temp": 36.9, "lot": "7KX3F", "site": "LD", "site_text": "left deltoid"},
    ],
    facts={"last_tetanus": {"fact": "latest_immunization", "cvxs": TETANUS_BOOSTER}},
    rubric=[
        vitals_recorded("Visit vitals recorded", "sbp", "dbp", "hr", "temp"),
        {"kind": "gate", "weight": 2, "label": "Last tetanus-containing vaccine read from the immunization history",
         "criteria": [
             {"kind": "section_visited", "section": "immunizations"},
             {"kind": "answer_matches", "expected": "{last_tetanus}", "match": "date"},
         ]},
        {"kind": "immunization_recorded", "weight": 3, "label": "Tdap recorded as given today, with its lot and site",
         "cvx": TDAP, "days_before_recording": 0, "lot_number": "{lot}", "site": "{site}"},
        {"kind": "no_extra_immunizations", "label": "No other vaccine recorded", "allow_cvx": [TDAP]},
        {"kind": "no_extra_orders", "label": "Nothing ordered"},
        *closing_criteria(10),
    ],
    step_limit=20,
    oracle="preventive-care.tetanus-prone-wound",
)


@oracle("preventive-care.tetanus-prone-wound")
def tetanus_prone_wound(instance):
    p, mrn = instance.params, instance.patient_mrn
    yield record_vitals(instance, "sbp", "dbp", "hr", "temp")
    history = yield {"type": "read_chart_section", "mrn": mrn, "section": "immunizations", "limit": 200}
    last_dose = _doses(history, TETANUS_BOOSTER)[0]
    yield {"type": "record_immunization", "mrn": mrn, "cvx": TDAP, "lot_number": p["lot"], "site": p["site"]}
    yield {"type": "answer", "answer": _local_day(last_dose["occurred_at"])}
