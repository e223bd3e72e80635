"""Nephrology: kidney-disease screening, staging and renal dosing."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.conf import settings

from harness.library import answered_from, template
from harness.library.builders import closing_criteria
from harness.library.regimens import ROUTINE_OR_URGENT
from harness.oracles import newest_numeric_of, oracle, placed_order_id, sign_answering_alerts
from orders.cds import ckd_epi_2021, cockcroft_gault

# Known kidney disease: CKD stages 1-5 and end-stage disease, diabetic kidney disease and its albuminuria,
# a kidney transplant (past, awaited or failed). Screening is for people without it.
KIDNEY_DISEASE_CODES = ["431855005", "431856006", "433144002", "431857002", "433146000", "46177005", "127013003",
                        "157141000119108", "90781000119102", "698306007", "161665007", "213150003"]
HYPERTENSION = "59621000"
TYPE_2_DIABETES = ["44054006", "368581000119106"]  # type 2 diabetes, its neuropathy

KIDNEY_SCREENING = template(
    task_id="ehr/nephrology.ckd-screening-labs-v1",
    title="Annual kidney screening labs for hypertension or diabetes",
    tier="skill",
    domain="nephrology",
    description="Order entry: the two KDIGO 2024 / ADA Standards of Care 2025 screening tests for chronic kidney "
                "disease (a serum creatinine for eGFR, in a basic metabolic panel, and a urine "
                "albumin-to-creatinine ratio), routine, for an adult with hypertension or type 2 diabetes and no "
                "known kidney disease: no CKD, diabetic kidney disease, albuminuria or kidney transplant on the "
                "problem list, no eGFR below 60 on the chart and no creatinine whose CKD-EPI 2021 eGFR is below "
                "60 (those patients need CKD monitoring, not screening).",
    instruction="{patient_name} (MRN {mrn}) has {reason}, no known kidney disease, and is due for annual chronic "
                "kidney disease screening. Order and sign the two routine screening tests: a basic metabolic "
                "panel (for eGFR) and a urine albumin-to-creatinine ratio.",
    patient_selector={"age_min": 18, "has_condition_codes": "{conditions}",
                      "lacks_condition_codes": KIDNEY_DISEASE_CODES, "lacks_reduced_egfr": {"below": 60}},
    variants=[
        {"reason": "hypertension", "conditions": [HYPERTENSION]},
        {"reason": "type 2 diabetes", "conditions": TYPE_2_DIABETES},
    ],
    rubric=[
        {"kind": "order_placed", "weight": 2, "label": "Basic (or comprehensive) metabolic panel, routine",
         "code": ["24321-2", "24323-8"], "priority": "routine"},
        {"kind": "order_placed", "weight": 2, "label": "Urine albumin-to-creatinine ratio, routine", "code": "14959-1",
         "priority": "routine"},
        {"kind": "no_extra_orders", "label": "Nothing beyond the two screening tests"},
        *closing_criteria(10),
    ],
    step_limit=20,
    oracle="nephrology.ckd-screening-labs",
)


@oracle("nephrology.ckd-screening-labs")
def ckd_screening_labs(instance):
    mrn = instance.patient_mrn
    yield {"type": "place_order", "mrn": mrn, "orderable": "24321-2", "priority": "routine"}
    yield {"type": "place_order", "mrn": mrn, "orderable": "14959-1", "priority": "routine"}
    yield from sign_answering_alerts(mrn, override_reason="Routine screening labs are indicated.")
    yield {"type": "finish", "message": "Screening labs ordered."}


CKD_STAGES = [[90, "G1"], [60, "G2"], [45, "G3a"], [30, "G3b"], [15, "G4"], [0, "G5"]]
CREATININE = ["2160-0", "38483-4"]  # serum or plasma, blood

CKD_STAGE = template(
    task_id="ehr/nephrology.ckd-gfr-category-v1",
    title="GFR category (CKD stage) from the latest creatinine",
    tier="objective",
    domain="nephrology",
    description="Interpretation (KDIGO 2024 CKD guideline: GFR categories; eGFR by the race-free CKD-EPI 2021 "
                "creatinine equation): calculate the eGFR from the most recent creatinine and give its GFR "
                "category (G1 >= 90, G2 60-89, G3a 45-59, G3b 30-44, G4 15-29, G5 < 15). The chart's own eGFR "
                "rows are not used: in this population some contradict the creatinine drawn with them (an eGFR "
                "of 74 beside a creatinine of 2.9 mg/dL). The expected category is computed from the episode's "
                "chart at reset; within 1 mL/min/1.73 m2 of a boundary either neighbouring category counts. "
                "Adults whose latest creatinine draw holds one value (Synthea files some draws twice, under the "
                "serum and the blood code, with two different values).",
    instruction="{patient_name} (MRN {mrn}) {context}. Calculate their eGFR from the most recent creatinine on "
                "the chart (serum or blood) with the race-free CKD-EPI 2021 creatinine equation, using their age "
                "on the day of that draw and their sex as charted, and give the KDIGO GFR category of that eGFR "
                "(G1 90 or more, G2 60-89, G3a 45-59, G3b 30-44, G4 15-29, G5 below 15 mL/min/1.73 m2). Answer "
                "with the category only.",
    patient_selector={"age_min": 18, "observation_draw": {"loincs": CREATININE, "nth": 0, "value_min": 0.01,
                                                          "single_value": True}},
    variants=[
        {"context": "is being reviewed before a nephrology referral"},
        {"context": "needs their kidney function staged before a new medication is dosed"},
    ],
    facts={"stage": {"fact": "egfr_from_creatinine", "loincs": CREATININE, "bands": CKD_STAGES}},
    rubric=[
        # Within 1 mL/min/1.73 m2 of a boundary, the category across it is as right (rounding of age or result).
        answered_from("results", {
            "kind": "any_of", "label": "KDIGO category of the CKD-EPI 2021 eGFR ({stage_value}) from the creatinine of "
                                       "{stage_date} ({stage_creatinine} {stage_unit})",
            "criteria": [
                {"kind": "answer_matches", "expected": "{stage}", "choices": ["G1", "G2", "G3a", "G3b", "G4", "G5"]},
                {"kind": "answer_matches", "expected": "{stage_near}",
                 "choices": ["G1", "G2", "G3a", "G3b", "G4", "G5"]},
            ]}),
        {"kind": "step_budget", "max_steps": 8},
    ],
    step_limit=15,
    oracle="nephrology.ckd-gfr-category",
)


@oracle("nephrology.ckd-gfr-category")
def ckd_gfr_category(instance):
    """Read the newest creatinine (either code), the patient's birth date and sex, and apply CKD-EPI 2021."""
    mrn = instance.patient_mrn
    newest = yield from newest_numeric_of(mrn, CREATININE, limit=5)
    found = yield {"type": "search_patients", "query": mrn, "limit": 5}
    patient = next(r for r in found["last_action_result"]["patients"] if r["mrn"] == mrn)
    drawn = datetime.fromisoformat(newest["effective_at"]).astimezone(ZoneInfo(settings.TIME_ZONE)).date()
    born = date.fromisoformat(patient["birth_date"])
    age = drawn.year - born.year - ((drawn.month, drawn.day) < (born.month, born.day))
    egfr = round(ckd_epi_2021(creatinine=newest["value"], age=age, sex=patient["sex"]))
    yield {"type": "answer", "answer": next(label for bound, label in CKD_STAGES if egfr >= bound)}


# Famotidine for GERD by creatinine clearance (Pepcid label, 2019 revision, table 2): 20 mg twice daily; CrCl
# 30-60 mL/min, 20 mg once daily; below 30, 10 mg once daily. [lower bound, label] bands, as decision support
# reads CrCl (Cockcroft-Gault from the latest creatinine and weight).
FAMOTIDINE_DOSE = [[30, "20"], [0, "10"]]
FAMOTIDINE_FREQUENCY = [[60, "BID"], [0, "DAILY"]]
FAMOTIDINE = "310273"
BODY_WEIGHT = "29463-7"

RENAL_FAMOTIDINE = template(
    task_id="ehr/nephrology.renal-dose-famotidine-v1",
    title="Renally dose famotidine",
    tier="objective",
    domain="nephrology",
    description="Order entry with renal dosing (famotidine label, 2019 revision: GERD 20 mg twice daily; "
                "creatinine clearance 30-60 mL/min, 20 mg once daily; below 30, 10 mg once daily): the dose and "
                "frequency are computed at reset from the Cockcroft-Gault creatinine clearance (latest creatinine "
                "and weight, age today, actual body weight), the measure decision support reads. One famotidine "
                "order only (a second is a duplicate). Patients already on acid suppression, or without a "
                "creatinine and a weight on the chart, are not asked.",
    instruction="{patient_name} (MRN {mrn}) has {indication}. Start famotidine by mouth at the label's renal dose "
                "for reflux: 20 mg twice daily; 20 mg once daily if the creatinine clearance is 30 to 60 mL/min; "
                "10 mg once daily if it is below 30. Use the Cockcroft-Gault creatinine clearance from their most "
                "recent creatinine and weight (actual body weight, age today). Review the kidney function, then "
                "order and sign one famotidine order.",
    # The creatinine must be one value (a draw filed twice with two values is ambiguous), and the clearance not
    # within 1 mL/min of a threshold, where rounding in the agent's own calculation would change the dose.
    patient_selector={"age_min": 18, "lacks_medication_class": ["h2-blocker", "ppi"],
                      "observation_draw": {"loincs": CREATININE, "nth": 0, "single_value": True},
                      "kidney_function": {"measure": "crcl", "unknown": "exclude", "away_from": [30, 60]}},
    variants=[
        {"indication": "new heartburn and dyspepsia without alarm features"},
        {"indication": "gastro-esophageal reflux symptoms after meals"},
    ],
    facts={"dose": {"fact": "kidney_function_band", "measure": "crcl", "bands": FAMOTIDINE_DOSE},
           "frequency": {"fact": "kidney_function_band", "measure": "crcl", "bands": FAMOTIDINE_FREQUENCY}},
    rubric=[
        {"kind": "order_placed", "weight": 3, "label": "Famotidine {dose} mg PO {frequency} for a CrCl of "
                                                       "{frequency_value} mL/min",
         "ingredient": "famotidine", "dose": "{dose}", "route": "PO", "frequency": "{frequency}",
         "priority": ROUTINE_OR_URGENT},
        {"kind": "section_visited", "section": "results", "required": False, "label": "Kidney function reviewed"},
        {"kind": "no_extra_orders", "label": "Nothing ordered beyond one famotidine order"},
        *closing_criteria(12),
    ],
    step_limit=20,
    oracle="nephrology.renal-dose-famotidine",
)


def _band(bands: list, value: float) -> str:
    return next(label for bound, label in bands if value >= bound)


@oracle("nephrology.renal-dose-famotidine")
def renal_dose_famotidine(instance):
    """Read the newest creatinine and weight, the age and sex; dose by the Cockcroft-Gault creatinine clearance."""
    mrn = instance.patient_mrn
    yield {"type": "read_chart_section", "mrn": mrn, "section": "results"}
    creatinine = yield from newest_numeric_of(mrn, CREATININE)
    weight = yield from newest_numeric_of(mrn, [BODY_WEIGHT])
    found = yield {"type": "search_patients", "query": mrn, "limit": 5}
    patient = next(r for r in found["last_action_result"]["patients"] if r["mrn"] == mrn)
    crcl = cockcroft_gault(creatinine=creatinine["value"], age=patient["age"], weight_kg=weight["value"],
                           sex=patient["sex"])
    placed = yield {"type": "place_order", "mrn": mrn, "orderable": FAMOTIDINE,
                    "dose": float(_band(FAMOTIDINE_DOSE, crcl)), "route": "PO",
                    "frequency": _band(FAMOTIDINE_FREQUENCY, crcl), "indication": instance.params["indication"]}
    yield from sign_answering_alerts(mrn, [placed_order_id(placed)], override_reason="Indicated; dose reviewed.")
    yield {"type": "finish", "message": "Famotidine ordered."}
