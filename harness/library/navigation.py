"""Navigation and chart review: finding what the chart says, and acting on it."""

from harness import browser_oracles as browser
from harness.browser_oracles import browser_oracle
from harness.library import template
from harness.library.builders import chart_question, closing_criteria
from harness.oracles import oracle

ACTIVE_MEDICATION_COUNT = chart_question(
    task_id="ehr/navigation-and-chart-review.active-medication-count-v1",
    title="How many active medications?",
    domain="navigation-and-chart-review",
    description="Retrieval: count the drugs on the active medication list (past medications do not count). "
                "The count is read from the episode's chart at reset.",
    instruction="How many medications are on the active medication list of {patient_name} (MRN {mrn})? Answer "
                "with a number.",
    variants=[{}],
    facts={"medications": {"fact": "active_medications"}},
    section="medications",
    answers=[{"kind": "answer_matches", "label": "The number of active medications",
              "expected": "{medications}", "match": "number", "tolerance": 0}],
    max_steps=6,
    step_limit=12,
    oracle="navigation.active-medication-count",
)


@oracle("navigation.active-medication-count")
def active_medication_count(instance):
    meds = yield {"type": "read_chart_section", "mrn": instance.patient_mrn, "section": "medications",
                  "limit": 200}
    yield {"type": "answer", "answer": str(len(meds["last_action_result"]["active"]))}


ACTIVE_ALLERGIES = chart_question(
    task_id="ehr/navigation-and-chart-review.active-allergies-v1",
    title="List the active allergies",
    domain="navigation-and-chart-review",
    description="Retrieval: every active allergy's substance (inactive or resolved ones left out), or \"none\"; "
                "scored as a list match against the chart at reset.",
    instruction="List every active allergy of {patient_name} (MRN {mrn}), separated by semicolons, or answer "
                "\"none\" if there are none.",
    variants=[{}],
    facts={"allergies": {"fact": "active_allergies"}},
    section="allergies",
    answers=[{"kind": "answer_matches", "label": "Every active allergy",
              "expected": "{allergies}", "match": "list"}],
    max_steps=6,
    step_limit=12,
    oracle="navigation.active-allergies",
)


def _active_allergies(observation):
    return sorted({a["substance"] for a in observation["last_action_result"]["allergies"]
                   if a["clinical_status"] == "active"}, key=str.lower)


@oracle("navigation.active-allergies")
def active_allergies(instance):
    observation = yield {"type": "read_chart_section", "mrn": instance.patient_mrn, "section": "allergies",
                         "limit": 200}
    active = _active_allergies(observation)
    yield {"type": "answer", "answer": "; ".join(active) if active else "none"}


@browser_oracle("navigation.active-allergies")
def active_allergies_in_browser(instance):
    """From the patient list to the chart's allergy list by search and clicks; name the active ones."""
    mrn = instance.patient_mrn
    yield from browser.fill("patient-list-search", mrn)
    found = yield from browser.act({"type": "press", "bid": "patient-list-search", "key_comb": "Enter"})
    row = next((r for r in browser.table_rows(found, "patient-list-table") if r.cells()[1] == mrn), None)
    if row is None:
        raise browser.PageError(f"MRN {mrn} is not in the patient list")
    yield from browser.click(row.find(role="link").bid)
    active = browser.active_allergy_list((yield from browser.click("chart-tab-allergies")))
    yield {"type": "answer", "answer": "; ".join(active) if active else "none"}


GOALS_OF_CARE_AND_ALLERGY = template(
    task_id="ehr/navigation-and-chart-review.goals-of-care-and-allergy-update-v1",
    title="Admission review: code status, a reported allergy, and the medication count",
    tier="workflow",
    domain="navigation-and-chart-review",
    description="Linked charting steps at an admission review: set the code status the patient states, record "
                "the drug allergy they report (with its reaction), then count the active medications for "
                "reconciliation. The count counts only if the medication list was opened (a gate).",
    instruction="You are reviewing the chart of {patient_name} (MRN {mrn}) on admission. They tell you they "
                "{wish}, and that {drug} gave them {reaction}. Document the code status, record the {drug} "
                "allergy with its reaction, then, for medication reconciliation, answer with the number of "
                "medications on their active medication list.",
    patient_selector={"age_min": 18, "code_status": "full", "lacks_allergy_substance": "{words}"},
    variants=[
        {"code_status": "dnr_dni", "wish": "do not want CPR or a breathing tube if their heart or breathing stops",
         "drug": "codeine", "substance": "Codeine", "words": ["codeine"], "code": "2670",
         "reaction": "severe vomiting", "reaction_words": ["vomit", "emesis"]},
        {"code_status": "dnr", "wish": "do not want CPR, but would accept a breathing tube",
         "drug": "lisinopril", "substance": "Lisinopril", "words": ["lisinopril"], "code": "29046",
         "reaction": "swelling of the lips and tongue", "reaction_words": ["angioedema", "swelling"]},
        {"code_status": "comfort", "wish": "want comfort-focused care only, without resuscitation",
         "drug": "ibuprofen", "substance": "Ibuprofen", "words": ["ibuprofen", "advil", "motrin"], "code": "5640",
         "reaction": "wheezing", "reaction_words": ["wheez", "bronchospasm"]},
    ],
    facts={"medications": {"fact": "active_medications"}},
    rubric=[
        {"kind": "code_status_set", "weight": 2, "label": "Code status documented as stated",
         "code_status": "{code_status}"},
        {"kind": "allergy_added", "weight": 2, "label": "{drug} allergy recorded with its reaction",
         "substance": "{words}", "code": "{code}", "reaction": "{reaction_words}", "category": "medication"},
        {"kind": "gate", "weight": 2, "label": "Active medications counted from the medication list",
         "criteria": [
             {"kind": "section_visited", "section": "medications"},
             {"kind": "answer_matches", "expected": "{medications}", "match": "number", "tolerance": 0},
         ]},
        *closing_criteria(10),
    ],
    step_limit=20,
    oracle="navigation.goals-of-care-and-allergy-update",
)


@oracle("navigation.goals-of-care-and-allergy-update")
def goals_of_care_and_allergy_update(instance):
    p, mrn = instance.params, instance.patient_mrn
    yield {"type": "set_code_status", "mrn": mrn, "code_status": p["code_status"]}
    yield {"type": "add_allergy", "mrn": mrn, "substance": p["substance"], "code": p["code"],
           "category": "medication", "reaction": p["reaction"].capitalize()}
    meds = yield {"type": "read_chart_section", "mrn": mrn, "section": "medications", "limit": 200}
    yield {"type": "answer", "answer": str(len(meds["last_action_result"]["active"]))}
