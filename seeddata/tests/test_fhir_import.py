import base64
import gzip
import json
from collections import Counter
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from clinical.models import (
    Allergy,
    AuditEvent,
    Condition,
    DiagnosticReport,
    Encounter,
    Immunization,
    Medication,
    Observation,
    Organization,
    Patient,
    Practitioner,
    Procedure,
)
from notes.models import Note
from seeddata.fhir.importer import FhirImportError, import_bundle, import_paths

pytestmark = pytest.mark.django_db

CHART_MODELS = [
    Patient, Practitioner, Organization, Encounter, Condition, Allergy, Medication,
    Observation, Immunization, Procedure, DiagnosticReport, DiagnosticReport.results.through, Note,
]
TYPE_MODELS = {
    "Patient": Patient, "Encounter": Encounter, "Condition": Condition, "AllergyIntolerance": Allergy,
    "MedicationRequest": Medication, "Immunization": Immunization, "Procedure": Procedure,
    "DiagnosticReport": DiagnosticReport,
}
ALICE = "alice-0001"
MR = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR"}]}
LOINC = "http://loinc.org"
NPI = "http://hl7.org/fhir/sid/us-npi"


# --- a small hand-written bundle for Alice, an adult -------------------------------------


def patient(fhir_id=ALICE, *, birth_date="1970-03-01", gender="female", mrn="A10001"):
    return {
        "resourceType": "Patient", "id": fhir_id, "gender": gender, "birthDate": birth_date,
        "identifier": [{"type": MR, "value": mrn}],
        "name": [{"use": "official", "family": "Anders", "given": ["Alice"]}],
    }


def observation(fhir_id, loinc, value, unit, *, subject=ALICE, **extra):
    return {
        "resourceType": "Observation", "id": fhir_id, "status": "final",
        "category": [{"coding": [{"code": "laboratory"}]}],
        "code": {"coding": [{"system": LOINC, "code": loinc, "display": f"Test {loinc}"}]},
        "subject": {"reference": f"urn:uuid:{subject}"},
        "effectiveDateTime": "2024-05-01T09:00:00+00:00",
        "valueQuantity": {"value": value, "unit": unit},
        **extra,
    }


def bundle(*resources):
    return {
        "resourceType": "Bundle", "type": "transaction",
        "entry": [{"fullUrl": f"urn:uuid:{r['id']}", "resource": r} for r in resources],
    }


def table_counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in CHART_MODELS}


def resource_types(path: Path) -> Counter:
    return Counter(e["resource"]["resourceType"] for e in json.loads(path.read_text())["entry"])


@pytest.fixture
def bill(synthea_bundles) -> Path:
    return next(p for p in synthea_bundles if p.name.startswith("Bill_Reinger"))


# --- real Synthea data ------------------------------------------------------------------


def test_it_imports_all_twenty_real_bundles_counting_every_resource(synthea_bundles):
    summary = import_paths(synthea_bundles)

    assert summary.errors == []
    assert summary.bundles == 20
    for result, path in zip(summary.results, synthea_bundles, strict=True):
        for resource_type, n in resource_types(path).items():
            assert result.imported(resource_type) + result.skipped(resource_type) == n, (path.name, resource_type)
    expected = sum((resource_types(p) for p in synthea_bundles), Counter())
    assert summary.resources == sum(expected.values())
    for resource_type, model in TYPE_MODELS.items():
        assert model.objects.count() == summary.imported(resource_type) == expected[resource_type]
    assert summary.skip_reasons("Claim") == {"billing, not part of the chart": expected["Claim"]}
    for resource_type in ("ExplanationOfBenefit", "CarePlan", "Goal", "ImagingStudy"):
        assert summary.imported(resource_type) == 0
        assert summary.skipped(resource_type) == expected[resource_type]
    assert Patient.objects.filter(mrn__regex=r"^\d{8}$").count() == 20


def test_it_creates_no_duplicates_when_a_bundle_is_imported_again(synthea_bundles):
    some = synthea_bundles[:3]
    import_paths(some)
    before, audits = table_counts(), AuditEvent.objects.count()

    again = import_paths(some)

    assert again.errors == []
    assert table_counts() == before
    assert AuditEvent.objects.count() == audits + 3


def test_it_stores_blood_pressure_as_one_row_per_component(bill):
    import_paths([bill])
    panels = [
        e["resource"] for e in json.loads(bill.read_text())["entry"]
        if e["resource"]["resourceType"] == "Observation" and "component" in e["resource"]
    ]

    rows = Observation.objects.filter(panel_code=panels[0]["code"]["coding"][0]["code"])
    assert rows.count() == 2 * len(panels)
    assert set(rows.values_list("loinc", flat=True)) == {"8480-6", "8462-4"}
    systolic = rows.filter(loinc="8480-6").first()
    assert (systolic.ref_low, systolic.ref_high) == (90, 120) and systolic.unit == "mm[Hg]"


def test_it_links_report_results_to_their_observations(bill):
    import_paths([bill])
    entries = json.loads(bill.read_text())["entry"]
    report_json = next(e["resource"] for e in entries if e["resource"]["resourceType"] == "DiagnosticReport")

    report = DiagnosticReport.objects.get(fhir_id=report_json["id"])
    result_ids = {r["reference"].removeprefix("urn:uuid:") for r in report_json["result"]}
    assert set(report.results.values_list("fhir_id", flat=True)) == result_ids


def test_it_stores_coded_values_as_text(bill):
    import_paths([bill])

    smoking = Observation.objects.filter(loinc="72166-2").first()
    assert smoking.value_num is None and smoking.value_text.startswith(("Never", "Former", "Current"))


def test_it_writes_one_audit_event_per_imported_bundle(bill):
    result = import_paths([bill]).results[0]

    event = AuditEvent.objects.get(action="fhir.import")
    assert event.actor == "system" and event.patient_id == result.patient_pk
    assert event.details["skipped"]["Claim"] == resource_types(bill)["Claim"]


# --- flags and codes ----------------------------------------------------------------------


def test_it_flags_values_against_the_adult_reference_table():
    import_bundle(bundle(patient(), observation("k1", "6298-4", 6.8, "mmol/L")), source="alice")

    potassium = Observation.objects.get(fhir_id="k1")
    assert (potassium.ref_low, potassium.ref_high, potassium.flag) == (3.5, 5.1, "HH")


def test_it_prefers_the_resources_own_range_and_interpretation():
    own = observation(
        "k2", "6298-4", 5.3, "mmol/L",
        referenceRange=[{"low": {"value": 3.6}, "high": {"value": 5.2}}],
        interpretation=[{"coding": [{"code": "N"}]}],
    )
    import_bundle(bundle(patient(), own), source="alice")

    potassium = Observation.objects.get(fhir_id="k2")
    assert (potassium.ref_low, potassium.ref_high, potassium.flag) == (3.6, 5.2, "")


def test_it_does_not_judge_a_childs_vitals_by_adult_ranges():
    child = patient(birth_date="2023-01-01")
    import_bundle(bundle(child, observation("hr", "8867-4", 130, "/min")), source="child")

    heart_rate = Observation.objects.get(fhir_id="hr")
    assert (heart_rate.ref_low, heart_rate.ref_high, heart_rate.flag) == (None, None, "")


def test_it_imports_an_unknown_loinc_without_range_or_flag():
    import_bundle(bundle(patient(), observation("odd", "99999-9", 1234.5, "U/L")), source="alice")

    odd = Observation.objects.get(fhir_id="odd")
    assert (odd.value_num, odd.ref_low, odd.ref_high, odd.flag) == (1234.5, None, None, "")


def test_it_skips_a_resource_without_a_code_with_a_reason():
    uncoded = observation("nocode", "1-1", 1, "U")
    uncoded["code"] = {"text": "something"}
    condition = {"resourceType": "Condition", "id": "c0", "subject": {"reference": f"urn:uuid:{ALICE}"}}

    result = import_bundle(bundle(patient(), uncoded, condition), source="alice")

    assert result.skip_reasons("Observation") == {"no code": 1}
    assert result.skip_reasons("Condition") == {"no code": 1}
    assert not Observation.objects.exists()


def test_it_counts_unknown_resource_types_as_unsupported():
    result = import_bundle(bundle(patient(), {"resourceType": "Basic", "id": "b1"}), source="alice")

    assert result.skip_reasons("Basic") == {"unsupported resource type": 1}


# --- identity and references -----------------------------------------------------------


def test_it_keeps_a_short_mrn_and_shortens_a_long_one_stably():
    import_bundle(bundle(patient()), source="alice")
    long_mrn = "0bfeda65-c8ac-4dd7-a46c-d69e665996d4"
    first = import_bundle(bundle(patient("bob-0002", mrn=long_mrn)), source="bob")
    again = import_bundle(bundle(patient("bob-0002", mrn=long_mrn)), source="bob")

    assert Patient.objects.get(fhir_id=ALICE).mrn == "A10001"
    assert len(first.mrn) == 8 and first.mrn.isdigit() and again.mrn == first.mrn


def test_it_resolves_conditional_references_against_earlier_directory_bundles():
    directory = bundle(
        {"resourceType": "Practitioner", "id": "dr-1", "name": [{"family": "Rossi", "given": ["Sarah"]}],
         "identifier": [{"system": NPI, "value": "9999384172"}]},
        {"resourceType": "Organization", "id": "org-1", "name": "Boston Clinic",
         "identifier": [{"system": "https://github.com/synthetichealth/synthea", "value": "org-1"}]},
    )
    visit = {
        "resourceType": "Encounter", "id": "e1", "status": "finished", "class": {"code": "AMB"},
        "subject": {"reference": f"urn:uuid:{ALICE}"},
        "period": {"start": "2024-05-01T09:00:00+00:00"},
        "participant": [{"individual": {"reference": f"Practitioner?identifier={NPI}|9999384172"}}],
        "serviceProvider": {"reference": "Organization?identifier=https://github.com/synthetichealth/synthea|org-1"},
    }
    import_bundle(directory, source="practitioners")
    import_bundle(bundle(patient(), visit), source="alice")

    encounter = Encounter.objects.get(fhir_id="e1")
    assert encounter.practitioner.family_name == "Rossi"
    assert encounter.organization.name == "Boston Clinic"
    assert Patient.objects.get(fhir_id=ALICE).pcp == encounter.practitioner


def test_it_leaves_a_dangling_reference_empty():
    lab = observation("k3", "6298-4", 4.0, "mmol/L", encounter={"reference": "urn:uuid:trimmed-away"})
    import_bundle(bundle(patient(), lab), source="alice")

    assert Observation.objects.get(fhir_id="k3").encounter is None


def test_it_imports_document_references_as_signed_notes():
    text = "# Chief Complaint\n- cough ☂"
    document = {
        "resourceType": "DocumentReference", "id": "doc1", "status": "current",
        "type": {"coding": [{"system": LOINC, "code": "34117-2", "display": "History and physical note"}]},
        "subject": {"reference": f"urn:uuid:{ALICE}"},
        "date": "2024-05-01T09:00:00+00:00",
        "content": [{"attachment": {"contentType": "text/plain", "data": base64.b64encode(text.encode()).decode()}}],
    }
    result = import_bundle(bundle(patient(), document), source="alice")

    note = Note.objects.get(fhir_id="doc1")
    assert result.imported("DocumentReference") == 1
    assert (note.status, note.note_type, note.text) == (Note.Status.SIGNED, Note.NoteType.HISTORY_AND_PHYSICAL, text)
    assert note.signed_at is not None


@pytest.mark.django_db(databases=["default", "golden"])
def test_it_imports_into_the_database_it_is_given():
    import_bundle(bundle(patient()), source="alice", using="golden")

    assert Patient.objects.using("golden").filter(fhir_id=ALICE).exists()
    assert not Patient.objects.using("default").exists()


# --- broken input ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"resourceType": "Bundle",', "not valid JSON (line 1, column 27)"),
        ('{"resourceType": "Patient", "id": "p"}', 'not a FHIR Bundle (resourceType is "Patient")'),
        ("[1, 2]", "not a FHIR Bundle (JSON an array, not an object)"),
        (json.dumps(bundle(observation("k4", "6298-4", 4.0, "mmol/L"))), "bundle has no Patient resource"),
        ('{"resourceType": "Bundle", "entry": [{"resource": "Patient"}]}', "entry 1 has no resource object"),
    ],
)
def test_it_rejects_broken_input_with_a_clear_error_and_changes_nothing(tmp_path, content, message):
    broken = tmp_path / "broken.json"
    broken.write_text(content)

    summary = import_paths([broken])

    assert [(e.source, e.message) for e in summary.errors] == [(str(broken), message)]
    assert set(table_counts().values()) == {0}


def test_it_rolls_back_a_bundle_whose_second_half_is_broken(bill):
    data = json.loads(bill.read_text())
    entries = data["entry"]
    for entry in entries[len(entries) // 2:]:
        resource = entry["resource"]
        for key in ("subject", "patient"):
            if key in resource:
                resource[key] = {"reference": "urn:uuid:someone-else"}

    with pytest.raises(FhirImportError, match="refers to a patient outside this bundle"):
        import_bundle(data, source=bill.name)

    assert set(table_counts().values()) == {0}
    assert not AuditEvent.objects.exists()


def test_it_reports_a_failing_bundle_and_imports_the_others(tmp_path):
    (tmp_path / "a_good.json").write_text(json.dumps(bundle(patient())))
    (tmp_path / "b_bad.json").write_text('{"resourceType": "Patient"}')
    (tmp_path / "c_good.json").write_text(json.dumps(bundle(patient("carol-3", mrn="C3"))))

    summary = import_paths([tmp_path])

    assert summary.bundles == 2 and summary.failed == 1
    assert summary.errors[0].source.endswith("b_bad.json")
    assert Patient.objects.count() == 2


# --- file formats ------------------------------------------------------------------------


def test_it_reads_gzipped_ndjson_one_bundle_per_line(tmp_path):
    population = tmp_path / "bundles.ndjson.gz"
    lines = [json.dumps(bundle(patient())), "", "{not json", json.dumps(bundle(patient("carol-3", mrn="C3")))]
    with gzip.open(population, "wt", encoding="utf-8") as stream:
        stream.write("\n".join(lines) + "\n")

    summary = import_paths([population])

    assert summary.bundles == 2
    assert [str(e) for e in summary.errors] == [f"{population}:3: not valid JSON (column 2)"]
    assert Patient.objects.count() == 2


def test_it_reads_gzipped_json(tmp_path):
    single = tmp_path / "alice.json.gz"
    single.write_bytes(gzip.compress(json.dumps(bundle(patient())).encode()))

    assert import_paths([single]).bundles == 1


# --- the management command --------------------------------------------------------------


def test_it_prints_a_summary_table(bill):
    out = StringIO()

    call_command("import_fhir", str(bill), stdout=out, stderr=StringIO())

    table = out.getvalue()
    assert "Resource type" in table and "Imported" in table and "Reason" in table
    claim_row = next(line for line in table.splitlines() if line.startswith("Claim"))
    assert claim_row.split()[1:3] == ["0", str(resource_types(bill)["Claim"])]
    assert claim_row.endswith("billing, not part of the chart")
    assert "1 bundle(s) imported, 0 failed" in table


def test_it_names_each_bad_file_in_one_line_and_fails_after_importing_the_good(tmp_path, bill):
    broken = tmp_path / "broken.json"
    broken.write_text("{x")
    out, err = StringIO(), StringIO()

    with pytest.raises(CommandError):
        call_command("import_fhir", str(broken), str(bill), stdout=out, stderr=err)

    assert err.getvalue().strip() == f"error: {broken}: not valid JSON (line 1, column 2)"
    assert Patient.objects.count() == 1


def test_it_keeps_parsing_robust_to_data_fhirclient_rejects():
    bent = observation("k5", "6298-4", 4.0, "mmol/L")
    bent["status"] = 17  # not a string: fhirclient's strict R4 model refuses it
    result = import_bundle(bundle(patient(), bent), source="alice")

    assert result.lenient == {"Observation": 1}
    assert Observation.objects.get(fhir_id="k5").value_num == 4.0
