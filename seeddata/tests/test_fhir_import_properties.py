"""Property-based tests of the FHIR importer (hypothesis): whatever a bundle holds, importing it either
succeeds or fails with a FhirImportError that says why, and a failed bundle writes nothing.

The bundles are a valid hand-written one, mutated: any value anywhere replaced by any JSON value,
or any key removed. Synthea never writes such bundles, but users import their own.
"""

import copy
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clinical.models import Patient
from seeddata.fhir.importer import FhirImportError, import_bundle, import_paths
from seeddata.tests.test_fhir_import import ALICE, bundle, observation, patient

pytestmark = pytest.mark.django_db

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(10**40), max_value=10**40)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=300)
    | st.sampled_from(["", "../../etc/passwd", "1e308", "0001-01-01", "urn:uuid:alice-0001", "x" * 5000]),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=12), children, max_size=3),
    max_leaves=8,
)


def valid_bundle() -> dict:
    condition = {
        "resourceType": "Condition", "id": "cond-1", "subject": {"reference": f"urn:uuid:{ALICE}"},
        "code": {"coding": [{"system": "http://snomed.info/sct", "code": "44054006", "display": "Diabetes"}]},
        "clinicalStatus": {"coding": [{"code": "active"}]}, "onsetDateTime": "2019-02-01T00:00:00+00:00",
    }
    return bundle(patient(), observation("k-1", "6298-4", 4.1, "mmol/L"), condition,
                  observation("a1c-1", "4548-4", 7.2, "%", category=[{"coding": [{"code": "laboratory"}]}]))


def paths(value, prefix=()):
    """Every place in a JSON value: (path to it, whether it can be removed)."""
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from paths(child, (*prefix, index))


def mutate(document: dict, path: tuple, replacement, remove: bool) -> None:
    parent = document
    for step in path[:-1]:
        parent = parent[step]
    if remove and isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent[path[-1]] = replacement


@st.composite
def mutated_bundles(draw) -> dict:
    document = copy.deepcopy(valid_bundle())
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        places = [path for path in paths(document) if path]
        if not places:
            break
        mutate(document, draw(st.sampled_from(places)), draw(JSON_VALUES), draw(st.booleans()))
    return document


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document=mutated_bundles())
def test_any_bundle_imports_or_fails_with_a_reason_and_a_failure_writes_nothing(document):
    before = Patient.objects.count()
    try:
        result = import_bundle(json.loads(json.dumps(document)), source="mutated.json")
    except FhirImportError as error:
        assert str(error)
        assert Patient.objects.count() == before
    else:
        assert result.source == "mutated.json"


def test_the_unmutated_bundle_imports():
    result = import_bundle(valid_bundle(), source="valid.json")
    assert result.mrn == "A10001" and Patient.objects.get(mrn="A10001").observations.count() == 2


# --- the implausible input the issue names (issue 16, item 7) ------------------------------


def test_a_resource_whose_id_is_a_path_is_skipped_and_a_patient_with_one_is_refused():
    result = import_bundle(bundle(patient(), observation("../../etc/passwd", "6298-4", 4.1, "mmol/L")), source="x")
    assert result.skip_reasons("Observation") == {
        "id '../../etc/passwd' that is not a FHIR id (letters, digits, '-' and '.' only)": 1}
    with pytest.raises(FhirImportError, match="the Patient resource has id '../etc' that is not a FHIR id"):
        import_bundle(bundle(patient("../etc")), source="y")


def test_a_name_longer_than_its_column_is_cut_and_the_summary_says_so():
    long_family = "Anders" * 30
    alice = patient()
    alice["name"][0]["family"] = long_family
    result = import_bundle(bundle(alice), source="long.json")
    stored = Patient.objects.get(mrn="A10001").family_name
    assert long_family.startswith(stored) and len(stored) < len(long_family)
    assert result.shortened == {"Patient.family_name": 1}
    assert "Cut to the length of their column: Patient.family_name 1" in result.as_table()


def test_json_nested_too_deeply_is_a_clear_error_not_a_recursion_traceback(tmp_path):
    deep = tmp_path / "deep.json"
    deep.write_text('{"resourceType": "Bundle", "entry": ' + "[" * 100_000 + "]" * 100_000 + "}")
    summary = import_paths([deep])
    assert [error.message for error in summary.errors] == ["JSON nested too deeply to be a FHIR bundle"]
