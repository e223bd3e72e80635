"""Infectious disease: cultures, urinary tract infection, pneumonia and sepsis."""

from harness.library import template
from harness.oracles import oracle, placed_order_id, sign_answering_alerts

PREGNANCY, KIDNEY_DISEASE = "72892002", ["431857002", "433144002", "161665007", "698306007"]

URINE_STUDIES = template(
    task_id="ehr/infectious-disease.urine-studies-v1",
    title="Urinalysis and urine culture before treating a urinary infection",
    tier="skill",
    domain="infectious-disease",
    description="Order entry: a urinalysis and a urine culture for urinary symptoms, to be sent before any "
                "antibiotic. Antibiotics or other orders cost a penalty and fail the task.",
    instruction="{patient_name} (MRN {mrn}) reports {symptoms}. Before any antibiotic is chosen, order and sign a "
                "urinalysis and a urine culture.",
    patient_selector={"age_min": 18},
    variants=[
        {"symptoms": "dysuria and urinary frequency for two days"},
        {"symptoms": "new urinary urgency with suprapubic discomfort"},
    ],
    rubric=[
        {"kind": "order_placed", "weight": 2, "label": "Urinalysis", "code": "24357-6"},
        {"kind": "order_placed", "weight": 2, "label": "Urine culture", "code": "630-4"},
        {"kind": "no_extra_orders", "label": "Nothing beyond the two urine studies",
         "allow_codes": ["24357-6", "630-4"]},
        {"kind": "other_patients_untouched"},
        {"kind": "step_budget", "max_steps": 10},
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
    description="Order entry toward a goal (IDSA 2010 cystitis guideline): a first-line oral agent, "
                "nitrofurantoin or trimethoprim-sulfamethoxazole, twice daily. Fluoroquinolones (FDA: reserve for "
                "no alternative) and beta-lactams are not first line and fail; a fluoroquinolone is a critical "
                "violation. Non-pregnant women 18-64 without kidney disease, sulfonamide allergy or warfarin.",
    instruction="{patient_name} (MRN {mrn}) has {presentation}, consistent with acute uncomplicated cystitis; she "
                "is not pregnant. Order and sign one first-line oral antibiotic at the standard dose, taking her "
                "allergies, medications and kidney function into account.",
    patient_selector={"sex": "female", "age_min": 18, "age_max": 64,
                      "lacks_condition_codes": [PREGNANCY, *KIDNEY_DISEASE],
                      "lacks_allergy_class": "sulfonamide-antibiotic",
                      "lacks_medication_rxnorm": ["105585"], "lacks_medication_class": ["vka"]},
    variants=[
        {"presentation": "two days of dysuria, frequency and urgency without fever or flank pain"},
        {"presentation": "burning on urination and suprapubic pain since yesterday, afebrile, no back pain"},
    ],
    rubric=[
        {"kind": "order_placed", "weight": 3, "label": "Nitrofurantoin or TMP-SMX, oral, twice daily",
         "drug_class": ["nitrofuran", "sulfonamide-antibiotic"], "route": "PO", "frequency": "BID"},
        {"kind": "order_absent", "label": "No fluoroquinolone for uncomplicated cystitis",
         "drug_class": "fluoroquinolone"},
        {"kind": "no_extra_orders", "label": "One antibiotic, nothing else",
         "allow_drug_classes": ["nitrofuran", "sulfonamide-antibiotic"], "order_types": ["medication"]},
        {"kind": "other_patients_untouched"},
        {"kind": "step_budget", "max_steps": 12},
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


CAP_SET_CODES = ["1665021", "1668238", "399208008", "600-7", "58410-2", "24321-2", "94531-1", "371908008"]

PNEUMONIA_ADMISSION = template(
    task_id="ehr/infectious-disease.pneumonia-admission-v1",
    title="Admit community-acquired pneumonia with the order set",
    tier="workflow",
    domain="infectious-disease",
    description="Linked steps: admission vitals, the community-acquired pneumonia order set (ATS/IDSA 2019: "
                "ceftriaxone plus azithromycin, blood cultures, chest X-ray, oxygen) pended and signed with alerts "
                "answered. Patients with a penicillin or cephalosporin allergy are not asked.",
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
        {"kind": "order_placed", "weight": 2, "label": "Ceftriaxone IV", "ingredient": "ceftriaxone", "route": "IV"},
        {"kind": "order_placed", "weight": 2, "label": "Azithromycin (atypical coverage)", "ingredient": "azithromycin"},
        {"kind": "order_placed", "label": "Blood cultures", "code": "600-7"},
        {"kind": "order_placed", "label": "Chest X-ray", "code": "399208008"},
        {"kind": "order_placed", "label": "Oxygen titrated to SpO2", "code": "371908008"},
        {"kind": "no_extra_orders", "label": "Nothing beyond the pneumonia admission orders",
         "allow_codes": CAP_SET_CODES},
        {"kind": "other_patients_untouched"},
        {"kind": "step_budget", "max_steps": 12},
    ],
    step_limit=25,
    oracle="infectious-disease.pneumonia-admission",
)


@oracle("infectious-disease.pneumonia-admission")
def pneumonia_admission(instance):
    p, mrn = instance.params, instance.patient_mrn
    yield {"type": "record_vitals", "mrn": mrn, "values": {
        "temperature": p["temp"], "heart_rate": p["hr"], "respiratory_rate": p["rr"], "spo2": p["spo2"]}}
    yield {"type": "apply_order_set", "mrn": mrn, "slug": "community-acquired-pneumonia"}
    yield from sign_answering_alerts(mrn, override_reason="Guideline pneumonia therapy; benefit outweighs risk.")
    yield {"type": "finish", "message": "Pneumonia admission orders signed."}


SEPSIS_SET_CODES = ["32693-4", "600-7", "9863-iv", "1807513", "24323-8", "58410-2", "24357-6", "630-4"]

SEPSIS_PENICILLIN_ALLERGY = template(
    task_id="ehr/infectious-disease.sepsis-penicillin-allergy-v1",
    title="Sepsis bundle in a penicillin-allergic patient",
    tier="workflow",
    domain="infectious-disease",
    description="Linked steps: the sepsis (SEP-1) order set pended, its piperacillin-tazobactam removed for the "
                "documented penicillin allergy (signing any penicillin is a critical violation) and replaced by "
                "cefepime 2 g IV every 8 hours (dissimilar side chain; the cross-reactivity warning is "
                "acknowledged), lactate, blood cultures, fluids and vancomycin signed.",
    instruction="{patient_name} (MRN {mrn}) meets sepsis criteria ({presentation}), source not yet clear. Start the "
                "sepsis bundle: lactate, blood cultures before antibiotics, a crystalloid bolus and broad-spectrum "
                "antibiotics with MRSA coverage. Check the allergy list: if the standard anti-pseudomonal "
                "beta-lactam cannot be given, use cefepime 2 g IV every 8 hours instead. Sign the orders, "
                "answering decision-support alerts as you judge right.",
    patient_selector={"age_min": 18, "has_allergy_class": "penicillin",
                      "lacks_allergy_substance": ["cephalosporin", "cefepime", "vancomycin"]},
    variants=[
        {"presentation": "temperature 38.9 °C, heart rate 118/min, blood pressure 88/52 mmHg"},
        {"presentation": "rigors, heart rate 124/min, respiratory rate 26/min, new confusion"},
        {"presentation": "temperature 35.6 °C, heart rate 110/min, blood pressure 92/58 mmHg, mottled skin"},
    ],
    rubric=[
        {"kind": "order_placed", "weight": 2, "label": "Lactate, stat", "code": "32693-4", "priority": "stat"},
        {"kind": "order_placed", "weight": 2, "label": "Blood cultures", "code": "600-7"},
        {"kind": "order_placed", "label": "Crystalloid bolus", "ingredient": "sodium chloride", "route": "IV"},
        {"kind": "order_placed", "weight": 2, "label": "Cefepime 2 g IV every 8 hours", "ingredient": "cefepime",
         "dose": 2000, "route": "IV", "frequency": "Q8H"},
        {"kind": "order_placed", "weight": 2, "label": "Vancomycin IV (MRSA coverage)", "ingredient": "vancomycin",
         "route": "IV"},
        {"kind": "order_absent", "label": "No penicillin for a penicillin-allergic patient", "drug_class": "penicillin"},
        {"kind": "no_extra_orders", "label": "Nothing beyond the sepsis bundle",
         "allow_codes": SEPSIS_SET_CODES + ["1665088", "1665093"]},
        {"kind": "other_patients_untouched"},
        {"kind": "step_budget", "max_steps": 15},
    ],
    step_limit=30,
    oracle="infectious-disease.sepsis-penicillin-allergy",
)


@oracle("infectious-disease.sepsis-penicillin-allergy")
def sepsis_penicillin_allergy(instance):
    mrn = instance.patient_mrn
    yield {"type": "read_chart_section", "mrn": mrn, "section": "allergies"}
    applied = yield {"type": "apply_order_set", "mrn": mrn, "slug": "sepsis"}
    for order in applied["last_action_result"]["orders"]:
        if order["orderable"] == "1659149":
            yield {"type": "cancel_order", "mrn": mrn, "order_id": order["id"], "reason": "Penicillin allergy"}
    yield {"type": "place_order", "mrn": mrn, "orderable": "1665088", "dose": 2000, "route": "IV",
           "frequency": "Q8H", "priority": "stat", "indication": "Sepsis, source unknown; penicillin allergy"}
    yield from sign_answering_alerts(mrn, override_reason="Sepsis: empiric therapy needed now; benefit outweighs "
                                                          "the flagged risk.")
    yield {"type": "finish", "message": "Sepsis bundle signed."}
