"""The note templates EHRGym ships: one or more per note type.

Plain data, so the data migration that installs them and tests can both use it
without importing models. Admins edit or add templates in Django admin afterwards;
`install` only fills in templates that are missing, so it never overwrites their edits.
"""

from dataclasses import dataclass

SOAP_PROGRESS = """\
Patient: .name, .age, MRN .mrn

SUBJECTIVE:
Chief complaint:
Interval history:

OBJECTIVE:
.vitals
Exam:

.labs

.meds

Allergies: .allergies

ASSESSMENT:
.problems

PLAN:
"""

HISTORY_AND_PHYSICAL = """\
Patient: .name, .age, DOB .dob, MRN .mrn

CHIEF COMPLAINT:

HISTORY OF PRESENT ILLNESS (HPI):

PAST MEDICAL HISTORY (PMH):
.problems

MEDICATIONS:
.meds

ALLERGIES:
.allergies

SOCIAL HISTORY:

FAMILY HISTORY:

REVIEW OF SYSTEMS (ROS):
Constitutional:
Cardiovascular:
Respiratory:
Gastrointestinal:
Neurological:

PHYSICAL EXAM:
.vitals
General:
HEENT:
Cardiovascular:
Respiratory:
Abdomen:
Extremities:
Neurological:

LABS:
.labs

ASSESSMENT AND PLAN (A&P):
"""

DISCHARGE_SUMMARY = """\
Patient: .name, .age, DOB .dob, MRN .mrn

ADMISSION DATE:
DISCHARGE DATE:

REASON FOR ADMISSION:

DISCHARGE DIAGNOSES:
.problems

HOSPITAL COURSE:

PROCEDURES PERFORMED:

CONDITION AT DISCHARGE:
.vitals

DISCHARGE MEDICATIONS:
.meds

ALLERGIES:
.allergies

FOLLOW-UP:

PATIENT INSTRUCTIONS:
"""

PROCEDURE_NOTE = """\
Patient: .name, .age, MRN .mrn

PROCEDURE:
DATE AND TIME:
OPERATOR:
ASSISTANT:

INDICATION:

CONSENT:
Risks, benefits and alternatives were discussed; the patient gave informed consent.

ALLERGIES: .allergies

PRE-PROCEDURE VITALS:
.vitals

ANESTHESIA:

DESCRIPTION OF PROCEDURE:

FINDINGS:

ESTIMATED BLOOD LOSS:
SPECIMENS:
COMPLICATIONS: None

DISPOSITION:
"""


@dataclass(frozen=True)
class StandardTemplate:
    key: str
    name: str
    note_type: str
    description: str
    body: str
    sort_order: int = 10


STANDARD_TEMPLATES = (
    StandardTemplate(
        "soap-progress", "SOAP Progress Note", "progress",
        "Subjective, Objective, Assessment and Plan, with vitals, labs and medications pulled in.", SOAP_PROGRESS,
    ),
    StandardTemplate(
        "history-and-physical", "History and Physical", "h_and_p",
        "HPI, PMH, medications, allergies, ROS, exam and A&P.", HISTORY_AND_PHYSICAL,
    ),
    StandardTemplate(
        "discharge-summary", "Discharge Summary", "discharge",
        "Diagnoses, hospital course, discharge medications and follow-up.", DISCHARGE_SUMMARY,
    ),
    StandardTemplate(
        "procedure-note", "Procedure Note", "procedure",
        "Indication, consent, procedure, findings and complications.", PROCEDURE_NOTE,
    ),
)


def install(template_model, *, using: str) -> int:
    """Create the standard templates that are missing in database `using`; returns how many.

    Takes the model class so the data migration can pass its historical model, and an
    explicit alias because migrations also build the golden database, not just `default`.
    """
    manager = template_model.objects.using(using)
    existing = set(manager.values_list("key", flat=True))
    missing = [
        template_model(
            key=t.key, name=t.name, note_type=t.note_type, description=t.description, body=t.body,
            sort_order=t.sort_order,
        )
        for t in STANDARD_TEMPLATES
        if t.key not in existing
    ]
    manager.bulk_create(missing)
    return len(missing)
