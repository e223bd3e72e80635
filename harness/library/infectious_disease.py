"""Infectious disease: cultures, urinary tract infection, pneumonia and sepsis."""

from harness import browser_oracles as browser
from harness.browser_oracles import browser_oracle
from harness.library import template
from harness.library.builders import closing_criteria, record_vitals
from harness.library.emergency_care import (
    BODY_WEIGHT,
    NORMAL_SALINE,
    SEPSIS_BOLUS,
    latest_weight,
    sepsis_bolus_ml,
)
from harness.library.regimens import ROUTINE_OR_URGENT, URGENT_OR_STAT, schedule
from harness.oracles import oracle, placed_order_id, sign_answering_alerts

PREGNANCY, KIDNEY_DISEASE = "72892002", ["431857002", "433144002", "161665007", "698306007"]

URINE_STUDIES = template(
    task_id="ehr/infectious-disease.urine-studies-v1",
    title="Urinalysis and urine culture before treating a urinary infection",
    tier="skill",
    domain="infectious-disease",
    description="Order entry (IDSA 2010 cystitis guideline; a urine culture before antibiotics when the diagnosis "
                "is uncertain): a routine urinalysis and urine culture for urinary symptoms, to be sent before any "
                "antibiotic. Antibiotics or other orders cost a penalty and fail the task.",
    instruction="{patient_name} (MRN {mrn}) reports {symptoms}. Before any antibiotic is chosen, order and sign a "
                "routine urinalysis and a urine culture.",
    patient_selector={"age_min": 18},
    variants=[
        {"symptoms": "dysuria and urinary frequency for two days"},
        {"symptoms": "new urinary urgency with suprapubic discomfort"},
    ],
    rubric=[
        {"kind": "order_placed", "weight": 2, "label": "Urinalysis, routine", "code": "24357-6",
         "priority": "routine"},
        {"kind": "order_placed", "weight": 2, "label": "Urine culture, routine", "code": "630-4",
         "priority": "routine"},
        {"kind": "no_extra_orders", "label": "Nothing beyond the two urine studies"},
        *closing_criteria(10),
    ],
    step_limit=20,
    oracle="infectious-disease.urine-studies",
)


@oracle("infectious-disease.urine-studies")
def urine_studies(instance):
    mrn = instance.patient_mrn
    yield {"type": "place_order", "mrn": mrn, "orderable": "24357-6"}
    yield {"type": "place_order", "mrn": mrn, "orderable": "630-4"}
    yield from sign_answering_alerts(mrn, override_reason="Diagnostic urine studies are indicated.")
    yield {"type": "finish", "message": "Urine studies ordered."}


CYSTITIS = template(
    task_id="ehr/infectious-disease.uncomplicated-cystitis-v1",
    title="First-line antibiotic for uncomplicated cystitis",
    tier="objective",
    domain="infectious-disease",
    description="Order entry toward a goal (IDSA/ESCMID 2010 acute uncomplicated cystitis guideline): one "
                "first-line oral course, nitrofurantoin monohydrate/macrocrystals 100 mg twice daily for 5 days or "
                "trimethoprim-sulfamethoxazole 160/800 mg (one DS tablet) twice daily for 3 days. Fluoroquinolones "
                "(FDA: reserve for no alternative) and beta-lactams are not first line and fail; a fluoroquinolone "
                "is a critical violation. Non-pregnant women 18-64 without kidney disease on the problem list or a "
                "creatinine clearance below 30 mL/min (Beers 2023: no nitrofurantoin; TMP-SMX needs halving), "
                "sulfonamide allergy, methotrexate or warfarin.",
    instruction="{patient_name} (MRN {mrn}) has {presentation}, consistent with acute uncomplicated cystitis; she "
                "is not pregnant. Order and sign one first-line oral antibiotic at the standard dose, as one order "
                "for the whole course (dose, frequency and number of days), taking her allergies, medications and "
                "kidney function into account.",
    patient_selector={"sex": "female", "age_min": 18, "age_max": 64,
                      "lacks_condition_codes": [PREGNANCY, *KIDNEY_DISEASE],
                      "lacks_allergy_class": "sulfonamide-antibiotic",
                      "lacks_medication_rxnorm": ["105585"], "lacks_medication_class": ["vka"],
                      "kidney_function": {"measure": "crcl", "min": 30, "unknown": "include"}},
    variants=[
        {"presentation": "two days of dysuria, frequency and urgency without fever or flank pain"},
        {"presentation": "burning on urination and suprapubic pain since yesterday, afebrile, no back pain"},
    ],
    rubric=[
        {"kind": "any_of", "weight": 3, "label": "A first-line course: nitrofurantoin 5 days or TMP-SMX DS 3 days",
         "criteria": [
             {"kind": "order_placed", "label": "Nitrofurantoin 100 mg PO twice daily for 5 days",
              "ingredient": "nitrofurantoin", "dose": 100, "route": "PO", "frequency": schedule("BID"),
              "duration_days": 5, "priority": ROUTINE_OR_URGENT},
             {"kind": "order_placed", "label": "TMP-SMX 160/800 mg (1 DS tablet) PO twice daily for 3 days",
              "ingredient": "sulfamethoxazole-trimethoprim", "dose": 1, "route": "PO", "frequency": schedule("BID"),
              "duration_days": 3, "priority": ROUTINE_OR_URGENT},
         ]},
        {"kind": "order_absent", "label": "No fluoroquinolone for uncomplicated cystitis",
         "drug_class": "fluoroquinolone"},
        {"kind": "no_extra_orders", "label": "One antibiotic, nothing else", "order_types": ["medication"]},
        *closing_criteria(12),
    ],
    step_limit=20,
    oracle="infectious-disease.uncomplicated-cystitis",
)


@oracle("infectious-disease.uncomplicated-cystitis")
def uncomplicated_cystitis(instance):
    """Nitrofurantoin 100 mg BID for 5 days; TMP-SMX DS BID for 3 days if nitrofurantoin draws a warning."""
    mrn = instance.patient_mrn
    yield {"type": "read_chart_section", "mrn": mrn, "section": "allergies"}
    placed = yield {"type": "place_order", "mrn": mrn, "orderable": "1648755", "dose": 100, "route": "PO",
                    "frequency": "BID", "duration_days": 5, "indication": "Acute uncomplicated cystitis"}
    order_id = placed_order_id(placed)
    signed = yield {"type": "sign_orders", "mrn": mrn, "order_ids": [order_id]}
    if signed["last_action_result"]["blocked_by_alerts"]:
        yield {"type": "cancel_order", "mrn": mrn, "order_id": order_id, "reason": "Decision-support warning"}
        placed = yield {"type": "place_order", "mrn": mrn, "orderable": "198335", "dose": 1, "route": "PO",
                        "frequency": "BID", "duration_days": 3, "indication": "Acute uncomplicated cystitis"}
        yield from sign_answering_alerts(mrn, [placed_order_id(placed)],
                                         override_reason="First-line agent for cystitis; alert reviewed.")
    yield {"type": "finish", "message": "Cystitis treated."}



PNEUMONIA_ADMISSION = template(
    task_id="ehr/infectious-disease.pneumonia-admission-v1",
    title="Admit community-acquired pneumonia with the order set",
    tier="workflow",
    domain="infectious-disease",
    description="Linked steps: admission vitals, the community-acquired pneumonia order set (ATS/IDSA 2019 "
                "non-severe inpatient CAP: ceftriaxone 1-2 g IV daily plus azithromycin 500 mg daily, IV or by "
                "mouth; chest X-ray urgent, CBC, BMP and a SARS-CoV-2 test urgent, oxygen titrated) pended and signed "
                "with alerts answered, each order as the set builds it. The set's blood cultures are allowed but "
                "not asked for: ATS/IDSA 2019 advises them in non-severe CAP only with MRSA or Pseudomonas risk. "
                "Patients with a penicillin or cephalosporin allergy are not asked.",
    instruction="{patient_name} (MRN {mrn}) is admitted to the medical ward with community-acquired pneumonia "
                "({presentation}). Record the admission vitals (temperature {temp} °C, heart rate {hr}/min, "
                "respiratory rate {rr}/min, SpO2 {spo2}%), then place and sign the standard inpatient pneumonia "
                "orders, answering any decision-support alerts as you judge right.",
    patient_selector={"age_min": 18, "lacks_allergy_class": "penicillin",
                      "lacks_allergy_substance": ["cephalosporin", "ceftriaxone", "cephalexin", "azithromycin"]},
    variants=[
        {"presentation": "productive cough and right basilar crackles", "temp": 38.6, "hr": 108, "rr": 24,
         "spo2": 90},
        {"presentation": "fever, pleuritic chest pain and left lower lobe consolidation", "temp": 39.1, "hr": 112,
         "rr": 22, "spo2": 92},
    ],
    rubric=[
        {"kind": "vitals_recorded", "label": "Admission vitals recorded",
         "values": {"temperature": "{temp}", "heart_rate": "{hr}", "respiratory_rate": "{rr}", "spo2": "{spo2}"}},
        {"kind": "order_placed", "weight": 2, "label": "Ceftriaxone 1-2 g IV daily", "ingredient": "ceftriaxone",
         "dose": [1000, 2000], "route": "IV", "frequency": schedule("DAILY"), "priority": ROUTINE_OR_URGENT},
        {"kind": "order_placed", "weight": 2, "label": "Azithromycin 500 mg IV or PO daily (atypical coverage)",
         "ingredient": "azithromycin", "dose": 500, "route": ["IV", "PO"], "frequency": schedule("DAILY"),
         "priority": ROUTINE_OR_URGENT},
        {"kind": "order_placed", "label": "Chest X-ray, urgent", "code": "399208008", "priority": URGENT_OR_STAT},
        {"kind": "order_placed", "label": "Complete blood count, urgent", "code": "58410-2",
         "priority": URGENT_OR_STAT},
        {"kind": "order_placed", "label": "Basic metabolic panel, urgent", "code": "24321-2",
         "priority": URGENT_OR_STAT},
        {"kind": "order_placed", "label": "SARS-CoV-2 RNA test, urgent", "code": "94531-1",
         "priority": URGENT_OR_STAT},
        {"kind": "order_placed", "label": "Oxygen titrated to SpO2", "code": "371908008",
         "priority": ROUTINE_OR_URGENT},
        # Blood cultures (in the set) are neither asked for nor an extra: a judgement call in non-severe CAP.
        {"kind": "no_extra_orders", "label": "Nothing beyond the pneumonia admission orders", "allow_codes": ["600-7"]},
        *closing_criteria(12),
    ],
    step_limit=25,
    oracle="infectious-disease.pneumonia-admission",
)


@oracle("infectious-disease.pneumonia-admission")
def pneumonia_admission(instance):
    mrn = instance.patient_mrn
    yield record_vitals(instance, "temp", "hr", "rr", "spo2")
    yield {"type": "apply_order_set", "mrn": mrn, "slug": "community-acquired-pneumonia"}
    yield from sign_answering_alerts(mrn, override_reason="Guideline pneumonia therapy; benefit outweighs risk.")
    yield {"type": "finish", "message": "Pneumonia admission orders signed."}


# The sepsis order set's other orders, pinned as the set builds them: a CMP and CBC stat, a urinalysis and urine
# culture urgent (a source work-up).
SEPSIS_SET_WORKUP = [
    {"kind": "order_placed", "label": "Comprehensive metabolic panel, stat", "code": "24323-8", "priority": "stat"},
    {"kind": "order_placed", "label": "Complete blood count, stat", "code": "58410-2", "priority": "stat"},
    {"kind": "order_placed", "label": "Urinalysis, urgent", "code": "24357-6", "priority": URGENT_OR_STAT},
    {"kind": "order_placed", "label": "Urine culture, urgent", "code": "630-4", "priority": URGENT_OR_STAT},
]
PIPERACILLIN_TAZOBACTAM, CEFEPIME_2G, VANCOMYCIN_1G, SALINE = "1659149", "1665088", "1807513", "9863-iv"
# Vancomycin for MRSA in sepsis (ASHP/IDSA/PIDS/SIDP 2020 vancomycin guideline): a loading dose of 20-35 mg/kg
# of actual body weight (at most 3 g), or 15-20 mg/kg every 8-12 hours; accepted 15-35 mg/kg, in 250 mg steps.
SEPSIS_VANCOMYCIN = {"fact": "weight_based_dose", "per_kg": 20, "per_kg_min": 15, "per_kg_max": 35, "round_to": 250,
                     "cap": 3000}

SEPSIS_PENICILLIN_ALLERGY = template(
    task_id="ehr/infectious-disease.sepsis-penicillin-allergy-v1",
    title="Sepsis bundle in a penicillin-allergic patient",
    tier="workflow",
    domain="infectious-disease",
    description="Linked steps (Surviving Sepsis Campaign 2021; AAAAI/ACAAI 2022 drug allergy practice parameter: a "
                "cephalosporin with a dissimilar side chain may be given after a penicillin allergy): the sepsis "
                "(SEP-1) order set pended, its piperacillin-tazobactam removed for the documented penicillin "
                "allergy (signing any penicillin is a critical violation) and replaced by cefepime 2 g IV every 8 "
                "hours, stat (the cross-reactivity warning is acknowledged); the set's saline bolus set to 30 "
                "mL/kg by the latest weight (27-33 mL/kg accepted, at most 4 L) and its vancomycin to a weight-based "
                "dose (15-35 mg/kg, at most 3 g, every 8-12 hours); lactate and blood cultures stat; the set's "
                "CMP and CBC (stat), urinalysis and urine culture (urgent) as built. Patients "
                "without a weight or with a creatinine clearance below 60 mL/min (cefepime and vancomycin would "
                "need renal dosing) are not asked.",
    instruction="{patient_name} (MRN {mrn}) meets sepsis criteria ({presentation}), source not yet clear. Start the "
                "sepsis bundle, all stat: a lactate, blood cultures before antibiotics, a normal saline bolus of 30 "
                "mL/kg by their most recent recorded weight, and broad-spectrum antibiotics with MRSA coverage "
                "(vancomycin dosed by that weight, 15-20 mg/kg every 12 hours or a 20-35 mg/kg loading dose). "
                "Check the allergy list: if the standard anti-pseudomonal beta-lactam cannot be given, use "
                "cefepime 2 g IV every 8 hours instead. Sign the orders, answering decision-support alerts as you "
                "judge right.",
    patient_selector={"age_min": 18, "has_allergy_class": "penicillin",
                      "lacks_allergy_substance": ["cephalosporin", "cefepime", "vancomycin"],
                      "has_observation": {"loincs": [BODY_WEIGHT], "numeric": True},
                      "kidney_function": {"measure": "crcl", "min": 60, "unknown": "include"}},
    variants=[
        {"presentation": "temperature 38.9 °C, heart rate 118/min, blood pressure 88/52 mmHg"},
        {"presentation": "rigors, heart rate 124/min, respiratory rate 26/min, new confusion"},
        {"presentation": "temperature 35.6 °C, heart rate 110/min, blood pressure 92/58 mmHg, mottled skin"},
    ],
    facts={"bolus": SEPSIS_BOLUS, "vancomycin": SEPSIS_VANCOMYCIN},
    rubric=[
        {"kind": "order_placed", "weight": 2, "label": "Lactate, stat", "code": "32693-4", "priority": "stat"},
        {"kind": "order_placed", "weight": 2, "label": "Blood cultures, stat", "code": "600-7", "priority": "stat"},
        {"kind": "order_placed", "label": "Normal saline {bolus_min}-{bolus_max} mL IV once, stat (30 mL/kg of "
                                          "{bolus_weight} kg)",
         "code": NORMAL_SALINE, "dose_min": "{bolus_min}", "dose_max": "{bolus_max}", "route": "IV",
         "frequency": "ONCE", "priority": "stat"},
        {"kind": "order_placed", "weight": 2, "label": "Cefepime 2 g IV every 8 hours, stat", "ingredient": "cefepime",
         "dose": 2000, "route": "IV", "frequency": "Q8H", "priority": "stat"},
        {"kind": "order_placed", "weight": 2, "label": "Vancomycin {vancomycin_min}-{vancomycin_max} mg IV every "
                                                       "8-12 hours, stat (MRSA coverage)",
         "ingredient": "vancomycin", "dose_min": "{vancomycin_min}", "dose_max": "{vancomycin_max}", "route": "IV",
         "frequency": ["Q8H", "Q12H"], "priority": "stat"},
        *SEPSIS_SET_WORKUP,
        {"kind": "order_absent", "label": "No penicillin for a penicillin-allergic patient",
         "drug_class": "penicillin"},
        {"kind": "no_extra_orders", "label": "Nothing beyond the sepsis bundle"},
        *closing_criteria(20),
    ],
    step_limit=30,
    oracle="infectious-disease.sepsis-penicillin-allergy",
)


@oracle("infectious-disease.sepsis-penicillin-allergy")
def sepsis_penicillin_allergy(instance):
    mrn = instance.patient_mrn
    yield {"type": "read_chart_section", "mrn": mrn, "section": "allergies"}
    weight = yield from latest_weight(mrn)
    applied = yield {"type": "apply_order_set", "mrn": mrn, "slug": "sepsis"}
    for order in applied["last_action_result"]["orders"]:
        if order["orderable"] == PIPERACILLIN_TAZOBACTAM:
            yield {"type": "cancel_order", "mrn": mrn, "order_id": order["id"], "reason": "Penicillin allergy"}
        elif order["orderable"] == SALINE:
            yield {"type": "update_order", "mrn": mrn, "order_id": order["id"], "dose": sepsis_bolus_ml(weight)}
        elif order["orderable"] == VANCOMYCIN_1G:
            # 20 mg/kg to the nearest 250 mg, at most 3 g (what SEPSIS_VANCOMYCIN's answer is).
            yield {"type": "update_order", "mrn": mrn, "order_id": order["id"],
                   "dose": min(round(20 * weight / 250) * 250, 3000)}
    yield {"type": "place_order", "mrn": mrn, "orderable": CEFEPIME_2G, "dose": 2000, "route": "IV",
           "frequency": "Q8H", "priority": "stat", "indication": "Sepsis, source unknown; penicillin allergy"}
    yield from sign_answering_alerts(mrn, override_reason="Sepsis: empiric therapy needed now; benefit outweighs "
                                                          "the flagged risk.")
    yield {"type": "finish", "message": "Sepsis bundle signed."}


@browser_oracle("infectious-disease.sepsis-penicillin-allergy")
def sepsis_penicillin_allergy_in_browser(instance):
    """Check the allergy list and the latest weight, apply the sepsis set, dose its saline bolus (30 mL/kg) and
    vancomycin (20 mg/kg) by that weight, swap its penicillin for cefepime if allergic, sign."""
    allergies = yield from browser.open_section(instance.patient_mrn, "allergies")
    # Penicillins are the -cillins (penicillin V, amoxicillin, piperacillin...).
    allergic = any("cillin" in substance.lower() for substance in browser.active_allergy_list(allergies))
    weight = browser.storyboard_vital(allergies, "Weight")
    yield from browser.click("chart-tab-orders")
    pended = yield from browser.click("order-set-sepsis")
    # 30 mL/kg and 20 mg/kg, to the nearest 250, at most 4 L and 3 g (as the semantic oracle doses them).
    bolus, vancomycin = min(round(30 * weight / 250) * 250, 4000), min(round(20 * weight / 250) * 250, 3000)
    pended = yield from browser.edit_pended(pended, "sodium chloride", {"dose": str(bolus)})
    pended = yield from browser.edit_pended(pended, "vancomycin", {"dose": str(vancomycin)})
    if allergic:
        row = browser.pended_row(pended, "piperacillin")
        if row is not None:
            yield from browser.click(row.find(role="button", bid_prefix="pended-order-remove-").bid)
        yield from browser.place_order("cefepime", "1665088", {"dose": "2000", "route": "IV – Intravenous",
                                                               "frequency": "Every 8 hours", "priority": "STAT"})
    yield from browser.sign_orders("Sepsis: empiric therapy needed now; benefit outweighs the flagged risk.")
    yield {"type": "finish", "message": "Sepsis bundle signed."}
