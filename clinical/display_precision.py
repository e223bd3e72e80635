"""How many decimals each result is shown with, as laboratories report it (potassium 4.2, sodium 141,
creatinine 0.98, pH 7.41), so that the chart prints 28 U/L where Synthea stored 28.13.

Only what is shown changes: the stored value stays as measured, and answers are compared with it at the
precision shown (harness.rubrics.answers). A code not listed here gets a precision by its magnitude.
"""

import math

_BY_DECIMALS: dict[int, tuple[str, ...]] = {
    0: (
        # Chemistry: glucose, BUN, sodium, chloride, CO2, eGFR, enzymes.
        "2339-0", "2345-7", "6299-2", "3094-0", "2947-0", "2951-2", "2069-3", "2075-0", "20565-8", "2028-9",
        "2027-1", "33914-3", "62238-1", "98979-8", "48642-3", "48643-1", "6768-6", "1742-6", "1920-8",
        # Lipids, platelets, clotting time, troponin, urine dipstick concentrations.
        "2093-3", "2571-8", "18262-6", "13457-7", "2085-9", "777-3", "3184-9", "89579-7", "5792-7", "5797-6",
        "5804-0",
        # Blood gas partial pressures, bicarbonate, saturation.
        "2019-8", "2021-4", "2703-7", "2705-2", "1960-4", "14627-4",
        # Vital signs charted as whole numbers, and scores.
        "8480-6", "8462-4", "8867-4", "9279-1", "59408-5", "2708-6", "72514-3",
        "38208-5", "75893-8", "91145-3", "91146-1", "55758-7", "70274-6", "89204-2", "44261-6", "82667-7",
        "75626-2", "76504-0", "59460-6", "63512-8",
    ),
    1: (
        # Potassium, calcium, magnesium, phosphate, proteins, bilirubin.
        "6298-4", "2823-3", "49765-1", "17861-6", "19123-9", "21377-7", "2777-1", "2885-2", "1751-7",
        "10834-0", "1975-2", "20505-4",
        # Blood count.
        "6690-2", "718-7", "4544-3", "20570-8", "787-2", "785-6", "786-4", "21000-5", "788-0", "32623-1",
        "32207-3", "770-8", "736-9", "5905-5", "713-8", "706-2", "751-8", "731-0",
        # A1c, urine albumin/creatinine, coagulation, lactate, urine pH.
        "4548-4", "14959-1", "6301-6", "3173-2", "5902-2", "32693-4", "5803-2",
        # Vital signs charted to a tenth.
        "8310-5", "8331-1", "29463-7", "8302-2", "39156-5",
    ),
    2: ("38483-4", "2160-0", "789-8", "2744-1", "2746-6", "2857-1", "3016-3"),
    3: ("5811-5",),
}
DECIMALS: dict[str, int] = {loinc: decimals for decimals, codes in _BY_DECIMALS.items() for loinc in codes}


def decimals_by_magnitude(value: float) -> int:
    """For a code with no known precision: none from 100 (142), one from 1 (28.1), two below (0.85)."""
    magnitude = abs(value)
    if magnitude >= 100:
        return 0
    return 1 if magnitude >= 1 or magnitude == 0 else 2


def display_decimals(loinc: str, value: float) -> int:
    """The decimals a result of this code is shown with."""
    known = DECIMALS.get(loinc)
    return known if known is not None else decimals_by_magnitude(value)


def display_number(loinc: str, value: float) -> str:
    """The value as the chart prints it: fixed decimals for the code (4.0 mmol/L, not 4)."""
    if not math.isfinite(value):
        return str(value)
    text = f"{value:.{display_decimals(loinc, value)}f}"
    return text.lstrip("-") if float(text) == 0 else text  # -0.0 reads as an error


def displayed_value(loinc: str, value: float) -> float:
    """The value rounded as the chart shows it (the number a reader copies from the page)."""
    return float(display_number(loinc, value))
