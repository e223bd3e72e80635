"""Pulmonology: respiratory visits."""

from harness.library import template
from harness.library.builders import chart_question, closing_criteria, no_order_of, record_vitals, vitals_recorded
from harness.library.regimens import UNHEALTHY_ALCOHOL_USE, acetaminophen_prn
from harness.oracles import newest_numeric_of, oracle, placed_order_id, sign_answering_alerts

BRONCHITIS = "10509002"

ACUTE_BRONCHITIS_VISIT = template(
    task_id="ehr/pulmonology.acute-bronchitis-visit-v1",
    title="Acute bronchitis visit: vitals, problem list, allergy check",
    tier="workflow",
    domain="pulmonology",
    description="A clinic visit in linked steps: vitals, the diagnosis on the problem list, then the allergy list "
                "read back before prescribing. The allergy answer counts only if the allergy list was opened "
                "(a gate), so a lucky guess earns nothing.",
    instruction="{patient_name} (MRN {mrn}) is seen today for five days of cough with low-grade fever. Record "
                "today's vitals (temperature {temp} °C, heart rate {hr}/min, respiratory rate {rr}/min, SpO2 "
                "{spo2}%), add acute bronchitis (SNOMED CT 10509002) to the problem list, then check the allergy "
                "list and answer with every active allergy (or \"none\") so the plan can avoid them.",
    patient_selector={"age_min": 18, "lacks_condition_codes": [BRONCHITIS]},
    variants=[
        {"temp": 37.9, "hr": 96, "rr": 20, "spo2": 96},
        {"temp": 38.3, "hr": 104, "rr": 22, "spo2": 95},
        {"temp": 37.4, "hr": 84, "rr": 18, "spo2": 98},
    ],
    facts={"allergies": {"fact": "active_allergies"}},
    rubric=[
        vitals_recorded("Visit vitals recorded", "temp", "hr", "rr", "spo2", weight=2),
        {"kind": "problem_added", "weight": 2, "label": "Acute bronchitis on the problem list", "code": BRONCHITIS},
        {"kind": "gate", "weight": 2, "label": "Allergies read from the chart and reported",
         "criteria": [
             {"kind": "section_visited", "section": "allergies"},
             {"kind": "answer_matches", "expected": "{allergies}", "match": "list"},
         ]},
        *closing_criteria(12),
    ],
    step_limit=25,
    oracle="pulmonology.acute-bronchitis-visit",
)


@oracle("pulmonology.acute-bronchitis-visit")
def acute_bronchitis_visit(instance):
    mrn = instance.patient_mrn
    yield record_vitals(instance, "temp", "hr", "rr", "spo2")
    yield {"type": "add_problem", "mrn": mrn, "code": BRONCHITIS, "display": "Acute bronchitis"}
    observation = yield {"type": "read_chart_section", "mrn": mrn, "section": "allergies", "limit": 200}
    active = sorted({a["substance"] for a in observation["last_action_result"]["allergies"]
                     if a["clinical_status"] == "active"}, key=str.lower)
    yield {"type": "answer", "answer": "; ".join(active) if active else "none"}


# --- Oxygenation, bronchitis without antibiotics ---------------------------------------------

ANTIBIOTIC_CLASSES = ["penicillin", "cephalosporin", "macrolide", "tetracycline", "fluoroquinolone",
                      "sulfonamide-antibiotic", "lincosamide", "nitroimidazole", "nitrofuran", "glycopeptide",
                      "oxazolidinone"]
OBSTRUCTIVE_CODES = ["195967001", "233678006", "185086009", "87433001", "13645005"]
OVERRIDE_REASON = "Indicated for the acute respiratory presentation; benefit outweighs the risk."


LATEST_RESPIRATORY_VITAL = chart_question(
    task_id="ehr/pulmonology.latest-respiratory-vital-v1",
    title="Most recent oxygen saturation or respiratory rate",
    domain="pulmonology",
    description="Retrieval: the newest oxygen saturation (filed under the arterial or the pulse-oximetry LOINC code) "
                "or respiratory rate, read from the chart at reset; either of two values filed at the same moment "
                "counts.",
    instruction="Before the respiratory therapist sees {patient_name} (MRN {mrn}), look up their most recent "
                "{vital}. Answer with the value and its unit.",
    patient_selector={"has_observation": {"loincs": "{loincs}", "numeric": True}},
    variants=[
        {"vital": "oxygen saturation (SpO2)", "loincs": ["59408-5", "2708-6"]},
        {"vital": "respiratory rate", "loincs": ["9279-1"]},
    ],
    facts={"reading": {"fact": "latest_observation", "loincs": "{loincs}"}},
    section="results",
    answers=[{"kind": "answer_matches", "label": "The newest {vital}, in {reading_unit}",
              "expected": "{reading_values}", "match": "number", "unit": "{reading_unit}", "loinc": "{loincs}"}],
    max_steps=10,
    step_limit=20,
    oracle="pulmonology.latest-respiratory-vital",
)


@oracle("pulmonology.latest-respiratory-vital")
def latest_respiratory_vital(instance):
    newest = yield from newest_numeric_of(instance.patient_mrn, instance.params["loincs"])
    yield {"type": "answer", "answer": f"{round(newest['value'], 1)} {newest['unit']}"}


BRONCHITIS_NO_ANTIBIOTIC = template(
    task_id="ehr/pulmonology.bronchitis-symptomatic-care-v1",
    title="Acute bronchitis: symptomatic treatment, no antibiotic",
    tier="objective",
    domain="pulmonology",
    description="Antibiotic stewardship (ACP/CDC 2016 high-value care advice: no antibiotics for uncomplicated "
                "acute bronchitis): uncomplicated acute bronchitis in an adult is viral; put it on the problem list "
                "and order acetaminophen as needed for fever and aches, at most 1 g a dose and 4 g a day "
                "(500-1000 mg every 6-8 hours or 325-650 mg every 4 hours). Any antibiotic is a critical "
                "violation; other orders cost a penalty. Patients with an acetaminophen allergy, already taking "
                "it, or with unhealthy alcohol use on the problem list are not selected.",
    instruction="{patient_name} (MRN {mrn}) has had {story}. Lungs have scattered rhonchi without focal findings, "
                "vitals are normal apart from a temperature of {temp} °C, and you diagnose uncomplicated acute "
                "bronchitis. Add it to the problem list (SNOMED CT 10509002), then order and sign acetaminophen as "
                "needed for fever and aches, at a standard dose. They ask you for an antibiotic; order only what "
                "is indicated.",
    patient_selector={"age_min": 18, "age_max": 64,
                      "lacks_condition_codes": [BRONCHITIS, UNHEALTHY_ALCOHOL_USE] + OBSTRUCTIVE_CODES,
                      "lacks_allergy_substance": ["acetaminophen", "paracetamol", "tylenol"],
                      "lacks_medication_class": ["analgesic-acetaminophen", "opioid", "cold-combination"]},
    variants=[
        {"story": "six days of cough with clear sputum and mild body aches", "temp": 37.9},
        {"story": "a week of hacking cough after a cold, with low-grade fevers", "temp": 38.1},
    ],
    rubric=[
        {"kind": "problem_added", "weight": 1, "label": "Acute bronchitis on the problem list", "code": BRONCHITIS},
        acetaminophen_prn(weight=2, label="Acetaminophen as needed for fever or aches, at most 1 g a dose and 4 g a "
                                          "day"),
        no_order_of("No antibiotic for viral bronchitis", ANTIBIOTIC_CLASSES),
        {"kind": "no_extra_orders", "label": "Nothing ordered beyond acetaminophen"},
        *closing_criteria(10),
    ],
    step_limit=20,
    oracle="pulmonology.bronchitis-symptomatic-care",
)


@oracle("pulmonology.bronchitis-symptomatic-care")
def bronchitis_symptomatic_care(instance):
    mrn = instance.patient_mrn
    yield {"type": "add_problem", "mrn": mrn, "code": BRONCHITIS, "display": "Acute bronchitis"}
    placed = yield {"type": "place_order", "mrn": mrn, "orderable": "313782", "dose": 650, "route": "PO",
                    "frequency": "Q6H", "prn": True, "prn_reason": "fever or body aches",
                    "indication": "Acute bronchitis"}
    yield from sign_answering_alerts(mrn, [placed_order_id(placed)], override_reason=OVERRIDE_REASON)
    yield {"type": "finish", "message": "Symptomatic treatment ordered; no antibiotic indicated."}

