"""The vaccines the EHR records by hand, coded in CVX (CDC's vaccines administered code set).

Every vaccine of the shipped Synthea population is here, with its CDC short description as
Synthea writes it, plus the current adult vaccines a clinic gives (influenza, Tdap, zoster,
pneumococcal, hepatitis B, HPV, COVID-19). Recording a vaccine takes a code from this
list, so the immunization history stays coded; a chart imported from elsewhere may hold
other CVX codes, which it keeps as they came.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Vaccine:
    cvx: str
    display: str  # CDC's CVX short description


VACCINES: dict[str, Vaccine] = {
    v.cvx: v
    for v in (
        # Influenza
        Vaccine("140", "Influenza, seasonal, injectable, preservative free"),
        Vaccine("141", "Influenza, seasonal, injectable"),
        Vaccine("150", "influenza, injectable, quadrivalent, preservative free"),
        Vaccine("158", "influenza, injectable, quadrivalent"),
        Vaccine("185", "influenza, recombinant, quadrivalent,injectable, preservative free"),
        Vaccine("197", "influenza, high-dose, quadrivalent"),
        # Tetanus, diphtheria, pertussis
        Vaccine("20", "DTaP"),
        Vaccine("113", "Td (adult), 5 Lf tetanus toxoid, preservative free, adsorbed"),
        Vaccine("115", "Tdap"),
        # Pneumococcal
        Vaccine("133", "Pneumococcal conjugate PCV 13"),
        Vaccine("215", "Pneumococcal conjugate PCV 15"),
        Vaccine("216", "Pneumococcal conjugate PCV 20"),
        Vaccine("33", "pneumococcal polysaccharide vaccine, 23 valent"),
        # Zoster
        Vaccine("121", "zoster vaccine, live"),
        Vaccine("187", "zoster vaccine recombinant"),
        # Hepatitis A and B
        Vaccine("08", "Hep B, adolescent or pediatric"),
        Vaccine("43", "Hep B, adult"),
        Vaccine("189", "HepB-CpG"),
        Vaccine("83", "Hep A, ped/adol, 2 dose"),
        Vaccine("52", "Hep A, adult"),
        # Childhood series
        Vaccine("10", "IPV"),
        Vaccine("49", "Hib (PRP-OMP)"),
        Vaccine("119", "rotavirus, monovalent"),
        Vaccine("03", "MMR"),
        Vaccine("21", "varicella"),
        # Adolescent
        Vaccine("62", "HPV, quadrivalent"),
        Vaccine("165", "HPV9"),
        Vaccine("114", "meningococcal MCV4P"),
        Vaccine("136", "Meningococcal MCV4O"),
        # COVID-19
        Vaccine("207", "COVID-19, mRNA, LNP-S, PF, 100 mcg/0.5 mL dose"),
        Vaccine("208", "COVID-19, mRNA, LNP-S, PF, 30 mcg/0.3 mL dose"),
    )
}

# Where an injection was given (HL7 v3 ActSite codes, as FHIR's Immunization.site uses them).
SITES: dict[str, str] = {
    "LD": "Left deltoid",
    "RD": "Right deltoid",
    "LA": "Left arm",
    "RA": "Right arm",
    "LT": "Left thigh",
    "RT": "Right thigh",
}


def vaccine_choices() -> list[tuple[str, str]]:
    """(CVX, "display (CVX n)") for a form's select, in the order above."""
    return [(v.cvx, f"{v.display} (CVX {v.cvx})") for v in VACCINES.values()]
