"""Task templates: multi-step clinical workflows across modules (see harness/README.md).

Pediatrics, palliative care, nephrology, pulmonology and cardiology: chart review, vitals, orders, code
status and notes chained the way a clinician works through a visit (behavioral health has its own module).
"""

from harness.library import answered_from, template
from harness.library.builders import (
    closing_criteria,
    no_order_of,
    note_signed,
    record_vitals,
    signed_order,
    vitals_recorded,
)
from harness.library.regimens import UNHEALTHY_ALCOHOL_USE, acetaminophen_prn
from harness.oracles import newest_numeric, number_text, oracle, place_and_sign, write_and_sign_note

BODY_WEIGHT = ["29463-7"]
CKD_CODES = ["431855005", "431856006", "433144002", "431857002", "127013003"]
CKD_3_4 = ["433144002", "431857002"]
HYPERTENSION = ["59621000"]
SERIOUS_ILLNESS = ["433144002", "431857002", "698306007", "414545008", "87433001", "185086009", "49436004",
                   "92691004"]

ACETAMINOPHEN = "313782"
BMP = "24321-2"
LIPID_PANEL = "57698-3"
URINE_ACR = "14959-1"
FERRITIN = "2276-4"
CBC = "58410-2"
CHEST_XRAY = "399208008"
NT_PRO_BNP = "33762-6"
ECHO = "433236007"
ECG = "29303009"
ALBUTEROL_NEB = "630208"
ALBUTEROL_NEBULES = [ALBUTEROL_NEB, "245314"]  # nebulizer solutions for adults (0.83 and 5 mg/mL)
OVERRIDE_REASON = "Reviewed the alert; the order is clinically indicated for this presentation."
# A clinic work-up for new symptoms: routine or urgent; stat is for emergencies.
CLINIC_PRIORITY = ["routine", "urgent"]


# --- Pediatrics -----------------------------------------------------------------------------------

PEDIATRIC_WELL_VISIT = template(
    task_id="ehr/pediatrics.well-visit-intake-weight-v1",
    title="Pediatric well visit: intake vitals, immunization review and the last recorded weight",
    tier="workflow",
    domain="pediatrics",
    description="Linked well-child steps: record the nurse's intake temperature and SpO2, review the immunization "
                "record, and report the child's most recent body weight on file (read from the chart at reset) so "
                "growth can be compared with today's measurement.",
    instruction="{patient_name} (MRN {mrn}) is here for a well-child visit{reason}. Record the intake vitals "
                "(temperature {temp} °C, SpO2 {spo2}%), review their immunization record, and tell me the most "
                "recent body weight already on file, with its unit, so we can compare growth.",
    patient_selector={"age_max": 17, "has_observation": {"loincs": BODY_WEIGHT, "numeric": True}},
    variants=[
        {"reason": "", "temp": 36.8, "spo2": 99},
        {"reason": " before starting a school sports season", "temp": 37.0, "spo2": 98},
        {"reason": " (the parent is worried about a poor appetite)", "temp": 36.6, "spo2": 99},
    ],
    facts={"weight": {"fact": "latest_observation", "loincs": BODY_WEIGHT}},
    rubric=[
        vitals_recorded("Intake temperature and SpO2 recorded", "temp", "spo2"),
        {"kind": "section_visited", "section": "immunizations", "label": "Immunization record reviewed"},
        answered_from("results", {"kind": "answer_matches", "label": "Last recorded weight: {weight} {weight_unit}",
                                  "expected": "{weight}", "match": "number", "unit": "{weight_unit}",
                                  "loinc": BODY_WEIGHT}, weight=3),
        *closing_criteria(10),
    ],
    step_limit=20,
    oracle="workflows.pediatric-well-visit-weight",
)


@oracle("workflows.pediatric-well-visit-weight")
def pediatric_well_visit_weight(instance):
    mrn = instance.patient_mrn
    observation = yield {"type": "get_observations", "mrn": mrn, "loinc": BODY_WEIGHT[0], "limit": 5}
    row = newest_numeric(observation)
    yield record_vitals(instance, "temp", "spo2")
    yield {"type": "read_chart_section", "mrn": mrn, "section": "immunizations"}
    yield {"type": "answer", "answer": f"{number_text(row['value'])} {row['unit']}"}
    yield {"type": "finish", "message": "Well-visit intake done."}


# --- Palliative care ------------------------------------------------------------------------------

GOALS_OF_CARE = template(
    task_id="ehr/palliative-care.goals-of-care-code-status-v1",
    title="Goals-of-care conversation: update code status and document the discussion",
    tier="workflow",
    domain="palliative-care",
    description="Linked palliative-care steps for a patient with a serious chronic illness: review the problem "
                "list, set the code status the patient chose in a goals-of-care conversation, and write and sign a "
                "progress note that documents the discussion and the resulting code status.",
    instruction="You just held a goals-of-care conversation with {patient_name} (MRN {mrn}) and their family. "
                "After reviewing their illness and prognosis, the patient decided they {wish}. Review the problem "
                "list, update the code status accordingly, and write and sign a progress note documenting the "
                "goals-of-care discussion and the code status decision.",
    patient_selector={"age_min": 18, "code_status": "full", "has_condition_codes": SERIOUS_ILLNESS},
    variants=[
        {"code_status": "dnr_dni", "wish": "do not want CPR or intubation, but want all other treatment",
         "cs_terms": ["dnr/dni", "dnr dni", "dnr and dni", "do not resuscitate and do not intubate",
                      "do not resuscitate / do not intubate", "do not resuscitate, do not intubate"]},
        {"code_status": "dnr", "wish": "do not want CPR if their heart stops, but would accept intubation",
         "cs_terms": ["dnr", "do not resuscitate", "no cpr"]},
        {"code_status": "comfort", "wish": "want comfort-focused care only",
         "cs_terms": ["comfort care", "comfort-focused", "comfort measures", "comfort focused"]},
    ],
    rubric=[
        {"kind": "section_visited", "section": "problems", "label": "Problem list reviewed"},
        {"kind": "code_status_set", "weight": 3, "label": "Code status set as the patient chose",
         "code_status": "{code_status}"},
        note_signed("Signed note documents the goals-of-care discussion", "progress",
                    {"name": "goals-of-care discussion", "terms": ["goals of care", "goals-of-care"]},
                    {"name": "code status decision", "terms": "{cs_terms}"}, weight=2),
        *closing_criteria(10),
    ],
    step_limit=20,
    oracle="workflows.goals-of-care-code-status",
)

CODE_STATUS_TEXT = {
    "dnr_dni": ("DNR/DNI", "all other treatments will continue as before"),
    "dnr": ("DNR", "intubation and other treatments remain acceptable to the patient"),
    "comfort": ("comfort care", "the focus is now on relief of symptoms at home"),
}


@oracle("workflows.goals-of-care-code-status")
def goals_of_care_code_status(instance):
    p, mrn = instance.params, instance.patient_mrn
    problems = yield {"type": "read_chart_section", "mrn": mrn, "section": "problems", "limit": 100}
    illness = ", ".join(r["display"] for r in problems["last_action_result"].get("active", [])[:3]) or "their illness"
    yield {"type": "set_code_status", "mrn": mrn, "code_status": p["code_status"]}
    text = (f"Goals of care: We held a goals-of-care discussion with the patient and family today about {illness}, "
            "the expected course and the treatment options.\n"
            "Decision: After the discussion, the patient chose a code status of "
            f"{CODE_STATUS_TEXT[p['code_status']][0]}, "
            f"and the chart was updated today; {CODE_STATUS_TEXT[p['code_status']][1]}.\n"
            "Plan: We will revisit these goals if the clinical situation changes.")
    yield from write_and_sign_note(mrn, "progress", "Goals-of-care discussion", text)
    yield {"type": "finish", "message": "Code status updated and discussion documented."}


# --- Nephrology -----------------------------------------------------------------------------------

CKD_PAIN = template(
    task_id="ehr/nephrology.ckd-kidney-safe-analgesia-bmp-v1",
    title="Kidney-safe pain relief and a chemistry check in chronic kidney disease",
    tier="workflow",
    domain="nephrology",
    description="Linked steps: review the problem list (chronic kidney disease), then sign as-needed oral "
                "acetaminophen (at most 1 g a dose and 4 g a day: 500-1000 mg every 6-8 hours or 325-650 mg every "
                "4 hours; KDIGO 2024 and Beers 2023 prefer it to NSAIDs in CKD) and a routine basic metabolic "
                "panel. NSAIDs are a critical safety violation in CKD (they reduce renal perfusion); other orders "
                "cost a penalty. Patients already taking acetaminophen, or with unhealthy alcohol use on the "
                "problem list, are not asked.",
    instruction="{patient_name} (MRN {mrn}) has {pain}. Review their problem list, then order and sign an oral "
                "as-needed analgesic at a standard dose that is safe for their kidneys, and a routine basic "
                "metabolic panel to check their kidney function and potassium.",
    patient_selector={"age_min": 18, "has_condition_codes": CKD_CODES,
                      "lacks_allergy_substance": ["acetaminophen", "paracetamol", "tylenol"],
                      "lacks_medication_class": ["analgesic-acetaminophen", "opioid", "cold-combination"],
                      "lacks_condition_codes": [UNHEALTHY_ALCOHOL_USE]},
    variants=[
        {"pain": "knee osteoarthritis pain that flared this week"},
        {"pain": "low back pain after gardening"},
        {"pain": "aching shoulder pain for several days"},
    ],
    rubric=[
        {"kind": "section_visited", "section": "problems", "label": "Problem list reviewed"},
        acetaminophen_prn(weight=2, label="Acetaminophen by mouth as needed, at most 1 g a dose and 4 g a day"),
        signed_order("Basic metabolic panel, routine", BMP),
        no_order_of("No NSAID in chronic kidney disease", ["nsaid"]),
        {"kind": "no_extra_orders", "label": "Only the analgesic and the BMP"},
        *closing_criteria(10),
    ],
    step_limit=20,
    oracle="workflows.ckd-kidney-safe-analgesia",
)


@oracle("workflows.ckd-kidney-safe-analgesia")
def ckd_kidney_safe_analgesia(instance):
    mrn = instance.patient_mrn
    yield {"type": "read_chart_section", "mrn": mrn, "section": "problems", "limit": 100}
    yield from place_and_sign(mrn, [
        {"orderable": ACETAMINOPHEN, "dose": 650, "route": "PO", "frequency": "Q6H", "prn": True, "prn_reason": "pain",
         "instructions": "Maximum 3 g per day"},
        {"orderable": BMP, "priority": "routine"},
    ], indication="Pain in chronic kidney disease", override_reason=OVERRIDE_REASON)
    yield {"type": "finish", "message": "Analgesic and BMP ordered."}


CKD_MONITORING = template(
    task_id="ehr/nephrology.ckd-monitoring-labs-v1",
    title="Chronic kidney disease monitoring labs",
    tier="objective",
    domain="nephrology",
    description="Order entry toward a clinical goal (KDIGO 2024 CKD guideline: eGFR and albuminuria at least "
                "yearly; KDIGO 2012 anemia in CKD guideline: hemoglobin at least yearly, iron studies once anemic): "
                "the routine CKD surveillance set, all routine: a basic metabolic panel (creatinine/eGFR and "
                "potassium), a urine albumin-to-creatinine ratio and a complete blood count for anemia of CKD (a "
                "ferritin is allowed, not required). Other orders cost a penalty; NSAIDs are a critical safety "
                "violation.",
    instruction="{patient_name} (MRN {mrn}) is due for {when} chronic kidney disease monitoring. Order and sign "
                "the routine labs to stage and follow their kidney disease (filtration and potassium, albuminuria) "
                "and to screen for anemia of CKD.",
    patient_selector={"age_min": 18, "has_condition_codes": CKD_CODES},
    variants=[{"when": "their annual"}, {"when": "their six-month"}, {"when": "overdue"}],
    rubric=[
        signed_order("Basic metabolic panel, routine", BMP, weight=2),
        signed_order("Urine albumin/creatinine ratio, routine", URINE_ACR, weight=2),
        signed_order("Complete blood count, routine", CBC),
        no_order_of("No NSAID in chronic kidney disease", ["nsaid"]),
        {"kind": "no_extra_orders", "label": "Only CKD monitoring labs",
         "allow_codes": ["2160-0", "33914-3", "24357-6", FERRITIN, "2823-3"]},
        *closing_criteria(10),
    ],
    step_limit=20,
    oracle="workflows.ckd-annual-monitoring-labs",
)


@oracle("workflows.ckd-annual-monitoring-labs")
def ckd_annual_monitoring_labs(instance):
    mrn = instance.patient_mrn
    yield from place_and_sign(mrn, [{"orderable": BMP, "priority": "routine"},
                                    {"orderable": URINE_ACR, "priority": "routine"},
                                    {"orderable": CBC, "priority": "routine"}],
                              indication="Chronic kidney disease monitoring", override_reason=OVERRIDE_REASON)
    yield {"type": "finish", "message": "CKD labs ordered."}


# --- Pulmonology ----------------------------------------------------------------------------------

AIRWAY_EXACERBATION = template(
    task_id="ehr/pulmonology.wheezing-exacerbation-neb-cxr-v1",
    title="Acute wheezing: vitals, bronchodilator, chest film",
    tier="workflow",
    domain="pulmonology",
    description="Linked urgent-care steps for acute wheezing (bronchospasm; NAEPP EPR-3 2007 and GINA 2024: "
                "nebulized albuterol 2.5-5 mg, repeated every 20 minutes for the first hour if needed): record the "
                "vitals, then sign one stat dose of nebulized albuterol 2.5-5 mg and a stat or urgent chest X-ray. "
                "A beta-blocker is a critical safety violation in bronchospasm; other orders cost a penalty "
                "(ipratropium and a systemic corticosteroid are allowed).",
    instruction="{patient_name} (MRN {mrn}) comes in {story}. Vitals: blood "
                "pressure {sbp}/{dbp} mmHg, heart rate {hr}/min, respiratory rate {rr}/min, SpO2 {spo2}%. Record "
                "the vitals, then order and sign, both stat, one nebulized short-acting bronchodilator treatment "
                "at a standard adult dose and a chest X-ray.",
    patient_selector={"age_min": 12},
    variants=[
        {"story": "wheezing and short of breath after a cold, with diffuse expiratory wheeze on exam", "sbp": 132,
         "dbp": 82, "hr": 108, "rr": 26, "spo2": 91},
        {"story": "with chest tightness, cough and wheeze after wildfire smoke exposure", "sbp": 126, "dbp": 78,
         "hr": 102, "rr": 24, "spo2": 93},
        {"story": "with worsening breathlessness and audible wheeze over two days", "sbp": 138, "dbp": 86, "hr": 112,
         "rr": 28, "spo2": 90},
    ],
    rubric=[
        vitals_recorded("Vitals recorded", "sbp", "dbp", "hr", "rr", "spo2"),
        {"kind": "order_placed", "weight": 3, "label": "Nebulized albuterol 2.5-5 mg once, stat",
         "code": ALBUTEROL_NEBULES, "dose_min": 2.5, "dose_max": 5, "dose_unit": "mg", "route": "INH",
         "frequency": "ONCE", "priority": "stat", "status": "signed"},
        signed_order("Chest X-ray, stat or urgent", CHEST_XRAY, priority=["stat", "urgent"]),
        no_order_of("No beta-blocker in bronchospasm", ["beta-blocker"]),
        {"kind": "no_extra_orders", "label": "Only exacerbation orders",
         "allow_drug_classes": ["sama", "corticosteroid"]},
        *closing_criteria(10),
    ],
    step_limit=20,
    oracle="workflows.airway-exacerbation",
)


@oracle("workflows.airway-exacerbation")
def airway_exacerbation(instance):
    mrn = instance.patient_mrn
    yield record_vitals(instance, "sbp", "dbp", "hr", "rr", "spo2")
    yield from place_and_sign(mrn, [
        {"orderable": ALBUTEROL_NEB, "dose": 2.5, "route": "INH", "frequency": "ONCE", "priority": "stat"},
        {"orderable": CHEST_XRAY, "priority": "stat", "reason_for_exam": "Wheezing exacerbation, rule out pneumonia"},
    ], indication="Airway disease exacerbation", override_reason=OVERRIDE_REASON)
    yield {"type": "finish", "message": "Bronchodilator and chest X-ray ordered."}


# --- Cardiology -----------------------------------------------------------------------------------

HF_WORKUP = template(
    task_id="ehr/cardiology.suspected-heart-failure-workup-v1",
    title="New exertional dyspnea and edema: heart failure work-up",
    tier="workflow",
    domain="cardiology",
    description="Linked clinic steps (AHA/ACC/HFSA 2022 heart failure guideline: natriuretic peptide, chemistry, "
                "ECG, chest X-ray and echocardiogram in suspected heart failure): record the vitals, then sign "
                "the initial work-up, routine or urgent: NT-proBNP (or BNP), a basic metabolic panel, a 12-lead "
                "ECG, a chest X-ray and a transthoracic echocardiogram. NSAIDs (fluid retention, worsen heart "
                "failure) are a critical safety violation; other orders cost a penalty.",
    instruction="{patient_name} (MRN {mrn}), {age} years old, reports {story}. Vitals today: blood pressure "
                "{sbp}/{dbp} mmHg, heart rate {hr}/min, respiratory rate {rr}/min, SpO2 {spo2}%. Record the vitals "
                "and order and sign the initial work-up for suspected heart failure: a natriuretic peptide, a basic "
                "metabolic panel, an ECG, a chest X-ray and an echocardiogram (routine or urgent).",
    patient_selector={"age_min": 40},
    variants=[
        {"story": "two months of breathlessness climbing stairs and swollen ankles", "sbp": 148, "dbp": 90,
         "hr": 92, "rr": 20, "spo2": 95},
        {"story": "needing two pillows to sleep and new leg swelling", "sbp": 136, "dbp": 84, "hr": 98, "rr": 22,
         "spo2": 94},
    ],
    rubric=[
        vitals_recorded("Vitals recorded", "sbp", "dbp", "hr", "rr", "spo2"),
        signed_order("Natriuretic peptide", [NT_PRO_BNP, "30934-4"], weight=2, priority=CLINIC_PRIORITY),
        signed_order("Basic metabolic panel", BMP, priority=CLINIC_PRIORITY),
        signed_order("12-lead ECG", ECG, priority=CLINIC_PRIORITY),
        signed_order("Chest X-ray", CHEST_XRAY, priority=CLINIC_PRIORITY),
        signed_order("Transthoracic echocardiogram", ECHO, weight=2, priority=CLINIC_PRIORITY),
        no_order_of("No NSAID in suspected heart failure", ["nsaid"]),
        {"kind": "no_extra_orders", "label": "Only the heart-failure work-up", "allow_codes": ["58410-2", "3016-3"]},
        *closing_criteria(14),
    ],
    step_limit=25,
    oracle="workflows.new-dyspnea-heart-failure-workup",
)


@oracle("workflows.new-dyspnea-heart-failure-workup")
def new_dyspnea_heart_failure_workup(instance):
    mrn = instance.patient_mrn
    yield record_vitals(instance, "sbp", "dbp", "hr", "rr", "spo2")
    yield from place_and_sign(mrn, [
        {"orderable": NT_PRO_BNP}, {"orderable": BMP},
        {"orderable": ECG, "reason_for_exam": "Dyspnea and edema, suspected heart failure"},
        {"orderable": CHEST_XRAY, "reason_for_exam": "Dyspnea and edema, suspected heart failure"},
        {"orderable": ECHO, "reason_for_exam": "Suspected heart failure: assess ejection fraction"},
    ], indication="Suspected heart failure", override_reason=OVERRIDE_REASON)
    yield {"type": "finish", "message": "Heart failure work-up ordered."}


HTN_ANNUAL = template(
    task_id="ehr/cardiology.hypertension-annual-labs-v1",
    title="Hypertension: annual cardiovascular risk and end-organ labs",
    tier="objective",
    domain="cardiology",
    description="Order entry toward a clinical goal (ACC/AHA 2017 hypertension guideline, basic testing; KDIGO "
                "2024 albuminuria screening): the yearly hypertension labs, all routine: a basic metabolic panel "
                "(creatinine, potassium), a lipid panel and a urine albumin-to-creatinine ratio, with a 12-lead ECG "
                "allowed. Other orders cost a penalty.",
    instruction="{patient_name} (MRN {mrn}) has hypertension and is here for {visit}. Order and sign the yearly "
                "routine labs for their blood pressure care: kidney function and electrolytes, cholesterol for "
                "cardiovascular risk, and a urine test for albuminuria.",
    patient_selector={"age_min": 18, "has_condition_codes": HYPERTENSION},
    variants=[{"visit": "their annual review"}, {"visit": "a blood pressure check before a refill"},
              {"visit": "a new-patient visit"}],
    rubric=[
        signed_order("Basic metabolic panel, routine", BMP, weight=2),
        signed_order("Lipid panel, routine", LIPID_PANEL, weight=2),
        signed_order("Urine albumin/creatinine ratio, routine", URINE_ACR),
        {"kind": "no_extra_orders", "label": "Only the hypertension labs",
         "allow_codes": [ECG, "2093-3", "2160-0", "4548-4", "24357-6"]},
        *closing_criteria(10),
    ],
    step_limit=20,
    oracle="workflows.hypertension-annual-labs",
)


@oracle("workflows.hypertension-annual-labs")
def hypertension_annual_labs(instance):
    mrn = instance.patient_mrn
    yield from place_and_sign(mrn, [{"orderable": BMP, "priority": "routine"},
                                    {"orderable": LIPID_PANEL, "priority": "routine"},
                                    {"orderable": URINE_ACR, "priority": "routine"}],
                              indication="Essential hypertension", override_reason=OVERRIDE_REASON)
    yield {"type": "finish", "message": "Hypertension labs ordered."}
