"""Adult reference ranges and critical limits, by LOINC, for what Synthea emits.

Synthea's observations carry no reference range or interpretation, yet a chart without
H/L flags hides exactly what a clinician (or an agent) should notice. The values here
are common adult ranges in US conventional units (Mayo Clinic Laboratories, MedlinePlus,
ACC/AHA for blood pressure); critical limits are the usual lab call-back values and are
given only where such a convention exists.

A range applies only in the units it is written in: a value in other units gets no
range rather than a wrong flag (Synthea labels its globulin "g/L" with g/dL values).
"""

from dataclasses import dataclass

Bounds = tuple[float | None, float | None]


@dataclass(frozen=True)
class Reference:
    units: tuple[str, ...]
    low: float | None = None
    high: float | None = None
    critical_low: float | None = None
    critical_high: float | None = None
    male: Bounds | None = None
    female: Bounds | None = None

    def bounds(self, sex: str) -> Bounds:
        by_sex = {"male": self.male, "female": self.female}.get(sex)
        return by_sex or (self.low, self.high)


def _same(reference: Reference, *loincs: str) -> dict[str, Reference]:
    return dict.fromkeys(loincs, reference)


MMHG = ("mm[Hg]", "mmHg")
PER_MIN = ("/min",)
MG_DL = ("mg/dL",)
MMOL_L = ("mmol/L", "meq/L", "mEq/L")
G_DL = ("g/dL",)
U_L = ("U/L",)
FL = ("fL",)
PERCENT = ("%",)
K_UL = ("10*3/uL", "10^3/uL", "K/uL")
CELSIUS = ("Cel",)
# Synthea writes eGFR both per 1.73 m2 and, by mistake, as plain mL/min: same quantity.
EGFR_UNITS = ("mL/min/{1.73_m2}", "mL/min/1.73m2", "mL/min")
SCORE = ("{score}",)

_RANGES: dict[str, Reference] = {
    # Vital signs. Blood pressure ranges follow ACC/AHA "normal".
    "8480-6": Reference(MMHG, 90, 120, critical_low=70, critical_high=180),
    "8462-4": Reference(MMHG, 60, 80, critical_low=40, critical_high=120),
    "8867-4": Reference(PER_MIN, 60, 100, critical_low=40, critical_high=130),
    "9279-1": Reference(PER_MIN, 12, 20, critical_low=8, critical_high=30),
    **_same(Reference(PERCENT, 95, 100, critical_low=88), "2708-6", "59408-5"),
    **_same(Reference(CELSIUS, 36.1, 37.2, critical_low=35.0, critical_high=40.0), "8310-5", "8331-1"),
    "39156-5": Reference(("kg/m2",), 18.5, 24.9),
    # Measured, charted and trended, but never flagged.
    "29463-7": Reference(("kg",)),
    "8302-2": Reference(("cm",)),
    # Basic metabolic panel, in blood (Synthea's usual codes) and serum/plasma.
    **_same(Reference(MG_DL, 70, 99, critical_low=50, critical_high=400), "2339-0", "2345-7"),
    **_same(Reference(MG_DL, 7, 20), "6299-2", "3094-0"),
    **_same(Reference(MG_DL, 0.59, 1.35, male=(0.74, 1.35), female=(0.59, 1.04)), "38483-4", "2160-0"),
    **_same(Reference(MG_DL, 8.6, 10.3, critical_low=6.0, critical_high=13.0), "49765-1", "17861-6"),
    **_same(Reference(MMOL_L, 135, 145, critical_low=120, critical_high=160), "2947-0", "2951-2"),
    **_same(Reference(MMOL_L, 3.5, 5.1, critical_low=2.5, critical_high=6.5), "6298-4", "2823-3"),
    **_same(Reference(MMOL_L, 98, 107, critical_low=80, critical_high=120), "2069-3", "2075-0"),
    **_same(Reference(MMOL_L, 22, 29, critical_low=10, critical_high=40), "20565-8", "2028-9"),
    **_same(Reference(EGFR_UNITS, 60, None), "33914-3", "62238-1", "98979-8", "48642-3", "48643-1"),
    **_same(Reference(MG_DL, 1.7, 2.2, critical_low=1.0, critical_high=4.9), "19123-9", "21377-7"),
    # Hepatic panel.
    "2885-2": Reference(G_DL, 6.0, 8.3),
    "1751-7": Reference(G_DL, 3.5, 5.0),
    "10834-0": Reference(G_DL, 2.0, 3.5),
    "1975-2": Reference(MG_DL, 0.1, 1.2),
    "6768-6": Reference(U_L, 44, 147),
    "1742-6": Reference(U_L, 7, 56),
    "1920-8": Reference(U_L, 10, 40),
    # Complete blood count.
    "6690-2": Reference(K_UL, 4.5, 11.0, critical_low=2.0, critical_high=30.0),
    "789-8": Reference(("10*6/uL", "10^6/uL", "M/uL"), 4.1, 5.9, male=(4.5, 5.9), female=(4.1, 5.1)),
    "718-7": Reference(G_DL, 12.0, 17.5, critical_low=7.0, critical_high=20.0, male=(13.5, 17.5), female=(12.0, 15.5)),
    **_same(
        Reference(PERCENT, 36, 53, critical_low=21, critical_high=60, male=(41, 53), female=(36, 46)),
        "4544-3",
        "20570-8",
    ),
    "787-2": Reference(FL, 80, 100),
    "785-6": Reference(("pg",), 27, 33),
    "786-4": Reference(G_DL, 32, 36),
    "777-3": Reference(K_UL, 150, 400, critical_low=20, critical_high=1000),
    "21000-5": Reference(FL, 39, 46),
    "788-0": Reference(PERCENT, 11.5, 14.5),
    "32623-1": Reference(FL, 7.5, 11.5),
    # Synthea's platelet distribution widths (150-500 "fL") are not plausible PDWs, and
    # no adult PDW range is standard enough to flag against.
    "32207-3": Reference(FL),
    "770-8": Reference(PERCENT, 40, 70),
    "736-9": Reference(PERCENT, 20, 40),
    "5905-5": Reference(PERCENT, 2, 8),
    "713-8": Reference(PERCENT, 1, 4),
    "706-2": Reference(PERCENT, 0.5, 1),
    "751-8": Reference(K_UL, 1.8, 7.7),
    "731-0": Reference(K_UL, 1.0, 4.8),
    # Lipids (desirable levels, as US labs print them) and diabetes.
    "2093-3": Reference(MG_DL, None, 200),
    "2571-8": Reference(MG_DL, None, 150, critical_high=1000),
    **_same(Reference(MG_DL, None, 100), "18262-6", "13457-7"),
    "2085-9": Reference(MG_DL, 40, None, male=(40, None), female=(50, None)),
    "4548-4": Reference(PERCENT, 4.0, 5.6),
    "14959-1": Reference(("mg/g",), None, 30),
    # Other labs Synthea emits.
    "2857-1": Reference(("ng/mL",), None, 4.0),
    "6301-6": Reference(("{INR}",), 0.8, 1.1, critical_high=5.0),
    "3173-2": Reference(("s",), 25, 35, critical_high=100),
    "19926-5": Reference(PERCENT, 70, None),
    # Scores and survey answers: read against their own cut-offs, never flagged H/L.
    **_same(
        Reference(SCORE),
        "72514-3", "38208-5", "75893-8", "91145-3", "91146-1",
        "55758-7", "70274-6", "89204-2", "44261-6", "82667-7", "75626-2", "76504-0",
    ),
    "59460-6": Reference(("{#}",)),
    "63512-8": Reference(("{#}",)),
}


def _entry(loinc: str, unit: str | None) -> Reference | None:
    reference = _RANGES.get(loinc)
    if reference is None or (unit is not None and unit not in reference.units):
        return None
    return reference


def reference_range(loinc: str, *, sex: str = "", unit: str | None = None) -> Bounds | None:
    """(low, high) for an adult, either end None when open; None for an unknown code.

    A code known to have no range (body weight, scores) gives (None, None). With `unit`,
    a value measured in other units than the range's gives None.
    """
    reference = _entry(loinc, unit)
    return reference.bounds(sex) if reference else None


def flag_for(loinc: str, value: float, *, sex: str = "", unit: str | None = None) -> str:
    """"", "L", "H", "LL" or "HH" for an adult's value; "" when there is nothing to flag against."""
    reference = _entry(loinc, unit)
    if reference is None:
        return ""
    if reference.critical_low is not None and value < reference.critical_low:
        return "LL"
    if reference.critical_high is not None and value > reference.critical_high:
        return "HH"
    return flag_between(value, *reference.bounds(sex))


def flag_between(value: float, low: float | None, high: float | None) -> str:
    if low is not None and value < low:
        return "L"
    if high is not None and value > high:
        return "H"
    return ""


def known_codes() -> frozenset[str]:
    return frozenset(_RANGES)
