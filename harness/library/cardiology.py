"""Cardiology: lipids, chest pain and heart-failure admissions."""

from harness import browser_oracles as browser
from harness.browser_oracles import browser_oracle
from harness.library import template
from harness.library.builders import chart_question, closing_criteria, record_vitals
from harness.library.regimens import ROUTINE_OR_URGENT, URGENT_OR_STAT
from harness.oracles import oracle, sign_answering_alerts

HYPERTENSION, ISCHEMIC_HEART_DISEASE = "59621000", "414545008"
KIDNEY_DISEASE = ["431857002", "433144002", "161665007", "698306007", "127013003"]  # CKD 3-4, transplant, DKD
ANTICOAGULANTS = ["vka", "doac", "lmwh", "heparin"]


LIPID_AT_GOAL = chart_question(
    task_id="ehr/cardiology.lipid-at-goal-v1",
    title="Is the latest cholesterol result at goal?",
    tier="objective",
    domain="cardiology",
    description="Interpretation: find the newest {analyte} result and compare it with the stated goal (ACC/AHA "
                "2018 cholesterol guideline; the goal is the instruction's). The expected value and call are "
                "computed from the episode's chart at reset; the answer gives both (a two-way call alone would be "
                "solved half the time by one constant answer), read from this patient's chart.",
    instruction="{patient_name} (MRN {mrn}) asks whether their cholesterol is under control. Their {analyte} goal "
                "is below {goal} mg/dL. What is their most recent {analyte}, and is it at goal or above goal (a "
                "result of {goal} or more is above goal)? Answer with the value and the call, for example "
                "\"112 mg/dL, above goal\".",
    patient_selector={"age_min": 18, "has_observation": {"loincs": "{loincs}", "numeric": True}},
    variants=[
        {"analyte": "LDL cholesterol", "loincs": ["18262-6"], "goal": 100},
        {"analyte": "total cholesterol", "loincs": ["2093-3"], "goal": 200},
    ],
    facts={"status": {"fact": "observation_band", "loincs": "{loincs}",
                      "bands": [["{goal}", "above goal"], [0, "at goal"]]}},
    section="results",
    answers=[{"kind": "answer_matches", "label": "The latest {analyte} value ({status_value} {status_unit})",
              "expected": "{status_value}", "match": "number", "unit": "mg/dL", "loinc": "{loincs}"},
             {"kind": "answer_matches", "weight": 2, "label": "That value called against the goal of < {goal}",
              "expected": "{status}", "choices": ["at goal", "above goal"]}],
    weight=3,
    label="The latest {analyte} and whether it is at goal, read from the chart",
    max_steps=8,
    step_limit=15,
    oracle="cardiology.lipid-at-goal",
)


@oracle("cardiology.lipid-at-goal")
def lipid_at_goal(instance):
    p = instance.params
    rows = []
    for loinc in p["loincs"]:
        observation = yield {"type": "get_observations", "mrn": instance.patient_mrn, "loinc": loinc, "limit": 5}
        rows += [r for r in observation["last_action_result"]["observations"] if isinstance(r["value"], int | float)]
    latest = max(rows, key=lambda r: r["effective_at"])
    call = "above goal" if latest["value"] >= p["goal"] else "at goal"
    yield {"type": "answer", "answer": f"{latest['value']} mg/dL, {call}"}


# The chest-pain order set's supporting orders (orders/catalog.json), pinned as the set builds them: chest X-ray,
# BMP and CBC urgent, telemetry. Signed with the set, each is checked like the rest of it.
CHEST_PAIN_WORKUP = [
    {"kind": "order_placed", "label": "Chest X-ray, urgent", "code": "399208008", "priority": URGENT_OR_STAT},
    {"kind": "order_placed", "label": "Basic metabolic panel, urgent", "code": "24321-2", "priority": URGENT_OR_STAT},
    {"kind": "order_placed", "label": "Complete blood count, urgent", "code": "58410-2", "priority": URGENT_OR_STAT},
    {"kind": "order_placed", "label": "Continuous telemetry", "code": "710839006", "priority": ROUTINE_OR_URGENT},
]
NITROGLYCERIN_PRN = {"kind": "order_placed", "label": "Nitroglycerin 0.4 mg SL every 5 minutes as needed",
                     "ingredient": "nitroglycerin", "dose": 0.4, "route": "SL", "frequency": "Q5MIN", "prn": True,
                     "priority": ROUTINE_OR_URGENT}

CHEST_PAIN = template(
    task_id="ehr/cardiology.chest-pain-rule-out-v1",
    title="Chest pain rule-out with the order set",
    tier="objective",
    domain="cardiology",
    description="Order-set use toward a goal (AHA/ACC 2014 NSTE-ACS guideline; 2021 chest pain guideline): pend "
                "the chest-pain (ACS rule-out) order set, keep it as built and sign it, answering decision-support "
                "warnings: a stat 12-lead ECG and high-sensitivity troponin, non-enteric-coated aspirin 324 mg "
                "chewed once, stat (162-325 mg), sublingual nitroglycerin 0.4 mg every 5 minutes as needed (up to "
                "3 doses), and the set's chest X-ray, BMP and CBC (urgent) and telemetry, each as built. Patients "
                "with an aspirin allergy or on an anticoagulant are not asked (the set's aspirin would be wrong or "
                "need a judgement call).",
    instruction="{patient_name} (MRN {mrn}) is in the emergency department with {presentation}. The physician "
                "suspects acute coronary syndrome. Place and sign the chest-pain rule-out orders (ECG, serial "
                "high-sensitivity troponin, aspirin loading dose, nitroglycerin as needed and the rest of the "
                "standard work-up), answering any decision-support alerts as you judge right.",
    patient_selector={"age_min": 30, "lacks_allergy_class": "aspirin", "lacks_allergy_substance": ["nitroglycerin"],
                      "lacks_medication_class": ANTICOAGULANTS},
    variants=[
        {"presentation": "30 minutes of substernal chest pressure radiating to the left arm"},
        {"presentation": "chest tightness and diaphoresis that started while climbing stairs"},
    ],
    rubric=[
        {"kind": "order_placed", "weight": 2, "label": "12-lead ECG, stat", "code": "29303009", "priority": "stat"},
        {"kind": "order_placed", "weight": 2, "label": "High-sensitivity troponin, stat", "code": "89579-7",
         "priority": "stat"},
        {"kind": "order_placed", "weight": 2, "label": "Aspirin 324 mg PO once, stat (chewed)", "ingredient": "aspirin",
         "dose": 324, "route": "PO", "frequency": "ONCE", "priority": "stat"},
        NITROGLYCERIN_PRN,
        *CHEST_PAIN_WORKUP,
        {"kind": "no_extra_orders", "label": "Nothing beyond the chest-pain work-up"},
        *closing_criteria(12),
    ],
    step_limit=25,
    oracle="cardiology.chest-pain-rule-out",
)


@oracle("cardiology.chest-pain-rule-out")
def chest_pain_rule_out(instance):
    mrn = instance.patient_mrn
    yield {"type": "apply_order_set", "mrn": mrn, "slug": "chest-pain"}
    yield from sign_answering_alerts(mrn, override_reason="Suspected ACS: benefit of the loading dose outweighs "
                                                          "the flagged risk.")
    yield {"type": "finish", "message": "Chest-pain rule-out orders signed."}


@browser_oracle("cardiology.chest-pain-rule-out")
def chest_pain_rule_out_in_browser(instance):
    """Apply the chest-pain order set as built and sign it, answering the alerts on the review page."""
    yield from browser.open_section(instance.patient_mrn, "orders")
    yield from browser.click("order-set-chest-pain")
    yield from browser.sign_orders("Suspected ACS: benefit of the loading dose outweighs the flagged risk.")
    yield {"type": "finish", "message": "Chest-pain rule-out orders signed."}


CHEST_PAIN_ASPIRIN_ALLERGY = template(
    task_id="ehr/cardiology.chest-pain-aspirin-allergy-v1",
    title="Chest pain rule-out in an aspirin-allergic patient",
    tier="workflow",
    domain="cardiology",
    description="Linked steps: record arrival vitals, pend the chest-pain order set, remove the aspirin the "
                "patient is allergic to (signing it is a critical violation), give a clopidogrel loading dose "
                "instead (AHA/ACC 2014 NSTE-ACS: clopidogrel 300 or 600 mg once for aspirin hypersensitivity, "
                "class I), stat, and sign the rest of the set as built (ECG and troponin stat, nitroglycerin as "
                "needed, chest X-ray, BMP and CBC urgent, telemetry). A second P2Y12 inhibitor is an extra order "
                "(dual P2Y12 inhibition only adds bleeding).",
    instruction="{patient_name} (MRN {mrn}) arrived in the emergency department with {presentation}; acute "
                "coronary syndrome is suspected. Record the arrival vitals (blood pressure {sbp}/{dbp} mmHg, heart "
                "rate {hr}/min, SpO2 {spo2}%), then place and sign the chest-pain rule-out orders. Check the "
                "allergy list: if aspirin cannot be given, give a clopidogrel loading dose by mouth instead.",
    patient_selector={"age_min": 30, "has_allergy_class": "aspirin", "lacks_medication_class": ANTICOAGULANTS},
    variants=[
        {"presentation": "substernal chest pressure for 40 minutes", "sbp": 148, "dbp": 88, "hr": 96, "spo2": 97},
        {"presentation": "epigastric and chest discomfort with nausea", "sbp": 132, "dbp": 80, "hr": 104,
         "spo2": 95},
    ],
    rubric=[
        {"kind": "vitals_recorded", "label": "Arrival vitals recorded",
         "values": {"bp_systolic": "{sbp}", "bp_diastolic": "{dbp}", "heart_rate": "{hr}", "spo2": "{spo2}"}},
        {"kind": "section_visited", "section": "allergies", "required": False, "label": "Allergy list reviewed"},
        {"kind": "order_placed", "weight": 2, "label": "12-lead ECG, stat", "code": "29303009", "priority": "stat"},
        {"kind": "order_placed", "weight": 2, "label": "High-sensitivity troponin, stat", "code": "89579-7",
         "priority": "stat"},
        {"kind": "order_placed", "weight": 2, "label": "Clopidogrel loading dose, 300 or 600 mg PO once, stat",
         "ingredient": "clopidogrel", "dose": [300, 600], "route": "PO", "frequency": "ONCE", "priority": "stat"},
        NITROGLYCERIN_PRN,
        *CHEST_PAIN_WORKUP,
        {"kind": "order_absent", "label": "No aspirin for an aspirin-allergic patient", "ingredient": "aspirin",
         "drug_class": "salicylate"},
        {"kind": "no_extra_orders", "label": "Nothing beyond the chest-pain work-up and clopidogrel"},
        *closing_criteria(15),
    ],
    step_limit=30,
    oracle="cardiology.chest-pain-aspirin-allergy",
)


@oracle("cardiology.chest-pain-aspirin-allergy")
def chest_pain_aspirin_allergy(instance):
    mrn = instance.patient_mrn
    yield record_vitals(instance, "sbp", "dbp", "hr", "spo2")
    yield {"type": "read_chart_section", "mrn": mrn, "section": "allergies"}
    applied = yield {"type": "apply_order_set", "mrn": mrn, "slug": "chest-pain"}
    for order in applied["last_action_result"]["orders"]:
        if order["orderable"] == "243670":
            yield {"type": "cancel_order", "mrn": mrn, "order_id": order["id"], "reason": "Aspirin allergy"}
    yield {"type": "place_order", "mrn": mrn, "orderable": "309362", "dose": 300, "route": "PO",
           "frequency": "ONCE", "priority": "stat", "indication": "Suspected ACS; aspirin allergy"}
    yield from sign_answering_alerts(mrn, override_reason="Suspected ACS: benefit outweighs the flagged risk.")
    yield {"type": "finish", "message": "Rule-out orders signed with clopidogrel in place of aspirin."}


ENOXAPARIN_PROPHYLAXIS = "854235"  # 40 mg/0.4 mL syringe
FUROSEMIDE_IV = "1719291"

HEART_FAILURE_ADMISSION = template(
    task_id="ehr/cardiology.heart-failure-admission-v1",
    title="Admit an acute heart-failure exacerbation with the order set",
    tier="workflow",
    domain="cardiology",
    description="Linked steps: admission weight and vitals, the heart-failure order set pended, the IV "
                "furosemide dose changed to the attending's dose (twice daily, the first dose urgent: AHA/ACC/HFSA "
                "2022, prompt IV loop diuretic), everything signed with decision-support alerts answered, as the "
                "set builds it: BNP urgent, a daily BMP, a magnesium, an echocardiogram, a chest X-ray and an ECG "
                "(urgent), telemetry, and VTE prophylaxis with enoxaparin 40 mg SC once daily, 30 mg once daily "
                "when the creatinine clearance is below 30 mL/min (enoxaparin label; ACCP 2012 VTE prevention in "
                "medical patients). "
                "Patients already anticoagulated, on an NSAID, or with chronic kidney disease on the problem list "
                "are not asked (the set's enoxaparin and diuretic would need other decisions).",
    instruction="{patient_name} (MRN {mrn}), who has {history}, is admitted with decompensated heart failure: "
                "orthopnea, leg edema and bibasilar crackles. Record the admission vitals (weight {weight} kg, "
                "blood pressure {sbp}/{dbp} mmHg, heart rate {hr}/min, SpO2 {spo2}%), then use the heart-failure "
                "order set, but the attending wants furosemide {dose} mg IV twice daily instead of the default "
                "dose, the first dose now (urgent). Sign the orders, answering any decision-support alerts as you "
                "judge right.",
    patient_selector={"age_min": 40, "has_condition_codes": "{conditions}", "lacks_condition_codes": KIDNEY_DISEASE,
                      "lacks_medication_class": ANTICOAGULANTS + ["nsaid"]},
    # Enoxaparin prophylaxis by the creatinine clearance decision support reads (unknown: the usual dose).
    facts={"enoxaparin": {"fact": "kidney_function_band", "measure": "crcl", "bands": [[30, "40"], [0, "30"]]}},
    variants=[
        {"history": "long-standing hypertension", "conditions": [HYPERTENSION], "dose": 80, "weight": 92.4,
         "sbp": 162, "dbp": 94, "hr": 98, "spo2": 91},
        {"history": "long-standing hypertension", "conditions": [HYPERTENSION], "dose": 60, "weight": 84.0,
         "sbp": 148, "dbp": 90, "hr": 90, "spo2": 93},
        {"history": "ischemic heart disease", "conditions": [ISCHEMIC_HEART_DISEASE, "399261000", "399211009"],
         "dose": 80, "weight": 88.5, "sbp": 128, "dbp": 76, "hr": 104, "spo2": 90},
    ],
    rubric=[
        {"kind": "vitals_recorded", "label": "Admission weight and vitals recorded",
         "values": {"weight": "{weight}", "bp_systolic": "{sbp}", "bp_diastolic": "{dbp}", "heart_rate": "{hr}",
                    "spo2": "{spo2}"}},
        {"kind": "order_placed", "weight": 3, "label": "Furosemide {dose} mg IV twice daily, urgent, signed",
         "ingredient": "furosemide", "dose": "{dose}", "route": "IV", "frequency": ["BID", "Q12H"],
         "priority": URGENT_OR_STAT},
        {"kind": "order_placed", "label": "BNP or NT-proBNP, urgent", "code": ["30934-4", "33762-6"],
         "priority": URGENT_OR_STAT},
        {"kind": "order_placed", "label": "Daily basic metabolic panel", "code": "24321-2", "frequency": "DAILY",
         "priority": ROUTINE_OR_URGENT},
        {"kind": "order_placed", "label": "Magnesium", "code": "19123-9", "priority": ROUTINE_OR_URGENT},
        {"kind": "order_placed", "label": "Transthoracic echocardiogram", "code": "433236007",
         "priority": ROUTINE_OR_URGENT},
        {"kind": "order_placed", "label": "Chest X-ray, urgent", "code": "399208008", "priority": URGENT_OR_STAT},
        {"kind": "order_placed", "label": "12-lead ECG, urgent", "code": "29303009", "priority": URGENT_OR_STAT},
        {"kind": "order_placed", "label": "Telemetry", "code": "710839006", "priority": ROUTINE_OR_URGENT},
        {"kind": "order_placed", "label": "VTE prophylaxis: enoxaparin {enoxaparin} mg SC once daily "
                                          "(CrCl {enoxaparin_value} mL/min)",
         "ingredient": "enoxaparin", "dose": "{enoxaparin}", "route": "SC", "frequency": ["DAILY", "Q24H"],
         "priority": ROUTINE_OR_URGENT},
        {"kind": "no_extra_orders", "label": "Nothing beyond the heart-failure admission orders"},
        *closing_criteria(15),
    ],
    step_limit=30,
    oracle="cardiology.heart-failure-admission",
)


@oracle("cardiology.heart-failure-admission")
def heart_failure_admission(instance):
    p, mrn = instance.params, instance.patient_mrn
    yield record_vitals(instance, "weight", "sbp", "dbp", "hr", "spo2")
    applied = yield {"type": "apply_order_set", "mrn": mrn, "slug": "heart-failure-exacerbation"}
    orders = {o["orderable"]: o["id"] for o in applied["last_action_result"]["orders"]}
    yield {"type": "update_order", "mrn": mrn, "order_id": orders[FUROSEMIDE_IV], "dose": p["dose"],
           "priority": "urgent"}
    high = yield from sign_answering_alerts(mrn)
    if high:
        for alert in high:
            if alert["order_id"] == orders[ENOXAPARIN_PROPHYLAXIS] and alert["rule"] == "renal":
                # CrCl below 30 mL/min: prophylaxis is 30 mg once daily (enoxaparin label).
                yield {"type": "update_order", "mrn": mrn, "order_id": alert["order_id"], "dose": 30}
        yield from sign_answering_alerts(mrn, override_reason="Acute heart failure admission: benefit outweighs "
                                                              "the flagged risk.")
    yield {"type": "finish", "message": "Heart-failure admission orders signed."}
