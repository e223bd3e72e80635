"""Documentation: notes that state chart findings in real sentences."""

from harness import browser_oracles as browser
from harness.browser_oracles import browser_oracle
from harness.library import template
from harness.library.builders import closing_criteria, note_signed, record_vitals, vitals_recorded
from harness.oracles import newest_numeric_of, number_text, oracle, write_and_sign_note

# Results the chart files at one decimal place (creatinine and LDL can carry long raw values, which a note
# cannot be expected to copy). Potassium, sodium and glucose sit under a serum and a blood code, and the
# instruction names both: a draw filed under both can carry two values, and either counts.
LAB_VARIANTS = [
    {"analyte": "potassium (serum or blood)", "loincs": ["2823-3", "6298-4"], "terms": ["potassium", "k+"]},
    {"analyte": "sodium (serum or blood)", "loincs": ["2951-2", "2947-0"], "terms": ["sodium", "na+"]},
    {"analyte": "glucose (serum or blood)", "loincs": ["2345-7", "2339-0"], "terms": ["glucose", "blood sugar"]},
]


POTASSIUM = ["2823-3", "6298-4"]


PROGRESS_NOTE_LAB = template(
    task_id="ehr/documentation.progress-note-lab-result-v1",
    title="Progress note stating the latest lab result",
    tier="skill",
    domain="documentation",
    description="Documentation: write and sign a progress note whose assessment states the newest result of one "
                "analyte with its value and unit in a real sentence (a pasted smart-phrase table or a keyword list "
                "does not count). The value is read from the chart at reset.",
    instruction="Write and sign a brief progress note for {patient_name} (MRN {mrn}) after reviewing their chart. "
                "The note must state, in a sentence, their most recent {analyte} result with its value and unit "
                "(you may use the .labs and .vitals smart phrases for supporting data).",
    patient_selector={"has_observation": {"loincs": "{loincs}", "numeric": True}},
    variants=LAB_VARIANTS,
    facts={"result": {"fact": "latest_observation", "loincs": "{loincs}"}},
    rubric=[
        note_signed("Signed progress note states the {analyte} of {result} {result_unit}", "progress",
                    {"name": "{analyte} with its value and unit", "terms": "{terms}",
                     "values": "{result_values}", "units": ["{result_unit}"]}),
        *closing_criteria(10),
    ],
    step_limit=20,
    oracle="documentation.progress-note-lab-result",
)


@oracle("documentation.progress-note-lab-result")
def progress_note_lab_result(instance):
    p, mrn = instance.params, instance.patient_mrn
    row = yield from newest_numeric_of(mrn, p["loincs"])
    text = (f"Subjective: Seen today for follow-up; the patient reports feeling at baseline.\n"
            f"Objective:\n.vitals\n.labs\n"
            f"Assessment: The most recent {p['analyte']} is {number_text(row['value'])} {row['unit']}, drawn on "
            f"{row['effective_at'][:10]}, and it was reviewed with the patient today.\n"
            f"Plan: We will continue the current plan and repeat the labs at the next routine visit.")
    yield from write_and_sign_note(mrn, "progress", "Follow-up progress note", text)
    yield {"type": "finish", "message": "Progress note signed."}


A1C_PROGRESS_NOTE = template(
    task_id="ehr/documentation.glycemic-progress-note-v1",
    title="Progress note on a glycemic problem with the latest A1c",
    tier="objective",
    domain="documentation",
    description="Documentation toward a clinical goal: a signed progress note on the patient's {problem} that states "
                "the diagnosis and the newest hemoglobin A1c (read from the chart at reset) in real sentences.",
    instruction="{patient_name} (MRN {mrn}) is seen for follow-up of {problem}. Review their chart and write and "
                "sign a progress note whose assessment discusses the {problem} and states the most recent "
                "hemoglobin A1c value.",
    patient_selector={"age_min": 18, "has_condition_codes": "{codes}",
                      "has_observation": {"loincs": ["4548-4"], "numeric": True}},
    variants=[
        {"problem": "prediabetes", "codes": ["714628002"],
         "problem_terms": ["prediabetes", "pre-diabetes", "impaired fasting glucose", "impaired glucose tolerance"]},
        {"problem": "type 2 diabetes", "codes": ["44054006", "127013003", "90781000119102", "157141000119108"],
         "problem_terms": ["type 2 diabetes", "diabetes mellitus type 2", "t2dm", "diabetes"]},
    ],
    facts={"a1c": {"fact": "latest_observation", "loincs": ["4548-4"]}},
    rubric=[
        note_signed("Signed progress note discusses {problem} and an A1c of {a1c}%", "progress",
                    {"name": "{problem}", "terms": "{problem_terms}"},
                    {"name": "the A1c with its value", "terms": ["a1c", "hba1c", "glycated hemoglobin"],
                     "values": "{a1c_values}", "units": ["%"]}),
        {"kind": "section_visited", "section": "results", "required": False, "label": "Results reviewed"},
        *closing_criteria(10),
    ],
    step_limit=20,
    oracle="documentation.glycemic-progress-note",
)


@oracle("documentation.glycemic-progress-note")
def glycemic_progress_note(instance):
    p, mrn = instance.params, instance.patient_mrn
    yield {"type": "read_chart_section", "mrn": mrn, "section": "results", "limit": 100}
    row = yield from newest_numeric_of(mrn, ["4548-4"])
    text = (f"Seen today for follow-up of {p['problem']}.\n.vitals\n"
            f"Assessment: The patient has {p['problem']}, and the most recent hemoglobin A1c was "
            f"{number_text(row['value'])}% on {row['effective_at'][:10]}.\n"
            "Plan: We discussed diet, physical activity and weight management, and we will repeat the A1c in "
            "three to six months.")
    yield from write_and_sign_note(mrn, "progress", f"Follow-up: {p['problem']}", text)
    yield {"type": "finish", "message": "Progress note signed."}


@browser_oracle("documentation.glycemic-progress-note")
def glycemic_progress_note_in_browser(instance):
    """Read the newest A1c off Results Review, then write and sign the progress note stating it."""
    p = instance.params
    results = yield from browser.open_section(instance.patient_mrn, "results")
    a1c, _, drawn = browser.latest_result(results, ["4548-4"])
    yield from browser.click("chart-tab-notes")
    yield from browser.write_note("Progress Note", f"Follow-up: {p['problem']}", (
        f"Seen today for follow-up of {p['problem']}.\n"
        f"Assessment: The patient has {p['problem']}, and the most recent hemoglobin A1c was {a1c}% on "
        f"{drawn:%Y-%m-%d}.\n"
        "Plan: We discussed diet, physical activity and weight management, and we will repeat the A1c in three "
        "to six months."))
    yield {"type": "finish", "message": "Progress note signed."}


ED_H_AND_P = template(
    task_id="ehr/documentation.ed-history-and-physical-v1",
    title="Emergency department H&P with arrival vitals and the latest potassium",
    tier="workflow",
    domain="documentation",
    description="An ED documentation workflow: record the arrival vitals, then write and sign a History and "
                "Physical that states the chief complaint, the arrival blood pressure and the most recent "
                "potassium (serum or blood) from the chart (a baseline before fluids, insulin or diuretics), each "
                "in a sentence.",
    instruction="{patient_name} (MRN {mrn}) arrives in the emergency department with {complaint}. Record the "
                "arrival vitals (blood pressure {sbp}/{dbp} mmHg, heart rate {hr}/min, respiratory rate {rr}/min, "
                "temperature {temp} °C, SpO2 {spo2}%), then write and sign a History and Physical note that states "
                "the chief complaint, the arrival blood pressure and the patient's most recent potassium (serum or "
                "blood) from the chart.",
    patient_selector={"age_min": 18, "has_observation": {"loincs": POTASSIUM, "numeric": True}},
    variants=[
        {"complaint": "abdominal pain", "complaint_terms": ["abdominal pain", "abdomen pain", "belly pain"],
         "sbp": 138, "dbp": 86, "hr": 102, "rr": 18, "temp": 37.8, "spo2": 98},
        {"complaint": "shortness of breath", "complaint_terms": ["shortness of breath", "dyspnea", "sob"],
         "sbp": 152, "dbp": 94, "hr": 110, "rr": 26, "temp": 37.2, "spo2": 90},
        {"complaint": "a severe headache", "complaint_terms": ["headache", "cephalgia"],
         "sbp": 178, "dbp": 104, "hr": 84, "rr": 16, "temp": 36.9, "spo2": 99},
    ],
    facts={"potassium": {"fact": "latest_observation", "loincs": POTASSIUM}},
    rubric=[
        vitals_recorded("Arrival vitals recorded", "sbp", "dbp", "hr", "rr", "temp", "spo2", weight=2),
        note_signed("Signed H&P states the complaint, the arrival blood pressure "
                    "and a potassium of {potassium} {potassium_unit}", "h_and_p",
                    {"name": "chief complaint", "terms": "{complaint_terms}"},
                    {"name": "arrival blood pressure", "terms": ["blood pressure", "bp"],
                     "values": ["{sbp}/{dbp}"]},
                    {"name": "potassium with its value", "terms": ["potassium", "k+"],
                     "values": "{potassium_values}", "units": ["{potassium_unit}"]}),
        *closing_criteria(12),
    ],
    step_limit=25,
    oracle="documentation.ed-history-and-physical",
)


@oracle("documentation.ed-history-and-physical")
def ed_history_and_physical(instance):
    p, mrn = instance.params, instance.patient_mrn
    yield record_vitals(instance, "sbp", "dbp", "hr", "rr", "temp", "spo2")
    row = yield from newest_numeric_of(mrn, POTASSIUM)
    text = (f"Chief complaint: The patient presents to the emergency department with {p['complaint']}.\n"
            f"History: The patient reports {p['complaint']} that began earlier today.\n"
            ".meds\n.allergies\n.vitals\n"
            f"Exam: On arrival the blood pressure was {p['sbp']}/{p['dbp']} mmHg with a heart rate of {p['hr']} "
            f"and an SpO2 of {p['spo2']}% on room air.\n"
            f"Data: The most recent potassium was {number_text(row['value'])} {row['unit']} on "
            f"{row['effective_at'][:10]}, our baseline before fluids or other treatment.\n"
            "Plan: We will evaluate further with labs and imaging as indicated and reassess after treatment.")
    yield from write_and_sign_note(mrn, "h_and_p", "ED History and Physical", text)
    yield {"type": "finish", "message": "H&P signed."}


DISCHARGE_MEDS = template(
    task_id="ehr/documentation.discharge-summary-medications-v1",
    title="Discharge summary that reconciles a home medication",
    tier="objective",
    domain="documentation",
    description="Documentation toward a clinical goal: a signed discharge summary whose medication section states, "
                "in a sentence, that the patient continues {drug} (a drug on their active medication list), after "
                "the medication list was reviewed.",
    instruction="{patient_name} (MRN {mrn}) is being discharged home today after an uneventful observation stay. "
                "Review the active medication list and write and sign a discharge summary; its discharge medication "
                "section must state, in sentences, each of their home {drug_class} (all home medications continue "
                "unchanged).",
    patient_selector={"has_medication_rxnorm": "{rxnorm}"},
    variants=[
        {"drug": "lisinopril", "drug_class": "antihypertensives", "rxnorm": ["314076", "311353", "311354", "314077"]},
        {"drug": "amlodipine", "drug_class": "antihypertensives", "rxnorm": ["308136", "197361", "308135"]},
        {"drug": "hydrochlorothiazide", "drug_class": "antihypertensives", "rxnorm": ["310798"]},
        {"drug": "escitalopram", "drug_class": "antidepressants", "rxnorm": ["349332"]},
        {"drug": "sertraline", "drug_class": "antidepressants", "rxnorm": ["312938", "312941"]},
        {"drug": "fluoxetine", "drug_class": "antidepressants", "rxnorm": ["310385"]},
        {"drug": "omeprazole", "drug_class": "acid-suppressing medicines", "rxnorm": ["198051"]},
        {"drug": "famotidine", "drug_class": "acid-suppressing medicines", "rxnorm": ["310273"]},
    ],
    rubric=[
        note_signed("Signed discharge summary states that {drug} continues", "discharge",
                    {"name": "{drug}", "terms": ["{drug}"]}),
        {"kind": "section_visited", "section": "medications", "label": "The medication list was reviewed"},
        *closing_criteria(10),
    ],
    step_limit=20,
    oracle="documentation.discharge-summary-medications",
)


@oracle("documentation.discharge-summary-medications")
def discharge_summary_medications(instance):
    p, mrn = instance.params, instance.patient_mrn
    meds = yield {"type": "read_chart_section", "mrn": mrn, "section": "medications", "limit": 200}
    names = [m["display"] for m in meds["last_action_result"]["active"]]
    listed = "; ".join(names)
    text = ("Hospital course: The patient was observed overnight, remained stable and is ready for discharge home.\n"
            f"Discharge medications: Continue the home {p['drug']} at the same dose without changes. "
            f"The full active list at discharge is: {listed}.\n"
            "Follow-up: The patient will see their primary care clinician within one to two weeks.")
    yield from write_and_sign_note(mrn, "discharge", "Discharge Summary", text)
    yield {"type": "finish", "message": "Discharge summary signed."}
