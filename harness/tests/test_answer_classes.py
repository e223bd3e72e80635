"""Answer classes tell expected values apart as the answer check does: at the precision the chart shows."""

import json

from harness.sampling import _class_key


def key(expected, **fields) -> list:
    return json.loads(_class_key([{"kind": "answer_matches", "expected": expected, **fields}]))


def test_a_result_of_a_known_analyte_is_one_class_per_displayed_value():
    alt = {"loinc": "1742-6"}  # ALT is shown whole
    assert key(28.13, **alt) == key(27.8, **alt) == [28.0] and key([28.4, 27.6], **alt) == [[28.0, 28.0]]
    creatinine = {"loinc": ["2160-0", "38483-4"]}  # shown to hundredths
    assert key(1.04, **creatinine) != key(1.0, **creatinine)


def test_without_a_code_numbers_are_told_apart_to_a_tenth():
    assert key(28.13) == key(28.09) == [28.1] and key(28.13) != key(28.2)
