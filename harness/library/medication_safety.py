"""Medication safety: allergies documented, unsafe drugs avoided."""

from harness.library import template
from harness.library.builders import closing_criteria, no_order_of
from harness.library.regimens import ROUTINE_OR_URGENT, UNHEALTHY_ALCOHOL_USE, acetaminophen_prn, schedule
from harness.oracles import newest_numeric_of, oracle, placed_order_id, sign_answering_alerts

DOCUMENT_DRUG_ALLERGY = template(
    task_id="ehr/medication-safety.document-drug-allergy-v1",
    title="Document a newly reported drug allergy",
    tier="skill",
    domain="medication-safety",
    description="Charting: record a drug allergy the patient reports, with the substance, category and reaction, "
                "after reviewing the allergy list. Patients who already have it recorded are not asked.",
    instruction="{patient_name} (MRN {mrn}) tells you they had {reaction} after taking {drug}. Review the allergy "
                "list, then document this drug allergy with its reaction.",
    patient_selector={"lacks_allergy_substance": "{words}"},
    variants=[
        {"drug": "sulfamethoxazole-trimethoprim (Bactrim)", "substance": "Sulfamethoxazole / Trimethoprim",
         "words": ["sulfamethoxazole", "trimethoprim", "bactrim", "sulfa"], "code": "10831",
         "reaction": "hives", "reaction_words": ["hive", "urticaria"]},
        {"drug": "codeine", "substance": "Codeine", "words": ["codeine"], "code": "2670",
         "reaction": "severe vomiting", "reaction_words": ["vomit", "emesis"]},
        {"drug": "lisinopril", "substance": "Lisinopril", "words": ["lisinopril"], "code": "29046",
         "reaction": "swelling of the lips and tongue", "reaction_words": ["angioedema", "swelling"]},
        {"drug": "ibuprofen", "substance": "Ibuprofen", "words": ["ibuprofen", "advil", "motrin"], "code": "5640",
         "reaction": "wheezing and shortness of breath", "reaction_words": ["wheez", "bronchospasm"]},
        {"drug": "amoxicillin", "substance": "Amoxicillin", "words": ["amoxicillin"], "code": "723",
         "reaction": "an itchy rash all over", "reaction_words": ["rash", "exanthem"]},
    ],
    rubric=[
        {"kind": "allergy_added", "weight": 3, "label": "{drug} allergy recorded as a medication allergy, "
                                                        "with its reaction",
         "substance": "{words}", "code": "{code}", "reaction": "{reaction_words}", "category": "medication"},
        {"kind": "section_visited", "section": "allergies", "label": "The allergy list was reviewed"},
        *closing_criteria(8),
    ],
    step_limit=15,
    oracle="medication-safety.document-drug-allergy",
)


@oracle("medication-safety.document-drug-allergy")
def document_drug_allergy(instance):
    params = instance.params
    yield {"type": "read_chart_section", "mrn": instance.patient_mrn, "section": "allergies"}
    yield {"type": "add_allergy", "mrn": instance.patient_mrn, "substance": params["substance"],
           "code": params["code"], "category": "medication", "reaction": params["reaction"].capitalize()}
    yield {"type": "finish", "message": f"Documented the {params['drug']} allergy."}


# One oral course per acceptable antibiotic, at its adult dose: (label, ingredient, dose in mg, frequency,
# days). Community-acquired pneumonia, outpatient, no comorbidities (ATS/IDSA 2019): doxycycline, or a
# macrolide where pneumococcal macrolide resistance is below 25%, for at least 5 days (azithromycin's
# 3-day course of 500 mg daily is the accepted single-order form). Group A streptococcal pharyngitis in
# penicillin allergy (IDSA 2012, adult maxima): a first-generation cephalosporin (or cefuroxime, FDA
# label) for 10 days unless the reaction was immediate or severe; clindamycin or clarithromycin for 10
# days; azithromycin for 5.
DOXYCYCLINE = ("Doxycycline 100 mg PO twice daily for 5-7 days", "doxycycline", 100, "BID", [5, 6, 7])
AZITHROMYCIN_CAP = ("Azithromycin 500 mg PO daily for 3 days", "azithromycin", 500, "DAILY", [3])
CLARITHROMYCIN_CAP = ("Clarithromycin 500 mg PO twice daily for 5-7 days", "clarithromycin", 500, "BID", [5, 6, 7])
CEPHALEXIN = ("Cephalexin 500 mg PO twice daily for 10 days", "cephalexin", 500, "BID", [10])
CEFUROXIME = ("Cefuroxime 250 mg PO twice daily for 10 days", "cefuroxime", 250, "BID", [10])
CLINDAMYCIN = ("Clindamycin 300 mg PO three times daily for 10 days", "clindamycin", 300, "TID", [10])
AZITHROMYCIN_GAS = ("Azithromycin 500 mg PO daily for 5 days", "azithromycin", 500, "DAILY", [5])
CLARITHROMYCIN_GAS = ("Clarithromycin 250 mg PO twice daily for 10 days", "clarithromycin", 250, "BID", [10])


def _courses(*courses) -> list[dict]:
    return [{"kind": "order_placed", "label": label, "ingredient": ingredient, "dose": dose, "route": "PO",
             "frequency": schedule(frequency), "duration_days": days, "priority": ROUTINE_OR_URGENT}
            for label, ingredient, dose, frequency, days in courses]


# Which infection's courses apply (the other's any-of is switched off: weight 0, not required), and whether a
# cephalosporin is right: after a non-severe, delayed penicillin reaction it is (AAAAI/ACAAI 2022 practice
# parameter: no testing needed); after anaphylaxis IDSA 2012 says avoid it, and signing one is critical.
PNEUMONIA = {"cap_weight": 3, "cap_required": True, "gas_weight": 0, "gas_required": False}
PHARYNGITIS = {"cap_weight": 0, "cap_required": False, "gas_weight": 3, "gas_required": True}
CEPHALOSPORIN_OK = {"cephalosporin_severity": "none", "cephalosporin_required": False}
CEPHALOSPORIN_FORBIDDEN = {"cephalosporin_severity": "critical", "cephalosporin_required": True}

ANTIBIOTIC_WITH_PENICILLIN_ALLERGY = template(
    task_id="ehr/medication-safety.antibiotic-penicillin-allergy-v1",
    title="Treat an infection in a penicillin-allergic patient",
    tier="objective",
    domain="medication-safety",
    description="Order entry toward a clinical goal: choose, order and sign one guideline oral antibiotic course "
                "(dose, frequency and days) for a patient with a documented penicillin allergy whose reaction the "
                "patient describes. Outpatient community-acquired pneumonia without comorbidities (ATS/IDSA "
                "2019): doxycycline 100 mg twice daily for 5-7 days, azithromycin 500 mg daily for 3 days or "
                "clarithromycin 500 mg twice daily for 5-7 days. Streptococcal pharyngitis (IDSA 2012): "
                "cephalexin 500 mg twice daily or cefuroxime 250 mg twice daily for 10 days after a mild delayed "
                "rash (AAAAI/ACAAI 2022), clindamycin 300 mg three times daily or clarithromycin 250 mg twice "
                "daily for 10 days, azithromycin 500 mg daily for 5 days; after anaphylaxis no cephalosporin "
                "(signing one is critical). Any penicillin is a critical violation. Pregnant patients are not "
                "asked (doxycycline).",
    instruction="{patient_name} (MRN {mrn}) has {indication}. Their chart lists a penicillin allergy; they tell you "
                "the reaction was {reaction}. Order and sign one appropriate oral antibiotic at a standard adult "
                "treatment dose, as one order for the whole course (dose, frequency and number of days), taking "
                "their allergies and current medications into account (a cephalosporin is acceptable after a mild, "
                "delayed penicillin rash, not after anaphylaxis). Answer any decision-support alerts as you judge "
                "right.",
    patient_selector={"age_min": 18, "has_allergy_class": "penicillin", "lacks_condition_codes": ["72892002"]},
    variants=[
        {"indication": "community-acquired pneumonia (outpatient, no comorbidities)",
         "reaction": "an itchy rash as a child", "infection": "pneumonia", **PNEUMONIA, **CEPHALOSPORIN_OK},
        {"indication": "streptococcal pharyngitis (rapid strep test positive)",
         "reaction": "a mild, itchy rash that started a few days into a course, years ago (no hives, swelling or "
                     "breathing trouble)", "infection": "pharyngitis", **PHARYNGITIS, **CEPHALOSPORIN_OK},
        {"indication": "streptococcal pharyngitis (rapid strep test positive)",
         "reaction": "anaphylaxis: throat swelling and low blood pressure within minutes, treated with epinephrine",
         "infection": "pharyngitis", **PHARYNGITIS, **CEPHALOSPORIN_FORBIDDEN},
    ],
    rubric=[
        {"kind": "any_of", "id": "pneumonia-course", "weight": "{cap_weight}", "required": "{cap_required}",
         "label": "One guideline oral course for community-acquired pneumonia (applies to: {indication})",
         "criteria": _courses(DOXYCYCLINE, AZITHROMYCIN_CAP, CLARITHROMYCIN_CAP)},
        {"kind": "any_of", "id": "pharyngitis-course", "weight": "{gas_weight}", "required": "{gas_required}",
         "label": "One guideline oral course for streptococcal pharyngitis (applies to: {indication})",
         "criteria": _courses(CEPHALEXIN, CEFUROXIME, CLINDAMYCIN, AZITHROMYCIN_GAS, CLARITHROMYCIN_GAS)},
        {"kind": "section_visited", "section": "allergies", "required": False,
         "label": "The allergy list was reviewed"},
        no_order_of("No penicillin for a penicillin-allergic patient", ["penicillin"]),
        {"kind": "order_absent", "id": "no-cephalosporin", "label": "No cephalosporin after penicillin anaphylaxis",
         "drug_class": ["cephalosporin"], "severity": "{cephalosporin_severity}",
         "required": "{cephalosporin_required}"},
        {"kind": "no_extra_orders", "label": "No medication orders beyond the antibiotic",
         "order_types": ["medication"]},
        *closing_criteria(15),
    ],
    step_limit=25,
    oracle="medication-safety.antibiotic-penicillin-allergy",
)

# Each infection's courses, in the oracle's order of preference (cephalosporins only where the reaction allows).
COURSES = {"pneumonia": [DOXYCYCLINE, AZITHROMYCIN_CAP, CLARITHROMYCIN_CAP],
           "pharyngitis": [CEPHALEXIN, CEFUROXIME, CLINDAMYCIN, AZITHROMYCIN_GAS, CLARITHROMYCIN_GAS]}
# The catalog's oral product of each antibiotic the courses name.
ORAL_ANTIBIOTICS = {"doxycycline": "1649988", "azithromycin": "248656", "clarithromycin": "197517",
                    "cephalexin": "309114", "cefuroxime": "309097", "clindamycin": "284215"}
LAST_CHOICE_REASON = "No safer alternative among the suitable non-penicillin antibiotics; benefit outweighs risk."


@oracle("medication-safety.antibiotic-penicillin-allergy")
def antibiotic_penicillin_allergy(instance):
    """The variant's courses in guideline order, preferring a drug not already on the medication list; a choice
    blocked by a high-severity alert is cancelled for the next one (overridden only if every choice is);
    warnings (a cephalosporin's cross-reactivity note) are acknowledged."""
    mrn = instance.patient_mrn
    yield {"type": "read_chart_section", "mrn": mrn, "section": "allergies", "limit": 200}
    meds = yield {"type": "read_chart_section", "mrn": mrn, "section": "medications", "limit": 200}
    on_list = " ".join(m["display"].lower() for m in meds["last_action_result"]["active"])
    p = instance.params
    courses = [course for course in COURSES[p["infection"]]
               if p["cephalosporin_severity"] != "critical" or course[1] not in ("cephalexin", "cefuroxime")]
    courses.sort(key=lambda course: course[1] in on_list)
    for attempt, (_, ingredient, dose, frequency, days) in enumerate(courses):
        placed = yield {"type": "place_order", "mrn": mrn, "orderable": ORAL_ANTIBIOTICS[ingredient], "dose": dose,
                        "route": "PO", "frequency": frequency, "duration_days": days[0],
                        "indication": p["indication"]}
        order_id = placed_order_id(placed)
        reason = LAST_CHOICE_REASON if attempt == len(courses) - 1 else None  # no reason: high alerts come back
        high = yield from sign_answering_alerts(mrn, [order_id], override_reason=reason)
        if high:
            yield {"type": "cancel_order", "mrn": mrn, "order_id": order_id, "reason": "High-severity alert"}
            continue
        break
    yield {"type": "finish", "message": "Antibiotic ordered and signed."}

# --- Drug choices around an interaction or an allergy --------------------------------------------

SEROTONERGIC_RXNORM = ["312941", "312938", "349332", "310385", "200371", "1738495", "596934", "313585"]

MRSA_ON_SSRI = template(
    task_id="ehr/medication-safety.mrsa-antibiotic-on-ssri-v1",
    title="IV anti-MRSA antibiotic for a patient taking an SSRI or SNRI",
    tier="objective",
    domain="medication-safety",
    description="Order entry around a drug interaction: IV MRSA coverage for a patient whose medication list "
                "holds an SSRI/SNRI. Linezolid is a MAO inhibitor (serotonin syndrome; a high-severity "
                "interaction alert): signing it is a critical violation; vancomycin IV is the safe choice, dosed "
                "by weight (ASHP/IDSA/PIDS/SIDP 2020 vancomycin guideline: 15-20 mg/kg of actual body weight "
                "every 8-12 hours, accepted in 250 mg steps, at most 2 g a dose). Patients without a weight, or "
                "with a creatinine clearance below 50 mL/min (the interval would need extending by levels), are "
                "not asked.",
    instruction="{patient_name} (MRN {mrn}) is admitted with {infection} and needs intravenous MRSA coverage. "
                "Review the current medications, then order and sign one appropriate IV anti-MRSA antibiotic, "
                "dosed by their most recent recorded weight. Answer any decision-support alerts as you judge right.",
    patient_selector={"age_min": 18, "has_medication_rxnorm": SEROTONERGIC_RXNORM,
                      "lacks_allergy_substance": ["vancomycin"],
                      "has_observation": {"loincs": ["29463-7"], "numeric": True},
                      "kidney_function": {"measure": "crcl", "min": 50, "unknown": "include"}},
    variants=[
        {"infection": "purulent cellulitis of the leg with fever"},
        {"infection": "a large abscess with surrounding cellulitis, drained, MRSA on a prior culture"},
    ],
    facts={"vancomycin": {"fact": "weight_based_dose", "per_kg": 15, "per_kg_min": 15, "per_kg_max": 20,
                          "round_to": 250, "cap": 2000}},
    rubric=[
        {"kind": "order_placed", "weight": 3, "label": "Vancomycin {vancomycin_min}-{vancomycin_max} mg IV every "
                                                       "8-12 hours ({vancomycin_weight} kg), signed",
         "ingredient": "vancomycin", "dose_min": "{vancomycin_min}", "dose_max": "{vancomycin_max}", "route": "IV",
         "frequency": ["Q8H", "Q12H"], "priority": ROUTINE_OR_URGENT},
        {"kind": "section_visited", "section": "medications", "required": False, "label": "Medications reviewed"},
        {"kind": "order_absent", "label": "No linezolid with a serotonergic antidepressant",
         "drug_class": "oxazolidinone"},
        {"kind": "no_extra_orders", "label": "One antibiotic, nothing else", "order_types": ["medication"]},
        *closing_criteria(12),
    ],
    step_limit=20,
    oracle="medication-safety.mrsa-antibiotic-on-ssri",
)


@oracle("medication-safety.mrsa-antibiotic-on-ssri")
def mrsa_antibiotic_on_ssri(instance):
    mrn = instance.patient_mrn
    yield {"type": "read_chart_section", "mrn": mrn, "section": "medications"}
    weight = yield from newest_numeric_of(mrn, ["29463-7"])
    # 15 mg/kg to the nearest 250 mg, at most 2 g (what the vancomycin fact's answer is).
    dose = min(round(15 * weight["value"] / 250) * 250, 2000)
    placed = yield {"type": "place_order", "mrn": mrn, "orderable": "1807513", "dose": dose, "route": "IV",
                    "frequency": "Q12H", "indication": instance.params["infection"]}
    yield from sign_answering_alerts(mrn, [placed_order_id(placed)],
                                     override_reason="No safer IV anti-MRSA alternative; will monitor levels.")
    yield {"type": "finish", "message": "Vancomycin ordered."}


ANALGESIC_ASPIRIN_ALLERGY = template(
    task_id="ehr/medication-safety.analgesic-aspirin-allergy-v1",
    title="As-needed analgesic for a patient with an aspirin allergy",
    tier="objective",
    domain="medication-safety",
    description="Order entry around an allergy: a PRN oral analgesic for mild pain in a patient allergic to "
                "aspirin. NSAIDs cross-react (aspirin-exacerbated disease; a cross-reactivity alert) and aspirin "
                "itself is the allergen: either is a critical violation. Acetaminophen as needed is expected, "
                "325-650 mg every 4-8 hours: in NSAID-exacerbated respiratory disease single doses of 1 g or more "
                "cross-react in a minority (AAAAI/ACAAI 2022 drug allergy practice parameter), so doses stay "
                "at 650 mg or less (the instruction says so). Patients already taking acetaminophen (alone or "
                "combined), or with unhealthy alcohol use on the problem list (a lower daily limit), are not asked.",
    instruction="{patient_name} (MRN {mrn}) has {pain}. Order and sign one as-needed oral analgesic at a standard "
                "dose, taking the patient's allergies into account (an aspirin allergy may be aspirin-exacerbated "
                "respiratory disease, where acetaminophen is kept to 650 mg or less a dose).",
    patient_selector={"age_min": 18, "has_allergy_class": "aspirin",
                      "lacks_medication_class": ["analgesic-acetaminophen", "opioid", "cold-combination"],
                      "lacks_allergy_substance": ["acetaminophen", "paracetamol"],
                      "lacks_condition_codes": [UNHEALTHY_ALCOHOL_USE]},
    variants=[
        {"pain": "a mild tension-type headache"},
        {"pain": "mild low back pain after gardening, without red flags"},
        {"pain": "a sore knee after a minor twisting injury (X-ray negative)"},
    ],
    rubric=[
        acetaminophen_prn(weight=3, max_dose=650, label="Acetaminophen 325-650 mg by mouth every 4-8 hours as "
                                                        "needed"),
        {"kind": "section_visited", "section": "allergies", "required": False, "label": "Allergies reviewed"},
        {"kind": "order_absent", "label": "No NSAID or aspirin for an aspirin-allergic patient",
         "drug_class": ["nsaid", "salicylate"]},
        {"kind": "no_extra_orders", "label": "One analgesic, nothing else"},
        *closing_criteria(10),
    ],
    step_limit=20,
    oracle="medication-safety.analgesic-aspirin-allergy",
)


@oracle("medication-safety.analgesic-aspirin-allergy")
def analgesic_aspirin_allergy(instance):
    mrn = instance.patient_mrn
    yield {"type": "read_chart_section", "mrn": mrn, "section": "allergies"}
    placed = yield {"type": "place_order", "mrn": mrn, "orderable": "313782", "dose": 650, "route": "PO",
                    "frequency": "Q6H", "prn": True, "prn_reason": "pain"}
    yield from sign_answering_alerts(mrn, [placed_order_id(placed)])  # warnings only: nothing to override
    yield {"type": "finish", "message": "Acetaminophen ordered."}


# --- The medication list: stopping a drug the patient takes ---------------------------------------


def _stop_every(mrn, listed, words, reason):
    """Stop each active medication-list entry whose name holds one of `words` (the renewals of an entry
    stop with it; two strengths of one drug are two entries)."""
    for entry in listed["last_action_result"]["active"]:
        if any(word in entry["display"].lower() for word in words):
            yield {"type": "discontinue_medication", "mrn": mrn, "medication_id": entry["id"], "reason": reason}


STOP_HOME_MEDICATION = template(
    task_id="ehr/medication-safety.stop-home-medication-v1",
    title="Medication reconciliation: take a drug the patient no longer takes off the list",
    tier="skill",
    domain="medication-safety",
    description="Charting on the medication list: the patient reports they no longer take one of their listed "
                "drugs (a finished antibiotic course, a drug stopped for a side effect or no longer needed); "
                "discontinue it with the reason and leave every other medication as it is. Stopping any other "
                "drug is a critical violation.",
    instruction="During medication reconciliation, {patient_name} (MRN {mrn}) tells you that {story}. Update the "
                "medication list: discontinue their {drug} with the reason, and change nothing else.",
    patient_selector={"has_medication_rxnorm": "{rxnorms}"},
    variants=[
        {"drug": "penicillin V", "ingredient": "penicillin v", "rxnorms": ["834061", "834102"],
         "story": "they finished the course of penicillin V they were prescribed weeks ago",
         "reason": "Course completed"},
        {"drug": "amoxicillin", "ingredient": "amoxicillin", "rxnorms": ["308192"],
         "story": "they finished their amoxicillin course last month", "reason": "Course completed"},
        {"drug": "azithromycin", "ingredient": "azithromycin", "rxnorms": ["308460"],
         "story": "they took the last azithromycin tablet of their course a while ago", "reason": "Course completed"},
        {"drug": "doxycycline", "ingredient": "doxycycline", "rxnorms": ["1649987"],
         "story": "their doxycycline course ended and the infection cleared", "reason": "Course completed"},
        {"drug": "clindamycin", "ingredient": "clindamycin", "rxnorms": ["284215"],
         "story": "they completed the clindamycin course for their dental infection", "reason": "Course completed"},
        {"drug": "omeprazole", "ingredient": "omeprazole", "rxnorms": ["198051"],
         "story": "they stopped omeprazole two months ago because the heartburn went away",
         "reason": "Symptoms resolved; no longer taking"},
        {"drug": "amlodipine", "ingredient": "amlodipine", "rxnorms": ["308136"],
         "story": "their cardiologist stopped amlodipine last month because of ankle swelling",
         "reason": "Ankle edema; stopped by cardiology"},
        {"drug": "hydrochlorothiazide", "ingredient": "hydrochlorothiazide", "rxnorms": ["310798"],
         "story": "hydrochlorothiazide was stopped at their last hospital stay because of a low sodium",
         "reason": "Hyponatremia; stopped in hospital"},
        {"drug": "sumatriptan", "ingredient": "sumatriptan", "rxnorms": ["313161"],
         "story": "they have not needed sumatriptan in over a year since their migraines stopped",
         "reason": "No longer needed; migraines resolved"},
    ],
    rubric=[
        {"kind": "medication_discontinued", "weight": 3, "label": "{drug} discontinued with a reason",
         "ingredient": "{ingredient}", "min_reason_words": 2},
        {"kind": "section_visited", "section": "medications", "required": False, "label": "Medication list reviewed"},
        {"kind": "medications_kept", "label": "No other medication stopped", "allow_ingredient": "{ingredient}",
         "severity": "critical"},
        {"kind": "no_extra_orders", "label": "Nothing ordered"},
        *closing_criteria(8),
    ],
    step_limit=15,
    oracle="medication-safety.stop-home-medication",
)


@oracle("medication-safety.stop-home-medication")
def stop_home_medication(instance):
    p, mrn = instance.params, instance.patient_mrn
    listed = yield {"type": "read_chart_section", "mrn": mrn, "section": "medications", "limit": 200}
    yield from _stop_every(mrn, listed, [p["ingredient"]], p["reason"])
    yield {"type": "finish", "message": f"{p['drug']} discontinued."}


ACE_INHIBITOR_RXNORM = ["314076", "311353", "311354", "314077", "858817"]
ACE_INHIBITORS = ["lisinopril", "enalapril"]  # the ingredients of those codes

ACE_INHIBITOR_ANGIOEDEMA = template(
    task_id="ehr/medication-safety.ace-inhibitor-angioedema-v1",
    title="Angioedema on an ACE inhibitor: stop it and document the allergy",
    tier="objective",
    domain="medication-safety",
    description="Medication safety after an adverse reaction: a patient on an ACE inhibitor had angioedema. Stop "
                "the ACE inhibitor on the medication list with the reason and record the drug allergy with its "
                "reaction, so that it is never restarted. Restarting or ordering any ACE inhibitor (or "
                "sacubitril-valsartan) is a critical violation, as is stopping another drug.",
    instruction="{patient_name} (MRN {mrn}) {event}. Their ACE inhibitor is the likely cause. Stop it on the "
                "medication list with the reason and document the drug allergy with its reaction. Do not start "
                "any new medication today.",
    patient_selector={"age_min": 18, "has_medication_rxnorm": ACE_INHIBITOR_RXNORM,
                      "lacks_allergy_substance": ["lisinopril", "enalapril", "ace inhibitor"]},
    variants=[
        {"event": "was treated in the emergency department last night for swelling of the lips and tongue, "
                  "which has now settled"},
        {"event": "describes an episode of marked facial and lip swelling two days ago that resolved over a day"},
        {"event": "had swelling of the tongue and throat tightness at the weekend, treated at urgent care"},
    ],
    rubric=[
        {"kind": "medication_discontinued", "weight": 2, "label": "ACE inhibitor stopped with a reason",
         "drug_class": "ace-inhibitor"},
        {"kind": "allergy_added", "weight": 2, "label": "ACE-inhibitor allergy recorded with angioedema as the "
                                                       "reaction",
         "substance": ACE_INHIBITORS + ["ace inhibitor", "angiotensin-converting", "angiotensin converting"],
         "reaction": ["angioedema", "swelling"], "category": "medication"},
        {"kind": "section_visited", "section": "medications", "required": False, "label": "Medication list reviewed"},
        {"kind": "medications_kept", "label": "No other medication stopped", "allow_drug_class": "ace-inhibitor",
         "severity": "critical"},
        {"kind": "order_absent", "label": "No ACE inhibitor or ARNI ordered after angioedema",
         "drug_class": ["ace-inhibitor", "arni"]},
        {"kind": "no_extra_orders", "label": "No new medication"},
        *closing_criteria(10),
    ],
    step_limit=20,
    oracle="medication-safety.ace-inhibitor-angioedema",
)


@oracle("medication-safety.ace-inhibitor-angioedema")
def ace_inhibitor_angioedema(instance):
    mrn = instance.patient_mrn
    listed = yield {"type": "read_chart_section", "mrn": mrn, "section": "medications", "limit": 200}
    taken = sorted({word for entry in listed["last_action_result"]["active"] for word in ACE_INHIBITORS
                    if word in entry["display"].lower()})
    yield from _stop_every(mrn, listed, taken, "Angioedema on ACE inhibitor")
    for ingredient in taken:
        yield {"type": "add_allergy", "mrn": mrn, "substance": ingredient.capitalize(), "category": "medication",
               "reaction": "Angioedema", "severity": "severe", "criticality": "high"}
    yield {"type": "finish", "message": "ACE inhibitor stopped and the allergy documented."}
