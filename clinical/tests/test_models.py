"""What the chart's models compute themselves: ages, names, value and range display."""

from datetime import UTC, date, datetime

import pytest

from clinical.models import Observation, Patient


def patient(**fields) -> Patient:
    return Patient(mrn="1", fhir_id="p", given_name="Ann", family_name="Lee", birth_date=date(2000, 2, 29), **fields)


@pytest.mark.parametrize(
    "day, age",
    [(date(2024, 2, 28), 23), (date(2024, 2, 29), 24), (date(2023, 2, 28), 22), (date(2023, 3, 1), 23)],
)
def test_it_counts_age_in_whole_years_even_for_a_leap_day_birthday(day, age):
    assert patient().age_on(day) == age


def test_a_deceased_patients_age_stops_at_death():
    ann = patient(deceased_at=datetime(2010, 6, 1, tzinfo=UTC))
    assert ann.age == 10


def test_it_prints_names_as_an_ehr_does():
    ann = patient()
    assert (ann.full_name, ann.chart_name, str(ann)) == ("Ann Lee", "Lee, Ann", "Lee, Ann (1)")


@pytest.mark.parametrize(
    "loinc, value, unit, shown",
    [("6298-4", 4.0, "mmol/L", "4.0 mmol/L"), ("4548-4", 5.87, "%", "5.9 %"), ("1742-6", 28.13, "U/L", "28 U/L"),
     ("2160-0", 0.984, "mg/dL", "0.98 mg/dL"), ("", 1234.4, "10*3/uL", "1234 10*3/uL"), ("", 120.0, "", "120"),
     ("", 0.853, "", "0.85"), ("", 28.13, "", "28.1")],
)
def test_it_prints_a_numeric_value_at_its_lab_precision_with_its_unit(loinc, value, unit, shown):
    """Potassium to a tenth, ALT whole, creatinine to hundredths; a code not known by its magnitude."""
    obs = Observation(loinc=loinc, value_num=value, unit=unit)
    assert obs.value_display == shown and obs.value_num == value


def test_it_prints_a_coded_value_as_text():
    assert Observation(value_text="Never smoked tobacco").value_display == "Never smoked tobacco"


@pytest.mark.parametrize(
    "low, high, shown", [(3.5, 5.1, "3.5–5.1"), (None, 100.0, "<100"), (40.0, None, ">40"), (None, None, "")]
)
def test_it_prints_the_reference_range(low, high, shown):
    assert Observation(ref_low=low, ref_high=high).reference_range == shown
