"""Nephrology: kidney-disease screening, staging and renal dosing."""

from harness.library import template
from harness.oracles import oracle, placed_order_id, sign_answering_alerts

EGFR = ["33914-3"]
CKD_SCREENING_CONDITIONS = ["59621000", "44054006", "127013003", "157141000119108", "90781000119102",
                            "368581000119106"]  # hypertension, type 2 diabetes and its kidney/nerve complications

KIDNEY_SCREENING = template(
    task_id="ehr/nephrology.ckd-screening-labs-v1",
    title="Annual kidney screening labs for hypertension or diabetes",
    tier="skill",
    domain="nephrology",
    description="Order entry: the two KDIGO/ADA screening tests for chronic kidney disease (a serum creatinine "
                "for eGFR, in a basic metabolic panel, and a urine albumin-to-creatinine ratio) for a patient "
                "with hypertension or diabetes.",
    instruction="{patient_name} (MRN {mrn}) has {reason} and is due for annual chronic kidney disease screening. "
                "Order and sign the two routine screening tests: a basic metabolic panel (for eGFR) and a urine "
                "albumin-to-creatinine ratio.",
    patient_selector={"age_min": 18, "has_condition_codes": "{conditions}"},
    variants=[
        {"reason": "hypertension", "conditions": ["59621000"]},
        {"reason": "type 2 diabetes", "conditions": CKD_SCREENING_CONDITIONS[1:]},
    ],
    rubric=[
        {"kind": "order_placed", "weight": 2, "label": "Basic metabolic panel", "code": ["24321-2", "24323-8"]},
        {"kind": "order_placed", "weight": 2, "label": "Urine albumin-to-creatinine ratio", "code": "14959-1"},
        {"kind": "no_extra_orders", "label": "Nothing beyond the two screening tests",
         "allow_codes": ["24321-2", "24323-8", "14959-1"]},
        {"kind": "other_patients_untouched"},
        {"kind": "step_budget", "max_steps": 10},
    ],
    step_limit=20,
    oracle="nephrology.ckd-screening-labs",
)


@oracle("nephrology.ckd-screening-labs")
def ckd_screening_labs(instance):
    mrn = instance.patient_mrn
    yield {"type": "place_order", "mrn": mrn, "orderable": "24321-2"}
    yield {"type": "place_order", "mrn": mrn, "orderable": "14959-1"}
    yield from sign_answering_alerts(mrn, override_reason="Routine screening labs are indicated.")
    yield {"type": "finish", "message": "Screening labs ordered."}


CKD_STAGES = [[90, "G1"], [60, "G2"], [45, "G3a"], [30, "G3b"], [15, "G4"], [0, "G5"]]

CKD_STAGE = template(
    task_id="ehr/nephrology.ckd-gfr-category-v1",
    title="GFR category (CKD stage) from the latest eGFR",
    tier="objective",
    domain="nephrology",
    description="Interpretation: read the newest eGFR and give its KDIGO GFR category (G1 >= 90, G2 60-89, G3a "
                "45-59, G3b 30-44, G4 15-29, G5 < 15). The expected category is computed from the episode's "
                "chart at reset.",
    instruction="{patient_name} (MRN {mrn}) {context}. Using the most recent eGFR on the chart, what is the KDIGO "
                "GFR category? Answer with the category only (G1, G2, G3a, G3b, G4 or G5).",
    patient_selector={"age_min": 18, "has_observation": {"loincs": EGFR, "numeric": True}},
    variants=[
        {"context": "is being reviewed before a nephrology referral"},
        {"context": "needs their kidney function staged before a new medication is dosed"},
    ],
    facts={"stage": {"fact": "observation_band", "loincs": EGFR, "bands": CKD_STAGES}},
    rubric=[
        {"kind": "answer_matches", "label": "KDIGO category of the latest eGFR ({stage_value} {stage_unit})",
         "expected": "{stage}", "choices": ["G1", "G2", "G3a", "G3b", "G4", "G5"]},
        {"kind": "step_budget", "max_steps": 8},
    ],
    step_limit=15,
    oracle="nephrology.ckd-gfr-category",
)


@oracle("nephrology.ckd-gfr-category")
def ckd_gfr_category(instance):
    observation = yield {"type": "get_observations", "mrn": instance.patient_mrn, "loinc": EGFR[0], "limit": 5}
    rows = [r for r in observation["last_action_result"]["observations"] if isinstance(r["value"], int | float)]
    value = max(rows, key=lambda r: r["effective_at"])["value"]
    stage = next(label for bound, label in CKD_STAGES if value >= bound)
    yield {"type": "answer", "answer": stage}


RENAL_FAMOTIDINE = template(
    task_id="ehr/nephrology.renal-dose-famotidine-v1",
    title="Renally dose famotidine",
    tier="objective",
    domain="nephrology",
    description="Order entry with renal dosing: famotidine 20 mg PO twice daily, or once daily when creatinine "
                "clearance is below 50 mL/min (the label's 50% reduction; decision support warns). The expected "
                "frequency is computed at reset from the kidney function decision support reads. Patients "
                "already on acid suppression are not asked.",
    instruction="{patient_name} (MRN {mrn}) has {indication}. Start famotidine 20 mg by mouth, twice daily, or "
                "once daily if the patient's kidney function calls for renal dose adjustment. Review the kidney "
                "function, then order and sign it.",
    patient_selector={"age_min": 18, "has_lab_loinc": ["33914-3", "2160-0", "38483-4"],
                      "lacks_medication_class": ["h2-blocker", "ppi"]},
    variants=[
        {"indication": "new heartburn and dyspepsia without alarm features"},
        {"indication": "gastro-esophageal reflux symptoms after meals"},
    ],
    facts={"frequency": {"fact": "kidney_function_band", "measure": "crcl",
                         "bands": [[50, "BID"], [0, "DAILY"]]}},
    rubric=[
        {"kind": "order_placed", "weight": 3, "label": "Famotidine 20 mg PO {frequency} for this kidney function",
         "ingredient": "famotidine", "dose": 20, "route": "PO", "frequency": "{frequency}"},
        {"kind": "section_visited", "section": "results", "required": False, "label": "Kidney function reviewed"},
        {"kind": "no_extra_orders", "label": "Nothing ordered beyond famotidine", "allow_drug_classes": ["h2-blocker"]},
        {"kind": "other_patients_untouched"},
        {"kind": "step_budget", "max_steps": 12},
    ],
    step_limit=20,
    oracle="nephrology.renal-dose-famotidine",
)


@oracle("nephrology.renal-dose-famotidine")
def renal_dose_famotidine(instance):
    """Order the usual dose; if the renal alert fires, drop to once daily and sign again."""
    mrn = instance.patient_mrn
    yield {"type": "read_chart_section", "mrn": mrn, "section": "results"}
    placed = yield {"type": "place_order", "mrn": mrn, "orderable": "310273", "dose": 20, "route": "PO",
                    "frequency": "BID", "indication": instance.params["indication"]}
    order_id = placed_order_id(placed)
    signed = yield {"type": "sign_orders", "mrn": mrn, "order_ids": [order_id]}
    alerts = signed["last_action_result"]["blocked_by_alerts"]
    if any(alert["rule"] == "renal" for alert in alerts):
        yield {"type": "update_order", "mrn": mrn, "order_id": order_id, "frequency": "DAILY"}
    if alerts:
        yield from sign_answering_alerts(mrn, [order_id], override_reason="Indicated; dose reviewed.")
    yield {"type": "finish", "message": "Famotidine ordered."}
