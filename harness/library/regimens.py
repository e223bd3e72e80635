"""Order criteria the library's templates share: a drug's acceptable regimens, each fully pinned.

Every medication criterion pins dose, route, frequency and priority (and a course's duration);
where several regimens are right, an `any_of` holds one pinned `order_placed` per regimen, so a
dose that is right for one frequency is never accepted with another (acetaminophen 650 mg every
4 hours is 3.9 g a day; 1000 mg every 4 hours is 6 g).
"""

# The priority of an order that is not an emergency (an as-needed drug, an outpatient prescription, an
# admission set's routine orders): routine, or urgent; stat means now and is for emergencies. An order the
# setting makes urgent or stat is pinned to that (and stat): a stat order placed routine is a wrong order.
ROUTINE_OR_URGENT = ["routine", "urgent"]
URGENT_OR_STAT = ["urgent", "stat"]
# SNOMED CT "unhealthy alcohol drinking behavior": with regular heavy drinking acetaminophen's daily limit is
# lower than 4 g (FDA OTC label warning), so the as-needed acetaminophen tasks do not ask these patients.
UNHEALTHY_ALCOHOL_USE = "10939881000119105"
# Frequencies that mean the same schedule for an order (a tablet twice daily or every 12 hours).
SAME_SCHEDULE = {"DAILY": ["DAILY", "Q24H"], "BID": ["BID", "Q12H"], "TID": ["TID", "Q8H"], "QID": ["QID", "Q6H"]}


def schedule(*frequencies: str) -> list[str]:
    """The frequency codes that give each of these schedules: schedule("BID") == ["BID", "Q12H"]."""
    codes = []
    for frequency in frequencies:
        codes += [code for code in SAME_SCHEDULE.get(frequency, [frequency]) if code not in codes]
    return codes


def acetaminophen_prn(*, weight: float, label: str, max_dose: float = 1000) -> dict:
    """Oral acetaminophen as needed, at most 1 g a dose and 4 g a day (FDA 2011 limits; the catalog's
    maxima): 500-1000 mg every 6 or 8 hours, or 325-650 mg every 4 hours. With max_dose 650: 325-650 mg
    every 4, 6 or 8 hours."""
    common = {"kind": "order_placed", "drug_class": "analgesic-acetaminophen", "route": "PO", "prn": True,
              "priority": ROUTINE_OR_URGENT, "status": "signed"}
    if max_dose <= 650:
        return {**common, "weight": weight, "label": label, "dose_min": 325, "dose_max": max_dose,
                "frequency": ["Q4H", "Q6H", "Q8H"]}
    return {"kind": "any_of", "weight": weight, "label": label, "criteria": [
        {**common, "label": "Acetaminophen 500-1000 mg PO every 6 or 8 hours as needed",
         "dose_min": 500, "dose_max": max_dose, "frequency": ["Q6H", "Q8H"]},
        {**common, "label": "Acetaminophen 325-650 mg PO every 4 hours as needed",
         "dose_min": 325, "dose_max": 650, "frequency": ["Q4H"]},
    ]}
