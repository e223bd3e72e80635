import json
from collections import Counter

import pytest

from clinical.reference_ranges import flag_for, known_codes, reference_range

POTASSIUM = "6298-4"
HEMOGLOBIN = "718-7"
CREATININE = "38483-4"
SYSTOLIC = "8480-6"
BODY_WEIGHT = "29463-7"
HDL = "2085-9"


def test_it_gives_the_adult_range_of_a_known_code():
    assert reference_range(POTASSIUM) == (3.5, 5.1)


def test_it_gives_none_for_an_unknown_code():
    assert reference_range("99999-9") is None
    assert flag_for("99999-9", 1e6) == ""


def test_it_knows_codes_that_have_no_range():
    assert reference_range(BODY_WEIGHT) == (None, None)
    assert flag_for(BODY_WEIGHT, 250.0) == ""


@pytest.mark.parametrize(
    ("value", "flag"),
    [(2.2, "LL"), (3.2, "L"), (3.5, ""), (4.4, ""), (5.1, ""), (5.6, "H"), (6.8, "HH")],
)
def test_it_flags_low_high_and_critical_values(value, flag):
    assert flag_for(POTASSIUM, value) == flag


def test_it_uses_sex_specific_ranges_where_they_matter():
    assert reference_range(HEMOGLOBIN, sex="male") == (13.5, 17.5)
    assert reference_range(HEMOGLOBIN, sex="female") == (12.0, 15.5)
    assert flag_for(HEMOGLOBIN, 13.0, sex="male") == "L"
    assert flag_for(HEMOGLOBIN, 13.0, sex="female") == ""
    assert flag_for(CREATININE, 1.2, sex="female") == "H"
    assert flag_for(CREATININE, 1.2, sex="male") == ""
    assert flag_for(HDL, 45, sex="female") == "L"


def test_it_uses_the_widest_range_when_sex_is_unknown():
    low, high = reference_range(HEMOGLOBIN)
    assert low <= 12.0 and high >= 17.5
    assert flag_for(HEMOGLOBIN, 13.0) == ""


def test_it_flags_blood_pressure_and_its_crisis_values():
    assert flag_for(SYSTOLIC, 118) == ""
    assert flag_for(SYSTOLIC, 142) == "H"
    assert flag_for(SYSTOLIC, 195) == "HH"
    assert flag_for(SYSTOLIC, 65) == "LL"


def test_it_gives_no_range_for_a_value_in_other_units():
    assert reference_range("8310-5", unit="Cel") == (36.1, 37.2)
    assert reference_range("8310-5", unit="[degF]") is None
    assert flag_for("8310-5", 101.0, unit="[degF]") == ""


def test_it_accepts_the_units_synthea_writes_for_egfr():
    assert reference_range("33914-3", unit="mL/min/{1.73_m2}") == (60, None)
    assert reference_range("33914-3", unit="mL/min") == (60, None)
    assert flag_for("33914-3", 45, unit="mL/min") == "L"


def test_it_covers_the_forty_most_frequent_numeric_codes_in_real_synthea_data(synthea_bundles):
    frequency = Counter()
    for path in synthea_bundles:
        for entry in json.loads(path.read_text())["entry"]:
            resource = entry["resource"]
            if resource["resourceType"] != "Observation":
                continue
            for item in [resource, *resource.get("component", [])]:
                if "valueQuantity" in item:
                    frequency[item["code"]["coding"][0]["code"]] += 1
    top = [code for code, _ in frequency.most_common(40)]
    assert set(top) <= known_codes(), set(top) - known_codes()
