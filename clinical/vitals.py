"""The vital signs a clinician records, with their LOINC codes and plausible limits.

Plausible limits reject typos (a heart rate of 700), not abnormal values: abnormal
values are recorded and flagged against the reference range.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class VitalSign:
    key: str
    loinc: str
    label: str
    unit: str
    plausible_low: float
    plausible_high: float


VITAL_SIGNS: dict[str, VitalSign] = {
    v.key: v
    for v in (
        VitalSign("bp_systolic", "8480-6", "Systolic blood pressure", "mm[Hg]", 40, 300),
        VitalSign("bp_diastolic", "8462-4", "Diastolic blood pressure", "mm[Hg]", 10, 200),
        VitalSign("heart_rate", "8867-4", "Heart rate", "/min", 10, 300),
        VitalSign("respiratory_rate", "9279-1", "Respiratory rate", "/min", 2, 80),
        VitalSign("temperature", "8310-5", "Body temperature", "Cel", 25, 45),
        VitalSign("spo2", "59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry", "%", 30, 100),
        VitalSign("weight", "29463-7", "Body weight", "kg", 0.3, 500),
        VitalSign("height", "8302-2", "Body height", "cm", 20, 250),
        VitalSign("bmi", "39156-5", "Body mass index (BMI) [Ratio]", "kg/m2", 5, 100),
        VitalSign("pain", "72514-3", "Pain severity - 0-10 verbal numeric rating [Score] - Reported", "{score}", 0, 10),
    )
}
