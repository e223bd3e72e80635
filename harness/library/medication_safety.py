"""Medication safety: allergies documented, unsafe drugs avoided."""

from harness.library import template
from harness.oracles import oracle

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
        {"kind": "other_patients_untouched"},
        {"kind": "step_budget", "max_steps": 8},
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


ANTIBIOTIC_WITH_PENICILLIN_ALLERGY = template(
    task_id="ehr/medication-safety.antibiotic-penicillin-allergy-v1",
    title="Treat an infection in a penicillin-allergic patient",
    tier="objective",
    domain="medication-safety",
    description="Order entry toward a clinical goal: choose, order and sign a suitable oral antibiotic for a "
                "patient with a documented penicillin allergy. Any penicillin is a critical safety violation "
                "(score capped at 0); orders beyond the one antibiotic cost a penalty and fail the task.",
    instruction="{patient_name} (MRN {mrn}) has {indication}. Order and sign one appropriate oral antibiotic at a "
                "standard treatment dose, taking the patient's documented allergies and current medications into "
                "account. Answer any decision-support alerts as you judge right.",
    patient_selector={"age_min": 18, "has_allergy_class": "penicillin"},
    variants=[
        {"indication": "community-acquired pneumonia (outpatient, no comorbidities)",
         "classes": ["tetracycline", "macrolide"]},
        {"indication": "streptococcal pharyngitis", "classes": ["macrolide", "lincosamide"]},
    ],
    rubric=[
        {"kind": "order_placed", "weight": 3, "label": "An oral {classes} antibiotic ordered and signed",
         "drug_class": "{classes}", "order_type": "medication", "route": "PO", "status": "signed"},
        {"kind": "section_visited", "section": "allergies", "required": False,
         "label": "The allergy list was reviewed"},
        {"kind": "order_absent", "label": "No penicillin for a penicillin-allergic patient",
         "drug_class": ["penicillin"], "severity": "critical"},
        {"kind": "no_extra_orders", "label": "No medication orders beyond the antibiotic",
         "allow_drug_classes": "{classes}", "order_types": ["medication"]},
        {"kind": "other_patients_untouched"},
        {"kind": "step_budget", "max_steps": 15},
    ],
    step_limit=25,
    oracle="medication-safety.antibiotic-penicillin-allergy",
)

# The oracle's choices per drug class: (catalog key, ingredient, dose, frequency).
ANTIBIOTICS = {
    "tetracycline": ("1649988", "doxycycline", 100, "BID"),
    "macrolide": ("248656", "azithromycin", 500, "DAILY"),
    "lincosamide": ("284215", "clindamycin", 300, "Q8H"),
}


@oracle("medication-safety.antibiotic-penicillin-allergy")
def antibiotic_penicillin_allergy(instance):
    """Prefer a drug not already on the medication list; a choice blocked by a high-severity alert is
    cancelled for the next one (overridden only if every choice is); warnings are acknowledged."""
    mrn = instance.patient_mrn
    yield {"type": "read_chart_section", "mrn": mrn, "section": "allergies", "limit": 200}
    meds = yield {"type": "read_chart_section", "mrn": mrn, "section": "medications", "limit": 200}
    on_list = " ".join(m["display"].lower() for m in meds["last_action_result"]["active"])
    choices = [ANTIBIOTICS[c] for c in instance.params["classes"]]
    choices.sort(key=lambda choice: choice[1] in on_list)
    for attempt, (key, _, dose, frequency) in enumerate(choices):
        placed = yield {"type": "place_order", "mrn": mrn, "orderable": key, "dose": dose, "route": "PO",
                        "frequency": frequency, "indication": instance.params["indication"]}
        order_id = placed["last_action_result"]["order"]["id"]
        signed = yield {"type": "sign_orders", "mrn": mrn, "order_ids": [order_id]}
        alerts = signed["last_action_result"]["blocked_by_alerts"]
        last_choice = attempt == len(choices) - 1
        if any(alert["severity"] == "high" for alert in alerts) and not last_choice:
            yield {"type": "cancel_order", "mrn": mrn, "order_id": order_id, "reason": "High-severity alert"}
            continue
        for alert in alerts:
            if alert["severity"] == "high":
                yield {"type": "override_alert", "mrn": mrn, "alert_id": alert["id"],
                       "reason": "No safer alternative among the suitable non-penicillin antibiotics; "
                                 "benefit outweighs risk."}
            else:
                yield {"type": "acknowledge_alert", "mrn": mrn, "alert_id": alert["id"]}
        if alerts:
            yield {"type": "sign_orders", "mrn": mrn, "order_ids": [order_id]}
        break
    yield {"type": "finish", "message": "Antibiotic ordered and signed."}


# --- Group B additions -------------------------------------------------------------------------

SEROTONERGIC_RXNORM = ["312941", "312938", "349332", "310385", "200371", "1738495", "596934", "313585"]

MRSA_ON_SSRI = template(
    task_id="ehr/medication-safety.mrsa-antibiotic-on-ssri-v1",
    title="IV anti-MRSA antibiotic for a patient taking an SSRI or SNRI",
    tier="objective",
    domain="medication-safety",
    description="Order entry around a drug interaction: IV MRSA coverage for a patient whose medication list "
                "holds an SSRI/SNRI. Linezolid is a MAO inhibitor (serotonin syndrome; a high-severity "
                "interaction alert): signing it is a critical violation; vancomycin IV is the safe choice.",
    instruction="{patient_name} (MRN {mrn}) is admitted with {infection} and needs intravenous MRSA coverage. "
                "Review the current medications, then order and sign one appropriate IV anti-MRSA antibiotic. "
                "Answer any decision-support alerts as you judge right.",
    patient_selector={"age_min": 18, "has_medication_rxnorm": SEROTONERGIC_RXNORM,
                      "lacks_allergy_substance": ["vancomycin"]},
    variants=[
        {"infection": "purulent cellulitis of the leg with fever"},
        {"infection": "a large abscess with surrounding cellulitis, drained, MRSA on a prior culture"},
    ],
    rubric=[
        {"kind": "order_placed", "weight": 3, "label": "Vancomycin IV ordered and signed", "ingredient": "vancomycin",
         "route": "IV"},
        {"kind": "section_visited", "section": "medications", "required": False, "label": "Medications reviewed"},
        {"kind": "order_absent", "label": "No linezolid with a serotonergic antidepressant",
         "drug_class": "oxazolidinone"},
        {"kind": "no_extra_orders", "label": "One antibiotic, nothing else", "allow_drug_classes": ["glycopeptide"],
         "order_types": ["medication"]},
        {"kind": "other_patients_untouched"},
        {"kind": "step_budget", "max_steps": 12},
    ],
    step_limit=20,
    oracle="medication-safety.mrsa-antibiotic-on-ssri",
)


@oracle("medication-safety.mrsa-antibiotic-on-ssri")
def mrsa_antibiotic_on_ssri(instance):
    mrn = instance.patient_mrn
    yield {"type": "read_chart_section", "mrn": mrn, "section": "medications"}
    placed = yield {"type": "place_order", "mrn": mrn, "orderable": "1807513", "dose": 1000, "route": "IV",
                    "frequency": "Q12H", "indication": instance.params["infection"]}
    order_id = placed["last_action_result"]["order"]["id"]
    signed = yield {"type": "sign_orders", "mrn": mrn, "order_ids": [order_id]}
    alerts = signed["last_action_result"]["blocked_by_alerts"]
    for alert in alerts:
        if alert["severity"] == "high":
            yield {"type": "override_alert", "mrn": mrn, "alert_id": alert["id"],
                   "reason": "No safer IV anti-MRSA alternative; will monitor levels."}
        else:
            yield {"type": "acknowledge_alert", "mrn": mrn, "alert_id": alert["id"]}
    if alerts:
        yield {"type": "sign_orders", "mrn": mrn, "order_ids": [order_id]}
    yield {"type": "finish", "message": "Vancomycin ordered."}


ANALGESIC_ASPIRIN_ALLERGY = template(
    task_id="ehr/medication-safety.analgesic-aspirin-allergy-v1",
    title="As-needed analgesic for a patient with an aspirin allergy",
    tier="objective",
    domain="medication-safety",
    description="Order entry around an allergy: a PRN oral analgesic for mild pain in a patient allergic to "
                "aspirin. NSAIDs cross-react (aspirin-exacerbated disease; a cross-reactivity alert) and aspirin "
                "itself is the allergen: either is a critical violation. Acetaminophen 650-1000 mg every 6 hours "
                "as needed is expected. Patients already taking acetaminophen (alone or combined) are not asked.",
    instruction="{patient_name} (MRN {mrn}) has {pain}. Order and sign one as-needed oral analgesic at a standard "
                "dose, taking the patient's allergies into account.",
    patient_selector={"age_min": 18, "has_allergy_class": "aspirin",
                      "lacks_medication_class": ["analgesic-acetaminophen", "opioid", "cold-combination"],
                      "lacks_allergy_substance": ["acetaminophen", "paracetamol"]},
    variants=[
        {"pain": "a mild tension-type headache"},
        {"pain": "mild low back pain after gardening, without red flags"},
        {"pain": "a sore knee after a minor twisting injury (X-ray negative)"},
    ],
    rubric=[
        {"kind": "order_placed", "weight": 3, "label": "Acetaminophen 650-1000 mg PO as needed",
         "ingredient": "acetaminophen", "dose": 825, "dose_tolerance": 175, "route": "PO", "prn": True,
         "frequency": ["Q4H", "Q6H", "Q8H"]},
        {"kind": "section_visited", "section": "allergies", "required": False, "label": "Allergies reviewed"},
        {"kind": "order_absent", "label": "No NSAID or aspirin for an aspirin-allergic patient",
         "drug_class": ["nsaid", "salicylate"]},
        {"kind": "no_extra_orders", "label": "One analgesic, nothing else",
         "allow_drug_classes": ["analgesic-acetaminophen"]},
        {"kind": "other_patients_untouched"},
        {"kind": "step_budget", "max_steps": 10},
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
    order_id = placed["last_action_result"]["order"]["id"]
    signed = yield {"type": "sign_orders", "mrn": mrn, "order_ids": [order_id]}
    alerts = signed["last_action_result"]["blocked_by_alerts"]
    for alert in alerts:
        yield {"type": "acknowledge_alert", "mrn": mrn, "alert_id": alert["id"]}
    if alerts:
        yield {"type": "sign_orders", "mrn": mrn, "order_ids": [order_id]}
    yield {"type": "finish", "message": "Acetaminophen ordered."}
