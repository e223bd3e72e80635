"""Where each result belongs on the chart: a Results Review panel (by LOINC code), or Questionnaires.

Synthea files survey answers (PRAPARE's social-needs questions, PHQ/GAD and other screening totals) under
the "laboratory" category, so categories alone do not keep them out of Results: the codes below do.
"""

from dataclasses import dataclass

# Questionnaire answers and scores Synthea emits, whatever category it gives them.
QUESTIONNAIRE_LOINCS = frozenset({
    # PRAPARE social-needs assessment (93025-5) and other social history questions.
    "32624-9", "54899-0", "56051-6", "56799-0", "63512-8", "63586-2", "67875-5", "71802-3", "76437-3",
    "76501-6", "82589-3", "93026-3", "93027-1", "93028-9", "93029-7", "93030-5", "93031-3", "93033-9",
    "93034-7", "93035-4", "93038-8", "63513-6", "76690-7", "28245-9", "46240-8", "55277-8", "72166-2",
    # Screening totals: PHQ-2, PHQ-9 (adult and teen), GAD-7, AUDIT-C, DAST-10, HARK, pain, fall risk.
    "55758-7", "44261-6", "89204-2", "70274-6", "75626-2", "82667-7", "76504-0", "38208-5", "75893-8",
    "91145-3", "91146-1", "59460-6", "59461-4",
})
QUESTIONNAIRE_CATEGORIES = ("survey", "social-history")
SCORE_UNITS = ("{score}",)


def is_questionnaire(*, loinc: str, category: str, unit: str = "") -> bool:
    """A questionnaire answer or score rather than a measured result."""
    return category in QUESTIONNAIRE_CATEGORIES or loinc in QUESTIONNAIRE_LOINCS or unit in SCORE_UNITS


@dataclass(frozen=True)
class Panel:
    key: str  # in the page's data-testids and anchors
    label: str


PANELS = (
    Panel("chemistry", "Chemistry (BMP/CMP)"),
    Panel("cbc", "CBC"),
    Panel("lipids", "Lipids"),
    Panel("urinalysis", "Urinalysis"),
    Panel("coagulation", "Coagulation"),
    Panel("blood-gas", "Blood gas"),
    Panel("endocrine", "Endocrine"),
    Panel("other", "Other"),
)
PANELS_BY_KEY = {panel.key: panel for panel in PANELS}
OTHER = PANELS_BY_KEY["other"]

# (panel, analyte, specimen): the specimen is shown only where two codes of a panel share the analyte.
BLOOD, SERUM, URINE, ARTERIAL, VENOUS = "blood", "serum/plasma", "urine", "arterial", "venous"
_ANALYTES: dict[str, tuple[str, str, str]] = {
    "2339-0": ("chemistry", "Glucose", BLOOD), "2345-7": ("chemistry", "Glucose", SERUM),
    "6299-2": ("chemistry", "Urea nitrogen (BUN)", BLOOD), "3094-0": ("chemistry", "Urea nitrogen (BUN)", SERUM),
    "38483-4": ("chemistry", "Creatinine", BLOOD), "2160-0": ("chemistry", "Creatinine", SERUM),
    "49765-1": ("chemistry", "Calcium", BLOOD), "17861-6": ("chemistry", "Calcium", SERUM),
    "2947-0": ("chemistry", "Sodium", BLOOD), "2951-2": ("chemistry", "Sodium", SERUM),
    "6298-4": ("chemistry", "Potassium", BLOOD), "2823-3": ("chemistry", "Potassium", SERUM),
    "2069-3": ("chemistry", "Chloride", BLOOD), "2075-0": ("chemistry", "Chloride", SERUM),
    "20565-8": ("chemistry", "Carbon dioxide, total", BLOOD), "2028-9": ("chemistry", "Carbon dioxide, total", SERUM),
    "33914-3": ("chemistry", "eGFR", ""), "62238-1": ("chemistry", "eGFR (CKD-EPI)", ""),
    "98979-8": ("chemistry", "eGFR (CKD-EPI 2021)", ""),
    "19123-9": ("chemistry", "Magnesium", SERUM), "21377-7": ("chemistry", "Magnesium", BLOOD),
    "2777-1": ("chemistry", "Phosphate", SERUM),
    "2885-2": ("chemistry", "Protein, total", SERUM), "1751-7": ("chemistry", "Albumin", SERUM),
    "10834-0": ("chemistry", "Globulin", SERUM), "1975-2": ("chemistry", "Bilirubin, total", SERUM),
    "6768-6": ("chemistry", "Alkaline phosphatase", ""), "1742-6": ("chemistry", "ALT", ""),
    "1920-8": ("chemistry", "AST", ""), "32693-4": ("chemistry", "Lactate", BLOOD),
    "89579-7": ("chemistry", "Troponin I, high sensitivity", ""),
    "6690-2": ("cbc", "WBC", ""), "789-8": ("cbc", "RBC", ""), "718-7": ("cbc", "Hemoglobin", ""),
    "4544-3": ("cbc", "Hematocrit", "automated"), "20570-8": ("cbc", "Hematocrit", BLOOD),
    "787-2": ("cbc", "MCV", ""), "785-6": ("cbc", "MCH", ""), "786-4": ("cbc", "MCHC", ""),
    "21000-5": ("cbc", "RDW-SD", ""), "788-0": ("cbc", "RDW-CV", ""), "777-3": ("cbc", "Platelets", ""),
    "32623-1": ("cbc", "MPV", ""), "32207-3": ("cbc", "PDW", ""),
    "770-8": ("cbc", "Neutrophils", ""), "736-9": ("cbc", "Lymphocytes", ""), "5905-5": ("cbc", "Monocytes", ""),
    "713-8": ("cbc", "Eosinophils", ""), "706-2": ("cbc", "Basophils", ""),
    "751-8": ("cbc", "Neutrophils, absolute", ""), "731-0": ("cbc", "Lymphocytes, absolute", ""),
    "2093-3": ("lipids", "Cholesterol, total", ""), "2571-8": ("lipids", "Triglycerides", ""),
    "18262-6": ("lipids", "LDL cholesterol", ""), "13457-7": ("lipids", "LDL cholesterol (calculated)", ""),
    "2085-9": ("lipids", "HDL cholesterol", ""),
    "5767-9": ("urinalysis", "Appearance", ""), "5778-6": ("urinalysis", "Color", ""),
    "32167-9": ("urinalysis", "Clarity", ""), "34533-0": ("urinalysis", "Odor", ""),
    "5792-7": ("urinalysis", "Glucose", "concentration"), "25428-4": ("urinalysis", "Glucose", "presence"),
    "20505-4": ("urinalysis", "Bilirubin", "concentration"), "5770-3": ("urinalysis", "Bilirubin", "presence"),
    "5797-6": ("urinalysis", "Ketones", "concentration"), "2514-8": ("urinalysis", "Ketones", "presence"),
    "5804-0": ("urinalysis", "Protein", "concentration"), "20454-5": ("urinalysis", "Protein", "presence"),
    "5794-3": ("urinalysis", "Hemoglobin", ""), "5799-2": ("urinalysis", "Leukocyte esterase", ""),
    "5802-4": ("urinalysis", "Nitrite", ""), "5803-2": ("urinalysis", "pH", ""),
    "5811-5": ("urinalysis", "Specific gravity", ""), "14959-1": ("urinalysis", "Microalbumin/creatinine", ""),
    "6301-6": ("coagulation", "INR", ""), "5902-2": ("coagulation", "Prothrombin time", ""),
    "3173-2": ("coagulation", "aPTT", ""), "3184-9": ("coagulation", "Activated clotting time", ""),
    "2744-1": ("blood-gas", "pH", ARTERIAL), "2746-6": ("blood-gas", "pH", VENOUS),
    "2019-8": ("blood-gas", "pCO2", ARTERIAL), "2021-4": ("blood-gas", "pCO2", VENOUS),
    "2703-7": ("blood-gas", "pO2", ARTERIAL), "2705-2": ("blood-gas", "pO2", VENOUS),
    "1960-4": ("blood-gas", "Bicarbonate", ARTERIAL), "14627-4": ("blood-gas", "Bicarbonate", VENOUS),
    "2027-1": ("blood-gas", "Carbon dioxide, total", VENOUS), "2708-6": ("blood-gas", "O2 saturation", ARTERIAL),
    "4548-4": ("endocrine", "Hemoglobin A1c", ""), "3016-3": ("endocrine", "TSH", ""),
    "2857-1": ("other", "PSA", ""),
}


def panel_of(loinc: str) -> Panel:
    entry = _ANALYTES.get(loinc)
    return PANELS_BY_KEY[entry[0]] if entry else OTHER


def analyte_name(loinc: str, display: str) -> str:
    """The analyte's short name; Synthea's own display for a code not listed."""
    entry = _ANALYTES.get(loinc)
    return entry[1] if entry else display


def specimen_of(loinc: str) -> str:
    entry = _ANALYTES.get(loinc)
    return entry[2] if entry else ""


_RANK = {loinc: i for i, loinc in enumerate(_ANALYTES)}


def analyte_rank(loinc: str) -> int:
    """Where the analyte sits in its panel (the order labs print them); codes not listed come last."""
    return _RANK.get(loinc, len(_RANK))
