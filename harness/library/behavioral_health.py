"""Behavioral health: depression and anxiety screening scores reviewed and documented, and pain relief that
does not add to an antidepressant's bleeding risk."""

from harness import browser_oracles as browser
from harness.browser_oracles import browser_oracle
from harness.library import template
from harness.library.builders import closing_criteria, no_order_of, note_signed
from harness.library.regimens import UNHEALTHY_ALCOHOL_USE, acetaminophen_prn
from harness.library.workflows import ACETAMINOPHEN, OVERRIDE_REASON
from harness.oracles import newest_numeric, number_text, oracle, place_and_sign, write_and_sign_note

PHQ9_TEEN = ["89204-2"]
GAD7 = ["70274-6"]
SSRI_RXNORM = ["312938", "312941", "349332", "310385"]

DEPRESSION_SCREEN_NOTE = template(
    task_id="ehr/behavioral-health.depression-screen-review-note-v1",
    title="Review the latest depression screening score and document it",
    tier="workflow",
    domain="behavioral-health",
    description="Linked visit steps: review the questionnaires, find the most recent {screen} total score (read "
                "from the chart at reset), and write and sign a progress note that states the score in a sentence "
                "with a follow-up plan.",
    instruction="{patient_name} (MRN {mrn}) is seen today {visit}. Review their depression screening results and "
                "write and sign a progress note whose assessment states, in a sentence, their most recent {screen} "
                "total score and how you will follow it up.",
    patient_selector={"age_min": 11, "has_observation": {"loincs": "{loincs}", "numeric": True}},
    variants=[
        {"screen": "PHQ-9", "loincs": ["44261-6"], "visit": "for a follow-up of low mood",
         "screen_terms": ["phq-9", "phq9", "phq 9", "patient health questionnaire"]},
        {"screen": "PHQ-9 (modified for teens)", "loincs": PHQ9_TEEN, "visit": "for a routine check-up",
         "screen_terms": ["phq-9", "phq9", "phq 9", "patient health questionnaire"]},
        {"screen": "PHQ-2", "loincs": ["55758-7"], "visit": "for an annual physical",
         "screen_terms": ["phq-2", "phq2", "phq 2", "patient health questionnaire"]},
    ],
    facts={"phq": {"fact": "latest_observation", "loincs": "{loincs}"}},
    rubric=[
        note_signed("Signed progress note states the {screen} score of {phq}", "progress",
                    {"name": "{screen} with its score", "terms": "{screen_terms}", "values": "{phq_values}"},
                    {"name": "a plan to repeat the screen", "terms": ["repeat", "rescreen", "re-screen",
                                                                       "reassess", "recheck"]}),
        {"kind": "section_visited", "section": "questionnaires", "required": False,
         "label": "Questionnaires reviewed"},
        *closing_criteria(10),
    ],
    step_limit=20,
    oracle="workflows.depression-screen-review-note",
)


@oracle("workflows.depression-screen-review-note")
def depression_screen_review_note(instance):
    p, mrn = instance.params, instance.patient_mrn
    yield {"type": "read_chart_section", "mrn": mrn, "section": "questionnaires", "limit": 100}
    observation = yield {"type": "get_observations", "mrn": mrn, "loinc": p["loincs"][0], "limit": 5}
    row = newest_numeric(observation)
    text = ("Subjective: Seen today; we talked about mood, sleep, energy and daily activities.\n.vitals\n"
            f"Assessment: The most recent {p['screen']} total score was {number_text(row['value'])} on "
            f"{row['effective_at'][:10]}, and we reviewed it together with the patient.\n"
            "Plan: We will repeat the screening questionnaire at the next visit, and the patient knows how to reach "
            "us sooner if their mood worsens or they have any thoughts of self-harm.")
    yield from write_and_sign_note(mrn, "progress", "Depression screening review", text)
    yield {"type": "finish", "message": "Progress note signed."}


@browser_oracle("workflows.depression-screen-review-note")
def depression_screen_review_note_in_browser(instance):
    """Review the screening score on the Questionnaires tab, then document it in a signed progress note."""
    p = instance.params
    questionnaires = yield from browser.open_section(instance.patient_mrn, "questionnaires")
    score, drawn = browser.latest_answer(questionnaires, p["loincs"])
    yield from browser.click("chart-tab-notes")
    yield from browser.write_note("Progress Note", "Depression screening review", (
        "Subjective: Seen today; we talked about mood, sleep, energy and daily activities.\n"
        f"Assessment: The most recent {p['screen']} total score was {score} on {drawn:%Y-%m-%d}, and we reviewed "
        "it together with the patient.\n"
        "Plan: We will repeat the screening questionnaire at the next visit, and the patient knows how to reach us "
        "sooner if their mood worsens or they have any thoughts of self-harm."))
    yield {"type": "finish", "message": "Progress note signed."}


ANXIETY_FOLLOWUP_NOTE = template(
    task_id="ehr/behavioral-health.anxiety-gad7-followup-note-v1",
    title="Anxiety follow-up: review the GAD-7 and document it",
    tier="workflow",
    domain="behavioral-health",
    description="Linked behavioral-health follow-up steps: review the medication list and the most recent GAD-7 "
                "total score (read from the chart at reset), then write and sign a progress note that states the "
                "score in a sentence.",
    instruction="{patient_name} (MRN {mrn}) is seen {visit}. Review their current medications and their most "
                "recent GAD-7 anxiety score, then write and sign a progress note whose assessment states the GAD-7 "
                "total score in a sentence, with your plan.",
    patient_selector={"age_min": 18, "has_observation": {"loincs": GAD7, "numeric": True}},
    variants=[
        {"visit": "for a routine follow-up of stress and worry"},
        {"visit": "after reporting trouble sleeping because of worry"},
        {"visit": "for a medication check-in by telephone"},
    ],
    facts={"gad7": {"fact": "latest_observation", "loincs": GAD7}},
    rubric=[
        note_signed("Signed progress note states the GAD-7 score of {gad7}", "progress",
                    {"name": "GAD-7 with its score", "values": "{gad7_values}",
                     "terms": ["gad-7", "gad7", "gad 7", "generalized anxiety disorder 7"]}),
        {"kind": "section_visited", "section": "medications", "label": "Medication list reviewed"},
        *closing_criteria(10),
    ],
    step_limit=20,
    oracle="workflows.anxiety-gad7-followup-note",
)


@oracle("workflows.anxiety-gad7-followup-note")
def anxiety_gad7_followup_note(instance):
    mrn = instance.patient_mrn
    yield {"type": "read_chart_section", "mrn": mrn, "section": "medications", "limit": 100}
    observation = yield {"type": "get_observations", "mrn": mrn, "loinc": GAD7[0], "limit": 5}
    row = newest_numeric(observation)
    text = ("Subjective: Seen today to follow up on anxiety symptoms; we discussed sleep, worry and coping.\n"
            ".meds\n"
            f"Assessment: The most recent GAD-7 total score was {number_text(row['value'])} "
            f"on {row['effective_at'][:10]}, "
            "which we reviewed together today.\n"
            "Plan: We will continue the current plan, encourage counseling, and repeat the GAD-7 at the next visit.")
    yield from write_and_sign_note(mrn, "progress", "Anxiety follow-up", text)
    yield {"type": "finish", "message": "Progress note signed."}


SSRI_ANALGESIA = template(
    task_id="ehr/behavioral-health.ssri-safe-analgesia-v1",
    title="Pain relief for a patient on an SSRI without adding bleeding risk",
    tier="objective",
    domain="behavioral-health",
    description="Order entry toward a clinical goal: a patient taking an SSRI asks for something for pain; order "
                "oral acetaminophen as needed, at most 1 g a dose and 4 g a day (FDA): 500-1000 mg every 6-8 "
                "hours or 325-650 mg every 4 hours. An NSAID with an SSRI raises the risk of GI bleeding (SSRI "
                "labels; Beers 2023) and is a critical safety violation; other orders cost a penalty. Patients on "
                "an anticoagulant, allergic to acetaminophen, already taking it, or with unhealthy alcohol use on "
                "the problem list (a lower daily limit) are not asked. The instruction states nothing about kidney "
                "or liver function: the chart is the record of that.",
    instruction="{patient_name} (MRN {mrn}) takes an SSRI for mood and asks for something for {pain}. Order and "
                "sign an as-needed oral analgesic at a standard dose that does not add to the bleeding risk of "
                "their antidepressant.",
    patient_selector={"age_min": 18, "has_medication_rxnorm": SSRI_RXNORM,
                      "lacks_allergy_substance": ["acetaminophen", "paracetamol", "tylenol"],
                      "lacks_medication_class": ["vka", "doac", "analgesic-acetaminophen", "opioid",
                                                 "cold-combination"],
                      "lacks_condition_codes": [UNHEALTHY_ALCOHOL_USE]},
    variants=[
        {"pain": "a sore lower back after moving furniture"},
        {"pain": "tension headaches this week"},
        {"pain": "a sprained ankle from a weekend hike"},
    ],
    rubric=[
        acetaminophen_prn(weight=3, label="Acetaminophen by mouth as needed, at most 1 g a dose and 4 g a day"),
        no_order_of("No NSAID with an SSRI (GI bleeding risk)", ["nsaid"]),
        {"kind": "order_absent", "label": "No opioid for simple musculoskeletal pain", "drug_class": ["opioid"],
         "severity": "penalty"},
        {"kind": "no_extra_orders", "label": "Only the analgesic"},
        *closing_criteria(8),
    ],
    step_limit=16,
    oracle="workflows.ssri-safe-analgesia",
)


@oracle("workflows.ssri-safe-analgesia")
def ssri_safe_analgesia(instance):
    mrn = instance.patient_mrn
    yield from place_and_sign(mrn, [{"orderable": ACETAMINOPHEN, "dose": 650, "route": "PO", "frequency": "Q6H",
                                     "prn": True, "prn_reason": "pain", "instructions": "Maximum 3 g per day"}],
                              indication="Musculoskeletal pain", override_reason=OVERRIDE_REASON)
    yield {"type": "finish", "message": "Acetaminophen ordered."}
