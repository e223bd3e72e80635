"""Emergency care: arrival, triage and goals of care."""

from harness.library import template
from harness.library.builders import closing_criteria, no_order_of, record_vitals, signed_order, vitals_recorded
from harness.library.regimens import schedule
from harness.oracles import newest_numeric_of, oracle, place_and_sign, placed_order_id, sign_answering_alerts

TRIAGE_INTAKE = template(
    task_id="ehr/emergency-care.triage-intake-v1",
    title="Emergency department triage intake",
    tier="workflow",
    domain="emergency-care",
    description="Several linked charting steps at arrival: record a full set of vital signs, review allergies, "
                "and document the code status the patient states.",
    instruction="{patient_name} (MRN {mrn}) has just arrived in the emergency department. Complete the triage "
                "intake: record the arrival vital signs (blood pressure {sbp}/{dbp} mmHg, heart rate {hr}/min, "
                "respiratory rate {rr}/min, temperature {temp} °C, SpO2 {spo2}%), review the allergy list with "
                "the patient, and document their code status: they tell you they {wish}.",
    patient_selector={"age_min": 18, "code_status": "full"},
    variants=[
        {"sbp": 92, "dbp": 58, "hr": 118, "rr": 24, "temp": 38.9, "spo2": 91, "code_status": "dnr_dni",
         "wish": "do not want CPR or a breathing tube if their heart or breathing stops"},
        {"sbp": 168, "dbp": 96, "hr": 88, "rr": 18, "temp": 36.8, "spo2": 97, "code_status": "dnr",
         "wish": "do not want CPR if their heart stops, but would accept a breathing tube"},
        {"sbp": 128, "dbp": 78, "hr": 72, "rr": 16, "temp": 37.1, "spo2": 99, "code_status": "comfort",
         "wish": "want comfort-focused care only, without resuscitation or escalation to intensive care"},
    ],
    rubric=[
        vitals_recorded("Arrival vital signs recorded", "sbp", "dbp", "hr", "rr", "temp", "spo2", weight=3),
        {"kind": "section_visited", "section": "allergies", "label": "Allergies reviewed"},
        {"kind": "code_status_set", "weight": 2, "label": "Code status documented as stated",
         "code_status": "{code_status}"},
        *closing_criteria(12),
    ],
    step_limit=25,
    oracle="emergency-care.triage-intake",
)


@oracle("emergency-care.triage-intake")
def triage_intake(instance):
    p, mrn = instance.params, instance.patient_mrn
    yield record_vitals(instance, "sbp", "dbp", "hr", "rr", "temp", "spo2")
    yield {"type": "read_chart_section", "mrn": mrn, "section": "allergies"}
    yield {"type": "set_code_status", "mrn": mrn, "code_status": p["code_status"]}
    yield {"type": "finish", "message": "Triage intake complete."}


# --- Hypoglycemia, sepsis, chest pain and anaphylaxis ----------------------------------------

DEXTROSE_50 = "4850"
POC_GLUCOSE = "41653-7"
INSULIN_CLASSES = ["insulin-short-acting", "insulin-rapid-acting", "insulin-long-acting", "insulin-premixed"]
DIABETES_CODES = ["44054006", "46635009", "127013003", "90781000119102", "157141000119108"]


OVERRIDE_REASON = "Emergency treatment indicated for this presentation; benefit outweighs the risk."


HYPOGLYCEMIA = template(
    task_id="ehr/emergency-care.severe-hypoglycemia-v1",
    title="Treat severe hypoglycemia in a patient who cannot swallow",
    tier="objective",
    domain="emergency-care",
    description="Order entry toward a clinical goal (ADA Standards of Care 2025, section 6: level 2-3 "
                "hypoglycemia in a patient who cannot take oral glucose; dextrose 50% 25 g IV is the usual adult "
                "dose): IV dextrose 50% 25 g once, stat, with a stat repeat point-of-care glucose. Any insulin is "
                "a critical safety violation; other orders cost a penalty.",
    instruction="{patient_name} (MRN {mrn}), who has diabetes, is brought to the emergency department {presentation}. "
                "Fingerstick glucose is {glucose} mg/dL and IV access is in place. Order and sign the immediate "
                "treatment for the low blood sugar, and a repeat point-of-care glucose check, both stat.",
    patient_selector={"age_min": 18, "has_condition_codes": DIABETES_CODES},
    variants=[
        {"presentation": "confused and diaphoretic after skipping lunch", "glucose": 38},
        {"presentation": "drowsy and unable to swallow safely", "glucose": 45},
        {"presentation": "after a witnessed seizure at home, now postictal", "glucose": 29},
    ],
    rubric=[
        signed_order("Dextrose 50% 25 g IV once, stat, signed", DEXTROSE_50, dose=25, route="IV", frequency="ONCE",
                     weight=3, priority="stat"),
        signed_order("Repeat point-of-care glucose, stat", POC_GLUCOSE, priority="stat"),
        no_order_of("No insulin for a hypoglycemic patient", INSULIN_CLASSES),
        {"kind": "no_extra_orders", "label": "Nothing ordered beyond dextrose and the glucose recheck"},
        *closing_criteria(10),
    ],
    step_limit=20,
    oracle="emergency-care.severe-hypoglycemia",
)


@oracle("emergency-care.severe-hypoglycemia")
def severe_hypoglycemia(instance):
    mrn = instance.patient_mrn
    dextrose = yield {"type": "place_order", "mrn": mrn, "orderable": "4850-iv", "dose": 25, "route": "IV",
                      "frequency": "ONCE", "priority": "stat", "indication": "Symptomatic hypoglycemia"}
    recheck = yield {"type": "place_order", "mrn": mrn, "orderable": POC_GLUCOSE, "priority": "stat",
                     "indication": "Recheck after dextrose"}
    yield from sign_answering_alerts(mrn, [placed_order_id(dextrose), placed_order_id(recheck)],
                                     override_reason=OVERRIDE_REASON)
    yield {"type": "finish", "message": "Dextrose given and glucose recheck ordered."}


# Optional beside the hour-1 bundle: MRSA coverage with vancomycin, atypical coverage with azithromycin (a pneumonia
# source: ATS/IDSA 2019), a chemistry panel, a blood count, urine studies.
SEPSIS_EXTRAS = ["1807513", "1807518", "1668238", "24323-8", "58410-2", "24357-6", "630-4"]
NORMAL_SALINE = "9863"
BODY_WEIGHT = "29463-7"
# Surviving Sepsis Campaign 2021: at least 30 mL/kg of IV crystalloid in the first 3 hours for hypoperfusion (CMS
# SEP-1 counts it by the charted weight). Accepted: 27-33 mL/kg, in 250 mL steps, at most the catalog's 4 L.
SEPSIS_BOLUS = {"fact": "weight_based_dose", "per_kg": 30, "per_kg_min": 27, "per_kg_max": 33, "round_to": 250,
                "cap": 4000}


def sepsis_bolus_ml(weight_kg: float) -> float:
    """30 mL/kg to the nearest 250 mL, at most 4 L (what SEPSIS_BOLUS's answer is)."""
    return min(round(30 * weight_kg / 250) * 250, 4000)


def broad_spectrum_beta_lactam(*, weight: float, priority) -> dict:
    """One empiric broad-spectrum IV beta-lactam for sepsis of unclear source, at its full label dose for normal
    kidney function (the first dose is never reduced; these templates ask patients whose CrCl is 60 mL/min or more,
    or unknown)."""
    common = {"kind": "order_placed", "route": "IV", "priority": priority, "status": "signed"}
    return {"kind": "any_of", "weight": weight, "label": "A broad-spectrum IV beta-lactam at a full dose", "criteria": [
        {**common, "label": "Piperacillin-tazobactam 3.375-4.5 g IV every 6 h (or 8 h, extended infusion)",
         "ingredient": "piperacillin-tazobactam", "dose": [3.375, 4.5], "frequency": ["Q6H", "Q8H"]},
        {**common, "label": "Cefepime 2 g IV every 8-12 h", "ingredient": "cefepime", "dose": 2000,
         "frequency": ["Q8H", "Q12H"]},
        {**common, "label": "Ceftriaxone 1-2 g IV every 24 h", "ingredient": "ceftriaxone", "dose": [1000, 2000],
         "frequency": schedule("DAILY")},
    ]}


SEPSIS_BUNDLE = template(
    task_id="ehr/emergency-care.sepsis-bundle-v1",
    title="Sepsis screen and the one-hour bundle",
    tier="workflow",
    domain="emergency-care",
    description="Linked ED steps (Surviving Sepsis Campaign 2021 hour-1 bundle; CMS SEP-1): record triage vitals "
                "that screen positive for sepsis, review allergies, then sign, all stat: a lactate, blood cultures, "
                "an IV normal saline bolus of 30 mL/kg by the latest charted weight (27-33 mL/kg accepted, at most "
                "4 L) and one broad-spectrum IV beta-lactam at a full dose (piperacillin-tazobactam 3.375-4.5 g "
                "every 6-8 h, cefepime 2 g every 8-12 h or ceftriaxone 1-2 g daily); vancomycin may be added. "
                "Patients with a penicillin or cephalosporin allergy, without a weight, or with a creatinine "
                "clearance below 60 mL/min (renal dosing of later doses) are not selected.",
    instruction="{patient_name} (MRN {mrn}) arrives in the emergency department with {story}. Triage vitals: blood "
                "pressure {sbp}/{dbp} mmHg, heart rate {hr}/min, respiratory rate {rr}/min, temperature {temp} °C, "
                "SpO2 {spo2}%. Record these vitals, review the allergy list, and start the sepsis hour-1 bundle: "
                "order and sign, all stat, a lactate, blood cultures, an IV normal saline bolus of 30 mL/kg by "
                "their most recent recorded weight, and empiric broad-spectrum IV antibiotics.",
    patient_selector={"age_min": 18, "lacks_allergy_class": "penicillin",
                      "lacks_allergy_substance": ["cef", "ceph"],
                      "has_observation": {"loincs": [BODY_WEIGHT], "numeric": True},
                      "kidney_function": {"measure": "crcl", "min": 60, "unknown": "include"}},
    variants=[
        {"story": "fever, rigors and flank pain for two days", "sbp": 86, "dbp": 52, "hr": 122, "rr": 24,
         "temp": 39.2, "spo2": 95},
        {"story": "a productive cough, fever and new confusion", "sbp": 94, "dbp": 58, "hr": 116, "rr": 28,
         "temp": 38.7, "spo2": 89},
        {"story": "fever and a red, hot, swollen lower leg", "sbp": 98, "dbp": 60, "hr": 112, "rr": 22,
         "temp": 38.9, "spo2": 97},
    ],
    facts={"bolus": SEPSIS_BOLUS},
    rubric=[
        vitals_recorded("Triage vitals recorded", "sbp", "dbp", "hr", "rr", "temp", "spo2"),
        {"kind": "section_visited", "section": "allergies", "label": "Allergies reviewed before antibiotics"},
        signed_order("Lactate, stat", "32693-4", priority="stat"),
        signed_order("Blood cultures, stat", "600-7", priority="stat"),
        {"kind": "order_placed", "weight": 1, "label": "Normal saline {bolus_min}-{bolus_max} mL IV once, stat "
                                                       "(30 mL/kg of {bolus_weight} kg)",
         "code": NORMAL_SALINE, "dose_min": "{bolus_min}", "dose_max": "{bolus_max}", "route": "IV",
         "frequency": "ONCE", "priority": "stat", "status": "signed"},
        broad_spectrum_beta_lactam(weight=2, priority="stat"),
        {"kind": "no_extra_orders", "label": "Only sepsis-bundle orders", "allow_codes": SEPSIS_EXTRAS},
        *closing_criteria(16),
    ],
    step_limit=30,
    oracle="emergency-care.sepsis-bundle",
)


def latest_weight(mrn: str):
    """The most recent body weight on the chart, in kg (one get_observations step)."""
    row = yield from newest_numeric_of(mrn, [BODY_WEIGHT])
    return row["value"]


@oracle("emergency-care.sepsis-bundle")
def sepsis_bundle(instance):
    mrn = instance.patient_mrn
    yield record_vitals(instance, "sbp", "dbp", "hr", "rr", "temp", "spo2")
    yield {"type": "read_chart_section", "mrn": mrn, "section": "allergies"}
    weight = yield from latest_weight(mrn)
    yield from place_and_sign(mrn, [
        {"orderable": "32693-4", "priority": "stat"},
        {"orderable": "600-7", "priority": "stat"},
        {"orderable": "9863-iv", "dose": sepsis_bolus_ml(weight), "route": "IV", "frequency": "ONCE",
         "priority": "stat"},
        {"orderable": "1659149", "dose": 4.5, "route": "IV", "frequency": "Q6H", "priority": "stat"},
    ], indication="Sepsis", override_reason=OVERRIDE_REASON)
    yield {"type": "finish", "message": "Sepsis bundle started."}


# Optional beside the first ten minutes' orders: nitroglycerin as needed, chest X-ray, BMP, CBC, telemetry.
CHEST_PAIN_EXTRAS = ["705129", "399208008", "24321-2", "58410-2", "710839006"]

CHEST_PAIN = template(
    task_id="ehr/emergency-care.chest-pain-workup-v1",
    title="Suspected acute coronary syndrome: first ten minutes",
    tier="workflow",
    domain="emergency-care",
    description="Linked ED steps for chest pain (AHA/ACC 2014 NSTE-ACS guideline: non-enteric-coated aspirin "
                "162-325 mg chewed as soon as possible; ECG within 10 minutes; 2021 chest pain guideline: "
                "high-sensitivity troponin): record arrival vitals, then sign a stat 12-lead ECG, a stat "
                "high-sensitivity troponin and a loading dose of aspirin chewed once, stat (162-325 mg; the oracle "
                "gives 324 mg). NSAIDs (e.g. ketorolac) are a critical safety violation in suspected ACS; orders "
                "outside the chest-pain set cost a penalty. Patients with an aspirin allergy are not selected.",
    instruction="{patient_name} (MRN {mrn}), {age} years old, arrives with {story}. Arrival vitals: blood pressure "
                "{sbp}/{dbp} mmHg, heart rate {hr}/min, respiratory rate {rr}/min, SpO2 {spo2}%. Record the vitals "
                "and start the acute coronary syndrome work-up, all stat: a 12-lead ECG, a high-sensitivity "
                "troponin and a loading dose of aspirin to chew. Sign the orders.",
    patient_selector={"age_min": 30, "lacks_allergy_class": "aspirin"},
    variants=[
        {"story": "45 minutes of pressure-like central chest pain radiating to the left arm", "sbp": 156,
         "dbp": 92, "hr": 98, "rr": 20, "spo2": 96},
        {"story": "chest tightness with sweating and nausea that began at rest", "sbp": 142, "dbp": 88, "hr": 104,
         "rr": 22, "spo2": 95},
        {"story": "exertional chest discomfort that did not settle with rest", "sbp": 128, "dbp": 80, "hr": 86,
         "rr": 18, "spo2": 98},
    ],
    rubric=[
        vitals_recorded("Arrival vitals recorded", "sbp", "dbp", "hr", "rr", "spo2"),
        signed_order("Stat 12-lead ECG", "29303009", weight=2, priority="stat"),
        signed_order("Stat high-sensitivity troponin", "89579-7", weight=2, priority="stat"),
        {"kind": "order_placed", "weight": 2, "label": "Aspirin 162-325 mg chewed once, stat", "ingredient": "aspirin",
         "dose_min": 162, "dose_max": 325, "route": "PO", "frequency": "ONCE", "priority": "stat",
         "status": "signed"},
        no_order_of("No NSAID in suspected acute coronary syndrome", ["nsaid"]),
        {"kind": "no_extra_orders", "label": "Only chest-pain work-up orders", "allow_codes": CHEST_PAIN_EXTRAS},
        *closing_criteria(14),
    ],
    step_limit=25,
    oracle="emergency-care.chest-pain-workup",
)


@oracle("emergency-care.chest-pain-workup")
def chest_pain_workup(instance):
    mrn = instance.patient_mrn
    yield record_vitals(instance, "sbp", "dbp", "hr", "rr", "spo2")
    yield from place_and_sign(mrn, [
        {"orderable": "29303009", "priority": "stat",
         "reason_for_exam": "Chest pain: rule out acute coronary syndrome"},
        {"orderable": "89579-7", "priority": "stat"},
        {"orderable": "243670", "dose": 324, "route": "PO", "frequency": "ONCE", "priority": "stat",
         "instructions": "Chew four 81 mg tablets"},
    ], indication="Chest pain, suspected ACS", override_reason=OVERRIDE_REASON)
    yield {"type": "finish", "message": "ACS work-up started."}


ANAPHYLAXIS = template(
    task_id="ehr/emergency-care.anaphylaxis-bee-sting-v1",
    title="Anaphylaxis after a bee sting: treat and document the allergy",
    tier="workflow",
    domain="emergency-care",
    description="Linked ED steps (WAO anaphylaxis guidance 2020; AAAAI/ACAAI anaphylaxis practice parameter 2023: "
                "epinephrine 0.01 mg/kg IM, 0.3-0.5 mg in adults, into the thigh, at once, repeated after 5-15 "
                "minutes if needed): record the vitals, give one dose of intramuscular epinephrine 0.3-0.5 mg, "
                "stat (adjuncts such as an antihistamine, a corticosteroid or IV fluids are allowed, nothing "
                "else, and no second epinephrine order), and document the new bee venom allergy with its "
                "reaction. A beta-blocker (blunts the response to epinephrine) is a critical violation. Patients "
                "with a bee or venom allergy already recorded are not selected.",
    instruction="{patient_name} (MRN {mrn}) was stung by a bee {where} and within minutes developed {signs}. Vitals: "
                "blood pressure {sbp}/{dbp} mmHg, heart rate {hr}/min, respiratory rate {rr}/min, SpO2 {spo2}%. "
                "Record the vitals, order and sign the first-line treatment for anaphylaxis, stat, and document "
                "the new allergy with its reaction.",
    patient_selector={"age_min": 18, "lacks_allergy_substance": ["bee", "venom", "hymenoptera"]},
    variants=[
        {"where": "while gardening", "signs": "generalized hives, lip swelling and wheeze", "sbp": 88, "dbp": 50,
         "hr": 124, "rr": 26, "spo2": 92},
        {"where": "at a picnic", "signs": "throat tightness, hoarseness and light-headedness", "sbp": 82, "dbp": 46,
         "hr": 130, "rr": 24, "spo2": 94},
    ],
    rubric=[
        vitals_recorded("Vitals recorded", "sbp", "dbp", "hr", "rr", "spo2"),
        {"kind": "order_placed", "weight": 3, "label": "Epinephrine 0.3-0.5 mg IM once, stat, signed",
         "ingredient": "epinephrine", "dose_min": 0.3, "dose_max": 0.5, "route": "IM", "frequency": "ONCE",
         "priority": "stat", "status": "signed"},
        {"kind": "allergy_added", "weight": 2, "label": "Bee venom allergy recorded with anaphylaxis",
         "substance": ["bee", "venom", "hymenoptera"], "reaction": ["anaphyla"]},
        no_order_of("No beta-blocker during anaphylaxis", ["beta-blocker"]),
        {"kind": "no_extra_orders", "label": "Only anaphylaxis treatment",
         "allow_drug_classes": ["antihistamine", "corticosteroid", "iv-fluid", "h2-blocker"],
         "allow_codes": ["371908008"]},
        *closing_criteria(12),
    ],
    step_limit=25,
    oracle="emergency-care.anaphylaxis-bee-sting",
)


@oracle("emergency-care.anaphylaxis-bee-sting")
def anaphylaxis_bee_sting(instance):
    mrn = instance.patient_mrn
    yield record_vitals(instance, "sbp", "dbp", "hr", "rr", "spo2")
    placed = yield {"type": "place_order", "mrn": mrn, "orderable": "1870230", "dose": 0.3, "route": "IM",
                    "frequency": "ONCE", "priority": "stat", "indication": "Anaphylaxis after a bee sting"}
    yield from sign_answering_alerts(mrn, [placed_order_id(placed)], override_reason=OVERRIDE_REASON)
    yield {"type": "add_allergy", "mrn": mrn, "substance": "Bee venom", "category": "environment",
           "reaction": "Anaphylaxis", "severity": "severe", "criticality": "high"}
    yield {"type": "finish", "message": "Epinephrine given and bee venom allergy documented."}
