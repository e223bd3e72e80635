"""Import FHIR R4 bundles (Synthea's transaction bundles) into the chart.

Each bundle is parsed with fhirclient's R4 models, checked, and written with bulk
upserts in one transaction: a bundle is imported whole or not at all, and importing
it again changes nothing. Resource types the chart does not hold are counted as
skipped, with the reason, never silently dropped.
"""

import logging
import re
import time
from collections import defaultdict
from pathlib import Path

from django.db import DatabaseError, transaction
from fhirclient.models.fhirabstractbase import FHIRValidationError
from tqdm import tqdm

from clinical.audit import audit_record
from clinical.models import Organization, Patient, Practitioner
from seeddata.fhir.chart import (
    CHART_STAGES,
    DIRECTORY_STAGES,
    PATIENT_CLASS,
    assign_pcp,
    import_patient,
)
from seeddata.fhir.reading import count_bundles, expand, parse_json, read_bundles
from seeddata.fhir.references import BundleIndex, Resolver
from seeddata.fhir.registry import FhirImportError, ImportContext, registered_handlers
from seeddata.fhir.results import ImportFailure, ImportResult, ImportSummary

__all__ = ["FhirImportError", "ImportFailure", "ImportResult", "ImportSummary", "import_bundle", "import_into_chart",
           "import_paths"]

logger = logging.getLogger(__name__)

BILLING = "billing, not part of the chart"
SKIP_REASONS = {
    "Claim": BILLING,
    "ExplanationOfBenefit": BILLING,
    "Coverage": BILLING,
    "Provenance": "provenance metadata, not part of the chart",
    "CarePlan": "care plans are not charted",
    "Goal": "care plan goals are not charted",
    "CareTeam": "care teams are not charted",
    "ImagingStudy": "imaging study metadata, no images to show",
    "Device": "devices are not charted",
    "SupplyDelivery": "supply deliveries, not part of the chart",
    "MedicationAdministration": "administrations are not charted (the chart lists orders)",
    "Location": "locations are not charted",
    "PractitionerRole": "practitioner roles are not charted",
    "Medication": "medication definitions, read only to code MedicationRequests",
}
UNSUPPORTED = "unsupported resource type"
# Synthea's default export puts these in bundles of their own, without a patient.
DIRECTORY_TYPES = frozenset({"Organization", "Practitioner", "PractitionerRole", "Location"})
FHIR_ID_MAX_LENGTH = 64
# R4's id type: what may follow "Patient/" in a URL, and nothing a path or a query could misread.
FHIR_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")
# Never read, and a good part of what fhirclient would otherwise spend its time on.
UNREAD_KEYS = frozenset({"meta", "text"})
PROGRESS_MIN_BUNDLES = 20


# --- one bundle ------------------------------------------------------------------------


def _json_kind(value: object) -> str:
    return {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(type(value), "a number")


def _entries(bundle: object) -> list[tuple[str, dict]]:
    """(fullUrl, resource) of every entry, or FhirImportError when the bundle is malformed."""
    if not isinstance(bundle, dict):
        raise FhirImportError(f"not a FHIR Bundle (JSON {_json_kind(bundle)}, not an object)")
    if bundle.get("resourceType") != "Bundle":
        found = bundle.get("resourceType")
        detail = f'resourceType is "{found}"' if found else "no resourceType"
        raise FhirImportError(f"not a FHIR Bundle ({detail})")
    entries = bundle.get("entry") or []
    if not isinstance(entries, list):
        raise FhirImportError("not a FHIR Bundle (entry is not a list)")
    return [_entry(number, entry) for number, entry in enumerate(entries, start=1)]


def _entry(number: int, entry: object) -> tuple[str, dict]:
    resource = entry.get("resource") if isinstance(entry, dict) else None
    if not isinstance(resource, dict):
        raise FhirImportError(f"entry {number} has no resource object")
    if not isinstance(resource.get("resourceType"), str):
        raise FhirImportError(f"entry {number}: resource has no resourceType")
    full_url = entry.get("fullUrl") or ""
    if not isinstance(full_url, str):
        raise FhirImportError(f"entry {number}: fullUrl is JSON {_json_kind(full_url)}, not a string")
    if not resource.get("id") and full_url:
        # Transaction bundles may name a resource by its fullUrl alone.
        resource = {**resource, "id": full_url.rsplit(":", 1)[-1].rsplit("/", 1)[-1]}
    return full_url, resource


def _check_patients(entries: list[tuple[str, dict]]) -> None:
    types = [resource["resourceType"] for _, resource in entries]
    patients = types.count("Patient")
    if patients > 1:
        raise FhirImportError(f"bundle has {patients} Patient resources (expected one per bundle)")
    if patients == 0 and not (types and set(types) <= DIRECTORY_TYPES):
        raise FhirImportError("bundle has no Patient resource")


def _importers() -> dict[str, tuple]:
    extra = {t: (r.resource_class, r.handler) for t, r in registered_handlers().items()}
    return {"Patient": (PATIENT_CLASS, None), **extra, **DIRECTORY_STAGES, **CHART_STAGES}


def _without_nulls(value):
    """R4 JSON has no nulls (an absent element is left out): drop them, so no reader meets a None in a list."""
    if isinstance(value, dict):
        return {key: _without_nulls(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [_without_nulls(item) for item in value if item is not None]
    return value


def _parse(resource_class, raw: dict, result: ImportResult):
    raw = {key: _without_nulls(value) for key, value in raw.items() if key not in UNREAD_KEYS and value is not None}
    try:
        return resource_class(raw, strict=True)
    except FHIRValidationError:
        # Real-world bundles bend R4 here and there; keep what fhirclient can read.
        result.lenient[raw["resourceType"]] += 1
        return resource_class(raw, strict=False)


def _id_problem(raw: dict) -> str:
    fhir_id = raw.get("id")
    if not isinstance(fhir_id, str) or not fhir_id:
        return "no id"
    if len(fhir_id) > FHIR_ID_MAX_LENGTH:
        return f"id longer than {FHIR_ID_MAX_LENGTH} characters"
    if not FHIR_ID.fullmatch(fhir_id):
        return f"id {fhir_id[:40]!r} that is not a FHIR id (letters, digits, '-' and '.' only)"
    return ""


def _plan(entries: list[tuple[str, dict]], result: ImportResult) -> dict[str, list]:
    """Parse what the chart imports, grouped by type; count the rest as skipped."""
    importers = _importers()
    parsed: dict[str, list] = defaultdict(list)
    for _, raw in entries:
        resource_type = raw["resourceType"]
        if resource_type not in importers:
            result.add_skipped(resource_type, SKIP_REASONS.get(resource_type, UNSUPPORTED))
        elif problem := _id_problem(raw):
            if resource_type == "Patient":
                raise FhirImportError(f"the Patient resource has {problem}")
            result.add_skipped(resource_type, problem)
        else:
            parsed[resource_type].append(_parse(importers[resource_type][0], raw, result))
    return parsed


def _index(entries: list[tuple[str, dict]]) -> BundleIndex:
    index = BundleIndex()
    for full_url, raw in entries:
        if isinstance(raw.get("id"), str) and raw["id"]:
            index.add(full_url, raw)
    return index


def _run_stages(parsed: dict[str, list], ctx: ImportContext) -> None:
    for resource_type, (_, stage) in DIRECTORY_STAGES.items():
        stage(parsed.get(resource_type, []), ctx)
    if not parsed.get("Patient"):
        return
    ctx.patient = import_patient(parsed["Patient"][0], ctx)
    for resource_type, (_, stage) in CHART_STAGES.items():
        stage(parsed.get(resource_type, []), ctx)
    assign_pcp(ctx)
    for resource_type, registration in registered_handlers().items():
        if resource_type not in CHART_STAGES and resource_type not in DIRECTORY_STAGES:
            registration.handler(parsed.get(resource_type, []), ctx)


def _audit_target(ctx: ImportContext, parsed: dict[str, list]):
    if ctx.patient is not None:
        return ctx.patient
    # A directory bundle: record the event against the first organization or practitioner.
    for model in (Organization, Practitioner):
        for resource in parsed.get(model.__name__, []):
            return model.objects.using(ctx.using).get(fhir_id=resource.id)
    return None


def _audit(ctx: ImportContext, parsed: dict[str, list]) -> None:
    target = _audit_target(ctx, parsed)
    if target is None:
        return
    details = {
        "source": ctx.source,
        "imported": {t: ctx.result.imported(t) for t in sorted(ctx.result.counts) if ctx.result.imported(t)},
        "skipped": {t: ctx.result.skipped(t) for t in sorted(ctx.result.counts) if ctx.result.skipped(t)},
    }
    audit_record(actor="system", action="fhir.import", target=target, patient=ctx.patient, details=details)


def import_bundle(bundle: dict, *, source: str, using: str = "default") -> ImportResult:
    """Import one bundle in one transaction on `using`; FhirImportError (and nothing written) if it is unusable."""
    started = time.perf_counter()
    entries = _entries(bundle)
    _check_patients(entries)
    result = ImportResult(source=source)
    parsed = _plan(entries, result)
    with transaction.atomic(using=using):
        ctx = ImportContext(using=using, source=source, result=result, resolver=Resolver(_index(entries), using))
        _run_stages(parsed, ctx)
        _audit(ctx, parsed)
    if ctx.patient is not None:
        result.patient_fhir_id, result.patient_pk, result.mrn = ctx.patient.fhir_id, ctx.patient.pk, ctx.patient.mrn
    result.elapsed = time.perf_counter() - started
    return result


def import_into_chart(resources: list[dict], *, patient: Patient, source: str, using: str = "default") -> ImportResult:
    """Import resources about a patient already in the chart (no Patient resource among them), in one
    transaction, through the same builders, flags and upserts as a bundle: authored scenario data
    (seeddata.scenarios) added on top of an imported population. Importing them again changes nothing."""
    started = time.perf_counter()
    entries = [("", raw) for raw in resources]
    if any(raw.get("resourceType") in {"Patient", *DIRECTORY_TYPES} for _, raw in entries):
        raise FhirImportError("import_into_chart adds chart resources to an existing patient: import patients, "
                              "practitioners and organizations with import_bundle")
    result = ImportResult(source=source)
    parsed = _plan(entries, result)
    with transaction.atomic(using=using):
        ctx = ImportContext(using=using, source=source, result=result, resolver=Resolver(_index(entries), using),
                            patient=patient)
        for resource_type, (_, stage) in CHART_STAGES.items():
            if parsed.get(resource_type):
                stage(parsed[resource_type], ctx)
        for resource_type, registration in registered_handlers().items():
            if resource_type not in CHART_STAGES and parsed.get(resource_type):
                registration.handler(parsed[resource_type], ctx)
        _audit(ctx, parsed)
    result.patient_fhir_id, result.patient_pk, result.mrn = patient.fhir_id, patient.pk, patient.mrn
    result.elapsed = time.perf_counter() - started
    return result


# --- files and folders ----------------------------------------------------------------


def _files(paths: list[Path | str], summary: ImportSummary) -> list[Path]:
    files: list[Path] = []
    for path in map(Path, paths):
        try:
            files.extend(expand(path))
        except FhirImportError as error:
            summary.fail(str(path), str(error))
    return files


def _import_one(raw, summary: ImportSummary, using: str) -> None:
    try:
        summary.add(import_bundle(parse_json(raw), source=raw.source, using=using))
    except FhirImportError as error:
        summary.fail(raw.source, str(error))
    except DatabaseError as error:
        summary.fail(raw.source, f"database error: {error}")
    except Exception as error:  # noqa: BLE001 - one bad bundle must not stop the others
        logger.exception("importing %s failed", raw.source)
        summary.fail(raw.source, f"unexpected {type(error).__name__}: {error}")


def _count(path: Path) -> int:
    try:
        return count_bundles(path)
    except FhirImportError:
        return 0  # reported when the file is imported


def _progress_bar(files: list[Path], progress: bool) -> tqdm:
    total = sum(map(_count, files)) if progress else 0
    # disable=None lets tqdm stay quiet when stderr is not a terminal (logs, CI).
    disable = True if total < PROGRESS_MIN_BUNDLES else None
    return tqdm(total=total, unit="bundle", desc="Importing", disable=disable, leave=False)


def import_paths(paths: list[Path | str], *, using: str = "default", progress: bool = False) -> ImportSummary:
    """Import every bundle in the given files and folders, each in its own transaction."""
    started = time.perf_counter()
    summary = ImportSummary()
    files = _files(paths, summary)
    with _progress_bar(files, progress) as bar:
        for path in files:
            try:
                for raw in read_bundles(path):
                    _import_one(raw, summary, using)
                    bar.update()
            except FhirImportError as error:
                summary.fail(str(path), str(error))
    summary.elapsed = time.perf_counter() - started
    return summary
