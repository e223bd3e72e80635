"""Compaction: one patient's Synthea bundle trimmed to what a chart shows.

Raw Synthea bundles are ~4.6 MB per patient, mostly billing (Claim,
ExplanationOfBenefit), Provenance and decades of observations. Compaction keeps the
resource types the EHR charts, drops FHIR metadata and narrative, and trims history
to a recent window, so a population of a hundred-odd patients ships as one small,
byte-reproducible file. Nothing is invented: every kept resource is Synthea's, only
fewer of them and without `meta`/`text`.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

# Types the chart shows. Billing, provenance, care plans, devices, imaging studies and
# locations are dropped: no screen or task reads them.
CHART_TYPES = frozenset(
    {
        "Patient",
        "Practitioner",
        "Organization",
        "Encounter",
        "Condition",
        "AllergyIntolerance",
        "MedicationRequest",
        "Observation",
        "Immunization",
        "Procedure",
        "DiagnosticReport",
        "DocumentReference",
    }
)
# The whole history of these is the chart (problem list, allergies, immunization record).
LIFETIME_TYPES = frozenset({"Patient", "Condition", "AllergyIntolerance", "Immunization"})
# Kept only when a kept resource points at them, so a bundle carries no strangers.
DIRECTORY_TYPES = frozenset({"Practitioner", "Organization"})
ACTIVE_MEDICATION_STATUSES = frozenset({"active", "on-hold"})
DROPPED_KEYS = ("meta", "text")


@dataclass(frozen=True)
class CompactionRules:
    # Seven years of encounters, labs and vitals gives several panels per
    # patient (trend plots worth looking at) while the default file stays a few MB.
    history_years: int = 7
    recent_notes: int = 5


DEFAULT_RULES = CompactionRules()


# --- reading a resource ----------------------------------------------------------


def resource_date(resource: dict) -> str:
    """The clinically relevant date as an ISO string ('' when undated); ISO dates sort as text."""
    for key in ("effectiveDateTime", "performedDateTime", "occurrenceDateTime", "authoredOn",
                "onsetDateTime", "recordedDate", "date", "issued"):
        if resource.get(key):
            return resource[key]
    for key in ("period", "effectivePeriod", "performedPeriod"):
        if resource.get(key, {}).get("start"):
            return resource[key]["start"]
    return resource.get("context", {}).get("period", {}).get("start", "")


def _references(value) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "reference" and isinstance(item, str):
                yield item
            else:
                yield from _references(item)
    elif isinstance(value, list):
        for item in value:
            yield from _references(item)


# --- compaction -------------------------------------------------------------------


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _history_cutoff(entries: list[dict], years: int) -> str:
    """Start of the kept window, counted back from the patient's latest encounter.

    Anchoring on the bundle's own last visit (not on today) keeps compaction a pure
    function of the bundle, and keeps a window of care even for a patient whose last
    visit was long ago.
    """
    starts = [resource_date(e["resource"]) for e in entries if e["resource"]["resourceType"] == "Encounter"]
    if not starts:
        return ""
    latest = date.fromisoformat(max(starts)[:10])
    return _years_before(latest, years).isoformat()


def _latest_observation_per_code(entries: list[dict]) -> set[str]:
    """Ids of the newest observation of each LOINC: the last known height or lipid
    panel stays on the chart even when it predates the window."""
    newest: dict[str, tuple[str, str]] = {}
    for entry in entries:
        resource = entry["resource"]
        if resource["resourceType"] != "Observation":
            continue
        code = resource.get("code", {}).get("coding", [{}])[0].get("code", "")
        candidate = (resource_date(resource), resource["id"])
        if candidate > newest.get(code, ("", "")):
            newest[code] = candidate
    return {resource_id for _, resource_id in newest.values()}


def _recent_note_ids(entries: list[dict], count: int) -> set[str]:
    notes = [e["resource"] for e in entries if e["resource"]["resourceType"] == "DocumentReference"]
    notes.sort(key=lambda r: (resource_date(r), r["id"]), reverse=True)
    return {note["id"] for note in notes[:count]}


def _keeps(resource: dict, *, cutoff: str, pinned: set[str]) -> bool:
    kind = resource["resourceType"]
    if kind in LIFETIME_TYPES or resource["id"] in pinned:
        return True
    if kind == "DocumentReference":
        return False  # only the pinned most recent notes
    if kind == "MedicationRequest" and resource.get("status") in ACTIVE_MEDICATION_STATUSES:
        return True
    return resource_date(resource)[:10] >= cutoff


def _clean(resource: dict) -> dict:
    return {key: value for key, value in resource.items() if key not in DROPPED_KEYS}


def _prune_report_results(report: dict, kept_urls: set[str]) -> dict:
    """A report keeps only result links to observations still in the bundle."""
    if "result" not in report:
        return report
    results = [link for link in report["result"] if link.get("reference") in kept_urls]
    report = {key: value for key, value in report.items() if key != "result"}
    if results:
        report["result"] = results
    return report


def _entry_keys(entry: dict) -> set[str]:
    resource = entry["resource"]
    return {entry.get("fullUrl", ""), f"{resource['resourceType']}/{resource['id']}"}


def compact_bundle(bundle: dict, *, rules: CompactionRules = DEFAULT_RULES) -> dict:
    """A copy of one patient's bundle with only chart resources and recent history."""
    entries = [e for e in bundle.get("entry", ()) if e["resource"]["resourceType"] in CHART_TYPES]
    cutoff = _history_cutoff(entries, rules.history_years)
    pinned = _latest_observation_per_code(entries) | _recent_note_ids(entries, rules.recent_notes)
    kept = [
        e for e in entries
        if e["resource"]["resourceType"] not in DIRECTORY_TYPES
        and _keeps(e["resource"], cutoff=cutoff, pinned=pinned)
    ]
    kept_urls = set().union(*(_entry_keys(e) for e in kept))
    referenced = set().union(*(set(_references(e["resource"])) for e in kept))
    directory = [
        e for e in entries
        if e["resource"]["resourceType"] in DIRECTORY_TYPES and _entry_keys(e) & referenced
    ]
    kept_ids = {id(e) for e in kept + directory}
    return {
        "resourceType": "Bundle",
        "type": bundle.get("type", "transaction"),
        "entry": [_compact_entry(e, kept_urls) for e in entries if id(e) in kept_ids],
    }


def _compact_entry(entry: dict, kept_urls: set[str]) -> dict:
    resource = _clean(entry["resource"])
    if resource["resourceType"] == "DiagnosticReport":
        resource = _prune_report_results(resource, kept_urls)
    compacted = {"fullUrl": entry["fullUrl"], "resource": resource} if "fullUrl" in entry else {"resource": resource}
    if "request" in entry:
        compacted["request"] = entry["request"]
    return compacted
