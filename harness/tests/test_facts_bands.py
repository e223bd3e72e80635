"""Facts that place a latest result or kidney function in clinical bands."""

import pytest

from clinical.tests import factories
from harness.facts import FactError, fact_compute
from orders.selectors import patient_renal_function

pytestmark = pytest.mark.django_db

A1C_BANDS = [[6.5, "diabetes range"], [5.7, "prediabetes range"], [0, "normal"]]


def test_it_bands_the_latest_result():
    alice = factories.make_alice()
    fact = fact_compute({"fact": "latest_observation", "loincs": ["4548-4"]}, alice)
    band = fact_compute({"fact": "observation_band", "loincs": ["4548-4"], "bands": A1C_BANDS}, alice)

    expected = next(label for bound, label in A1C_BANDS if fact["value"] >= bound)
    assert band["answer"] == expected and band["value"] == fact["value"]
    # A bound is inclusive, and values below every bound take the last label.
    at = fact_compute({"fact": "observation_band", "loincs": ["4548-4"],
                       "bands": [[fact["value"], "at or above"], [fact["value"] + 50, "far above"]]}, alice)
    assert at["answer"] == "at or above"
    below = fact_compute({"fact": "observation_band", "loincs": ["4548-4"], "bands": [[1000, "high"]]}, alice)
    assert below["answer"] == "high"


def test_it_needs_a_result_to_band():
    with pytest.raises(FactError):
        fact_compute({"fact": "observation_band", "loincs": ["0000-0"], "bands": A1C_BANDS}, factories.make_charlie())


def test_it_bands_the_kidney_function_decision_support_reads():
    bob = factories.make_bob()
    crcl = patient_renal_function(bob).value("crcl")[0]
    band = fact_compute({"fact": "kidney_function_band", "measure": "crcl",
                         "bands": [[50, "BID"], [0, "DAILY"]]}, bob)

    assert crcl is not None and band["value"] == round(crcl, 1)
    assert band["answer"] == ("BID" if crcl >= 50 else "DAILY")
    # Without any kidney result, the top band (the usual dose).
    none = fact_compute({"fact": "kidney_function_band", "measure": "egfr", "bands": [[50, "BID"], [0, "DAILY"]]},
                        factories.make_charlie())
    assert none == {"answer": "BID", "value": None}
