"""Compaction of Synthea bundles and the population file format."""

import gzip
import json
import shutil
from datetime import date
from importlib import util

import pytest
from django.core.management import CommandError, call_command

from conftest import require_service
from seeddata import population
from seeddata.compaction import CHART_TYPES, CompactionRules, compact_bundle
from seeddata.population import (
    PopulationError,
    bundle_resources,
    cohort_summary,
    population_write,
    read_bundles,
    verify_population,
    write_bundles,
)

PATIENT_URL = "urn:uuid:patient-alice"


def _entry(resource: dict) -> dict:
    return {
        "fullUrl": f"urn:uuid:{resource['id']}",
        "resource": {"meta": {"profile": ["x"]}, "text": {"div": "<div/>"}, **resource},
        "request": {"method": "POST", "url": resource["resourceType"]},
    }


def _observation(obs_id: str, when: str, loinc: str = "4548-4") -> dict:
    return {
        "resourceType": "Observation", "id": obs_id, "status": "final",
        "category": [{"coding": [{"code": "laboratory"}]}],
        "code": {"coding": [{"system": "http://loinc.org", "code": loinc, "display": "Hemoglobin A1c"}]},
        "subject": {"reference": PATIENT_URL}, "effectiveDateTime": when,
        "valueQuantity": {"value": 6.1, "unit": "%"},
    }


def _encounter(enc_id: str, when: str, practitioner: str) -> dict:
    return {
        "resourceType": "Encounter", "id": enc_id, "status": "finished",
        "subject": {"reference": PATIENT_URL}, "period": {"start": when, "end": when},
        "participant": [{"individual": {"reference": f"urn:uuid:{practitioner}"}}],
    }


def _note(note_id: str, when: str) -> dict:
    return {"resourceType": "DocumentReference", "id": note_id, "date": when, "subject": {"reference": PATIENT_URL}}


def alice_bundle() -> dict:
    """Alice, 9: a decade of history, a penicillin allergy, billing and provenance."""
    resources = [
        {"resourceType": "Patient", "id": "patient-alice", "birthDate": "2017-03-02", "gender": "female",
         "name": [{"family": "Liddell", "given": ["Alice"]}]},
        {"resourceType": "Practitioner", "id": "dr-recent", "name": [{"family": "Recent"}]},
        {"resourceType": "Practitioner", "id": "dr-retired", "name": [{"family": "Retired"}]},
        {"resourceType": "Organization", "id": "org-unused", "name": "Nobody refers to me"},
        _encounter("enc-2026", "2026-06-01T09:00:00+00:00", "dr-recent"),
        _encounter("enc-2012", "2012-01-10T09:00:00+00:00", "dr-retired"),
        {"resourceType": "Condition", "id": "cond-asthma", "onsetDateTime": "2012-01-10T09:00:00+00:00",
         "clinicalStatus": {"coding": [{"code": "active"}]},
         "code": {"coding": [{"code": "195967001", "display": "Asthma (disorder)"}]},
         "subject": {"reference": PATIENT_URL}},
        {"resourceType": "AllergyIntolerance", "id": "allergy-pcn", "recordedDate": "2013-05-01",
         "code": {"coding": [{"code": "7984", "display": "Penicillin V"}]}, "patient": {"reference": PATIENT_URL}},
        {"resourceType": "Immunization", "id": "imm-2012", "occurrenceDateTime": "2012-01-10T09:00:00+00:00",
         "vaccineCode": {"coding": [{"code": "08"}]}, "patient": {"reference": PATIENT_URL}},
        {"resourceType": "MedicationRequest", "id": "med-active-old", "status": "active",
         "authoredOn": "2012-01-10T09:00:00+00:00", "subject": {"reference": PATIENT_URL}},
        {"resourceType": "MedicationRequest", "id": "med-stopped-old", "status": "stopped",
         "authoredOn": "2012-01-10T09:00:00+00:00", "subject": {"reference": PATIENT_URL}},
        _observation("obs-a1c-2026", "2026-06-01T09:00:00+00:00"),
        _observation("obs-a1c-2012", "2012-01-10T09:00:00+00:00"),
        _observation("obs-height-2012", "2012-01-10T09:00:00+00:00", loinc="8302-2"),
        {"resourceType": "DiagnosticReport", "id": "report-2026", "effectiveDateTime": "2026-06-01T09:00:00+00:00",
         "subject": {"reference": PATIENT_URL},
         "result": [{"reference": "urn:uuid:obs-a1c-2026"}, {"reference": "urn:uuid:obs-gone"}]},
        {"resourceType": "Procedure", "id": "proc-2012", "performedDateTime": "2012-01-10T09:00:00+00:00",
         "subject": {"reference": PATIENT_URL}},
        {"resourceType": "Claim", "id": "claim-1", "patient": {"reference": PATIENT_URL}},
        {"resourceType": "ExplanationOfBenefit", "id": "eob-1", "patient": {"reference": PATIENT_URL}},
        {"resourceType": "Provenance", "id": "prov-1", "target": [{"reference": PATIENT_URL}]},
        {"resourceType": "CarePlan", "id": "plan-1", "subject": {"reference": PATIENT_URL}},
        *[_note(f"note-{year}", f"{year}-02-01T09:00:00+00:00") for year in range(2018, 2026)],
    ]
    return {"resourceType": "Bundle", "type": "transaction", "entry": [_entry(r) for r in resources]}


def _ids(bundle: dict) -> set[str]:
    return {resource["id"] for resource in bundle_resources(bundle)}


def test_it_keeps_only_chart_resource_types():
    kinds = {resource["resourceType"] for resource in bundle_resources(compact_bundle(alice_bundle()))}
    assert kinds <= CHART_TYPES
    assert not {"Claim", "ExplanationOfBenefit", "Provenance", "CarePlan"} & kinds


def test_it_drops_meta_and_narrative_but_keeps_transaction_entries():
    compacted = compact_bundle(alice_bundle())
    assert compacted["type"] == "transaction"
    for entry in compacted["entry"]:
        assert "meta" not in entry["resource"] and "text" not in entry["resource"]
        assert entry["request"]["method"] == "POST"
        assert entry["fullUrl"] == f"urn:uuid:{entry['resource']['id']}"


def test_it_keeps_the_whole_problem_list_allergies_immunizations_and_active_meds():
    kept = _ids(compact_bundle(alice_bundle()))
    assert {"patient-alice", "cond-asthma", "allergy-pcn", "imm-2012", "med-active-old"} <= kept


def test_it_drops_history_older_than_the_window_before_the_last_visit():
    kept = _ids(compact_bundle(alice_bundle(), rules=CompactionRules(history_years=5)))
    assert {"enc-2026", "obs-a1c-2026", "report-2026"} <= kept
    assert not {"enc-2012", "obs-a1c-2012", "proc-2012", "med-stopped-old"} & kept


def test_it_keeps_the_last_value_of_a_test_even_when_it_predates_the_window():
    kept = _ids(compact_bundle(alice_bundle(), rules=CompactionRules(history_years=5)))
    assert "obs-height-2012" in kept


def test_it_keeps_only_the_most_recent_notes():
    kept = _ids(compact_bundle(alice_bundle(), rules=CompactionRules(recent_notes=3)))
    assert {i for i in kept if i.startswith("note-")} == {"note-2025", "note-2024", "note-2023"}


def test_it_keeps_practitioners_and_organizations_only_when_referenced():
    kept = _ids(compact_bundle(alice_bundle(), rules=CompactionRules(history_years=5)))
    assert "dr-recent" in kept
    assert not {"dr-retired", "org-unused"} & kept


def test_it_unlinks_report_results_that_were_trimmed():
    compacted = compact_bundle(alice_bundle())
    report = next(r for r in bundle_resources(compacted) if r["resourceType"] == "DiagnosticReport")
    assert report["result"] == [{"reference": "urn:uuid:obs-a1c-2026"}]


def test_it_does_not_change_its_input():
    bundle = alice_bundle()
    before = json.dumps(bundle)
    compact_bundle(bundle)
    assert json.dumps(bundle) == before


def test_it_writes_the_same_bytes_for_the_same_bundles(tmp_path):
    bundles = [compact_bundle(alice_bundle())]
    write_bundles(bundles=bundles, path=tmp_path / "a.ndjson.gz")
    write_bundles(bundles=bundles, path=tmp_path / "b.ndjson.gz")
    data = (tmp_path / "a.ndjson.gz").read_bytes()
    assert data == (tmp_path / "b.ndjson.gz").read_bytes()
    assert data[4:8] == b"\0\0\0\0"  # gzip mtime
    assert list(read_bundles(tmp_path / "a.ndjson.gz")) == bundles


def test_it_writes_a_manifest_that_verifies_the_bundles(tmp_path):
    manifest = population_write(
        bundles=[compact_bundle(alice_bundle())], out_dir=tmp_path, generation={"seed": 1}, as_of=date(2026, 11, 1)
    )
    assert manifest["patients"] == 1
    assert manifest["resources"]["Patient"] == 1
    assert verify_population(tmp_path)["bundles"]["sha256"] == manifest["bundles"]["sha256"]

    with gzip.open(tmp_path / "bundles.ndjson.gz", "ab") as out:
        out.write(b"{}\n")
    with pytest.raises(PopulationError, match="does not match"):
        verify_population(tmp_path)


def test_it_counts_children_and_penicillin_allergies():
    summary = cohort_summary([compact_bundle(alice_bundle())], as_of=date(2026, 11, 1))
    assert summary["patients"] == 1
    assert summary["child"] == 1
    assert summary["penicillin_allergy"] == 1
    assert summary["asthma"] == 1
    assert "adult" not in summary


def test_it_compacts_real_synthea_bundles_to_a_fraction(synthea_bundles):
    for path in synthea_bundles[:5]:
        raw = json.loads(path.read_text(encoding="utf-8"))
        compacted = compact_bundle(raw)
        kinds = {resource["resourceType"] for resource in bundle_resources(compacted)}
        assert {"Patient", "Encounter", "Observation"} <= kinds <= CHART_TYPES
        assert len(json.dumps(compacted)) < len(json.dumps(raw))
        urls = {entry["fullUrl"] for entry in compacted["entry"]}
        for resource in bundle_resources(compacted):
            for link in resource.get("result", ()):
                assert link["reference"] in urls


def test_generate_population_explains_the_optional_extra(monkeypatch, tmp_path):
    monkeypatch.setattr(population.util, "find_spec", lambda name: None)
    with pytest.raises(CommandError, match="optional extra: pip install -r requirements-synthea.txt"):
        call_command("generate_population", patients=2, seed=1, out=tmp_path)


@pytest.mark.slow
def test_generate_population_is_deterministic_by_seed(tmp_path):
    # CI installs the optional extra (EHRGYM_REQUIRE_SERVICES=1 fails here without it).
    require_service(util.find_spec("synthea") is not None and shutil.which("java") is not None,
                    "Synthea (pip install -r requirements-synthea.txt, and Java)")
    for name in ("first", "second"):
        call_command("generate_population", patients=2, seed=7, reference_date="20261101",
                     out=tmp_path / name, verbosity=0)
    first, second = tmp_path / "first", tmp_path / "second"
    assert (first / "bundles.ndjson.gz").read_bytes() == (second / "bundles.ndjson.gz").read_bytes()
    assert (first / "manifest.json").read_bytes() == (second / "manifest.json").read_bytes()
    manifest = verify_population(first)
    assert manifest["patients"] == 2 and manifest["seed"] == 7
    selection = manifest["selection"]
    assert selection["deceased_excluded"] + selection["living"] == selection["generated"]
    patients = [population.bundle_patient(b) for b in read_bundles(first / "bundles.ndjson.gz")]
    assert all(population.patient_is_living(patient) for patient in patients)
