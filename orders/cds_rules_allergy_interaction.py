"""The curated knowledge behind decision support on what a drug meets: allergens, duplicate therapy, interactions.

Tables, not code, so a pharmacist can review them line by line. Drugs are matched by
ingredient name or drug class, the vocabulary of orders/catalog.json; a rule naming a
class applies to every ingredient of that class. Dosing knowledge (renal limits,
high-alert drugs) is in orders.cds_rules_dosing.

Sources: FDA labels (boxed warnings, contraindications), ACC/AHA heart-failure guidance
(RAAS blockade and potassium), and standard interaction references for the pairs below.
They are a teaching set, deliberately short: what a clinician expects an EHR to catch.
"""

from dataclasses import dataclass, field

# Alert severities (OrderAlert.Severity), for these tables and the dosing rules.
HIGH, LOW = "high", "low"


# --- Allergies ---------------------------------------------------------------------


@dataclass(frozen=True)
class Allergen:
    """A drug allergy as the chart records it, and what it forbids or warns about.

    `codes` are the RxNorm codes the chart uses for the allergy (Synthea codes drug
    allergies by RxNorm ingredient), `words` match its free-text substance. `classes`
    are drug classes treated as the same allergy (high severity); `cross` maps other
    classes to the severity of a cross-reactivity warning.
    """

    key: str
    label: str
    codes: frozenset[str] = frozenset()
    words: tuple[str, ...] = ()
    ingredients: frozenset[str] = frozenset()
    classes: frozenset[str] = frozenset()
    cross: dict[str, str] = field(default_factory=dict)
    cross_note: str = ""


ALLERGENS = (
    Allergen(
        "penicillin",
        "penicillins",
        codes=frozenset({"7980", "7984", "723", "733"}),
        words=("penicillin", "amoxicillin", "ampicillin", "piperacillin", "augmentin", "nafcillin", "dicloxacillin"),
        classes=frozenset({"penicillin"}),
        cross={"cephalosporin": LOW},
        cross_note="Cross-reactivity between penicillins and cephalosporins is about 1–2% (higher with "
        "similar side chains, e.g. cefazolin is lowest, first-generation oral agents highest); "
        "avoid if the reaction was anaphylaxis or a severe cutaneous reaction.",
    ),
    Allergen(
        "cephalosporin",
        "cephalosporins",
        codes=frozenset({"2231", "2193", "2180"}),
        words=("cephalosporin", "cephalexin", "ceftriaxone", "cefazolin", "cefuroxime", "cefepime", "keflex"),
        classes=frozenset({"cephalosporin"}),
        cross={"penicillin": LOW},
        cross_note="Penicillin cross-reactivity in cephalosporin-allergic patients is low but documented.",
    ),
    Allergen(
        "sulfonamide-antibiotic",
        "sulfonamide antibiotics",
        codes=frozenset({"10831", "10180"}),
        words=("sulfamethoxazole", "sulfa ", "sulfonamide", "bactrim", "septra"),
        classes=frozenset({"sulfonamide-antibiotic"}),
    ),
    Allergen(
        "aspirin",
        "aspirin",
        codes=frozenset({"1191"}),
        words=("aspirin", "acetylsalicylic"),
        ingredients=frozenset({"aspirin"}),
        classes=frozenset({"salicylate"}),
        cross={"nsaid": LOW},
        cross_note="Aspirin-sensitive patients (NSAID-exacerbated respiratory disease, urticaria) often react "
        "to other COX-1 inhibiting NSAIDs.",
    ),
    Allergen(
        "nsaid",
        "NSAIDs",
        codes=frozenset({"5640", "7258", "35827", "5781"}),
        words=("ibuprofen", "naproxen", "ketorolac", "indomethacin", "nsaid", "motrin", "advil"),
        cross={"nsaid": LOW, "salicylate": LOW},
        cross_note="Reactions to one NSAID frequently recur with other COX-1 inhibitors.",
    ),
    Allergen(
        "ace-inhibitor",
        "ACE inhibitors",
        codes=frozenset({"29046", "3827", "1998", "35296"}),
        words=("lisinopril", "enalapril", "captopril", "ramipril", "benazepril", "ace inhibitor"),
        classes=frozenset({"ace-inhibitor"}),
        cross={"arni": HIGH, "arb": LOW},
        cross_note="ACE-inhibitor reactions (angioedema) are a class effect; sacubitril-valsartan is "
        "contraindicated after ACE-inhibitor angioedema, and ARBs carry a small risk.",
    ),
    Allergen(
        "opioid",
        "opioids",
        codes=frozenset({"7052", "2670"}),
        words=("morphine", "codeine", "opioid", "opiate"),
        cross={"opioid": LOW},
        cross_note="Many opioid 'allergies' are pseudo-allergic histamine release; confirm the reaction.",
    ),
)

# The ingredient the chart's allergy names, by RxNorm code, for "same drug" matches.
ALLERGY_CODE_INGREDIENTS = {
    "7980": "penicillin G",
    "7984": "penicillin V",
    "723": "amoxicillin",
    "733": "ampicillin",
    "1191": "aspirin",
    "5640": "ibuprofen",
    "7258": "naproxen",
    "29046": "lisinopril",
    "10831": "sulfamethoxazole-trimethoprim",
    "7052": "morphine",
}


# --- Duplicate therapy -----------------------------------------------------------------

# Classes that duplicate each other for therapeutic-duplication checks, and how serious
# two of them together are. Classes not listed form their own group.
THERAPEUTIC_GROUPS = {
    "vka": "anticoagulant",
    "lmwh": "anticoagulant",
    "heparin": "anticoagulant",
    "doac": "anticoagulant",
    "ace-inhibitor": "raas-blocker",
    "arb": "raas-blocker",
    "arni": "raas-blocker",
}
HIGH_RISK_GROUPS = frozenset({"anticoagulant"})
# Giving two of these together is routine (two fluids, several vitamins), not a duplication.
NO_DUPLICATE_THERAPY = frozenset(
    {"iv-fluid", "glucose", "vitamin", "potassium-supplement", "magnesium-supplement", "cold-combination"}
)


# --- Drug–drug interactions ----------------------------------------------------------------


@dataclass(frozen=True)
class Interaction:
    """Two drugs (ingredient names or classes) that should not, or only carefully, go together."""

    a: frozenset[str]
    b: frozenset[str]
    severity: str
    title: str
    message: str

    def matches(self, left: frozenset[str], right: frozenset[str]) -> bool:
        return bool((self.a & left and self.b & right) or (self.a & right and self.b & left))


def _i(a, b, severity, title, message) -> Interaction:
    as_set = lambda names: frozenset([names] if isinstance(names, str) else names)  # noqa: E731
    return Interaction(as_set(a), as_set(b), severity, title, message)


SEROTONERGIC_ANTIDEPRESSANTS = ("ssri", "snri", "serotonin-modulator", "tetracyclic-antidepressant")

INTERACTIONS = (
    _i(
        "vka",
        "nsaid",
        HIGH,
        "Warfarin + NSAID",
        "Major bleeding risk (GI haemorrhage) from antiplatelet effect and mucosal injury; avoid, or add "
        "gastroprotection and check the INR within a week.",
    ),
    _i(
        "vka",
        "salicylate",
        HIGH,
        "Warfarin + aspirin",
        "Additive bleeding risk; combine only with a specific indication (mechanical valve, recent stent) documented.",
    ),
    _i(
        "vka",
        "sulfonamide-antibiotic",
        HIGH,
        "Warfarin + trimethoprim-sulfamethoxazole",
        "CYP2C9 inhibition raises the INR sharply; choose another antibiotic or reduce the warfarin dose and "
        "check the INR in 3–5 days.",
    ),
    _i(
        "vka",
        "nitroimidazole",
        HIGH,
        "Warfarin + metronidazole",
        "Metronidazole inhibits warfarin metabolism and markedly raises the INR; reduce the dose and monitor.",
    ),
    _i(
        ("lmwh", "heparin", "doac"),
        "nsaid",
        HIGH,
        "Anticoagulant + NSAID",
        "Major bleeding risk; avoid NSAIDs during anticoagulation.",
    ),
    _i(
        ("ace-inhibitor", "arb"),
        "potassium-supplement",
        LOW,
        "ACE inhibitor/ARB + potassium",
        "RAAS blockade reduces potassium excretion: hyperkalaemia risk. Check potassium and creatinine within 1 week.",
    ),
    _i(
        ("ace-inhibitor", "arb", "arni"),
        "potassium-sparing-diuretic",
        LOW,
        "RAAS blocker + spironolactone",
        "Hyperkalaemia risk (RALES): check potassium and creatinine at 3 days and 1 week; stop if K > 5.5.",
    ),
    _i(
        "potassium-sparing-diuretic",
        "potassium-supplement",
        HIGH,
        "Spironolactone + potassium",
        "Potassium-sparing diuretic with potassium supplementation: serious hyperkalaemia risk.",
    ),
    _i(
        "ace-inhibitor",
        "arni",
        HIGH,
        "ACE inhibitor + sacubitril-valsartan",
        "Contraindicated: angioedema. Stop the ACE inhibitor 36 hours before starting sacubitril-valsartan.",
    ),
    _i(
        "ace-inhibitor",
        "arb",
        LOW,
        "ACE inhibitor + ARB",
        "Dual RAAS blockade adds hyperkalaemia and acute kidney injury without outcome benefit; avoid.",
    ),
    _i(
        SEROTONERGIC_ANTIDEPRESSANTS,
        "maoi",
        HIGH,
        "Serotonergic antidepressant + MAO inhibitor",
        "Contraindicated: serotonin syndrome. Allow 14 days after stopping an MAOI (5 weeks after fluoxetine).",
    ),
    _i(
        ("ssri", "snri"),
        "oxazolidinone",
        HIGH,
        "SSRI/SNRI + linezolid",
        "Linezolid is a reversible MAO inhibitor: serotonin syndrome. Prefer another agent, or hold the "
        "antidepressant and monitor.",
    ),
    _i(
        ("meperidine", "tramadol"),
        ("maoi", "oxazolidinone"),
        HIGH,
        "Meperidine/tramadol + MAO inhibitor",
        "Contraindicated: serotonin syndrome, hypertensive crisis, seizures.",
    ),
    _i(
        "triptan",
        "maoi",
        HIGH,
        "Triptan + MAO inhibitor",
        "Contraindicated: MAO-A inhibition raises triptan levels (serotonin syndrome).",
    ),
    _i(
        ("ssri", "snri"),
        "triptan",
        LOW,
        "SSRI/SNRI + triptan",
        "Serotonin syndrome has been reported; the absolute risk is low. Counsel the patient.",
    ),
    _i(("ssri", "snri"), "tramadol", LOW, "SSRI/SNRI + tramadol", "Serotonin syndrome and lowered seizure threshold."),
    _i(
        "clopidogrel",
        ("omeprazole", "esomeprazole"),
        LOW,
        "Clopidogrel + omeprazole",
        "Omeprazole inhibits CYP2C19 and reduces clopidogrel activation; prefer pantoprazole or an H2 blocker.",
    ),
    _i(
        ("opioid", "opioid-partial-agonist"),
        ("benzodiazepine", "sedative-hypnotic"),
        HIGH,
        "Opioid + benzodiazepine",
        "FDA boxed warning: profound sedation, respiratory depression, death. Avoid, or use the lowest doses "
        "with monitoring.",
    ),
    _i(
        "simvastatin",
        "clarithromycin",
        HIGH,
        "Simvastatin + clarithromycin",
        "Contraindicated: strong CYP3A4 inhibition raises simvastatin levels (rhabdomyolysis). Hold "
        "simvastatin during the course.",
    ),
    _i(
        "methotrexate",
        "sulfonamide-antibiotic",
        HIGH,
        "Methotrexate + trimethoprim-sulfamethoxazole",
        "Additive antifolate effect and reduced clearance: pancytopenia. Avoid.",
    ),
    _i(
        "methotrexate",
        "nsaid",
        LOW,
        "Methotrexate + NSAID",
        "NSAIDs reduce methotrexate clearance; monitor counts and renal function.",
    ),
    _i(
        "digoxin",
        "verapamil",
        LOW,
        "Digoxin + verapamil",
        "Verapamil raises digoxin levels 50–75% and adds AV-nodal block; reduce digoxin and check a level.",
    ),
    _i(
        "ccb-nondihydropyridine",
        "beta-blocker",
        LOW,
        "Verapamil/diltiazem + beta blocker",
        "Additive bradycardia, AV block and negative inotropy; monitor heart rate and ECG.",
    ),
    _i(
        "nsaid",
        ("ace-inhibitor", "arb"),
        LOW,
        "NSAID + ACE inhibitor/ARB",
        "Reduced antihypertensive effect and acute kidney injury, worse with a diuretic.",
    ),
    _i(
        "nsaid",
        "salicylate",
        LOW,
        "NSAID + aspirin",
        "Ibuprofen and naproxen can block aspirin's antiplatelet effect; added GI bleeding risk.",
    ),
    _i(
        "ondansetron",
        ("haloperidol", "citalopram", "escitalopram"),
        LOW,
        "QT-prolonging combination",
        "Additive QT prolongation; check the QTc and electrolytes.",
    ),
)
