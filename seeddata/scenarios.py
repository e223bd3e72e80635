"""Clinical scenario overlay: authored results added on top of the Synthea population.

The shipped population is Synthea's, untouched, and Synthea rarely produces some
findings tasks need: no potassium below 3.7 mmol/L, magnesium on five patients, few
adults with a creatinine and eGFR. `fixtures/scenarios.json` describes a small set of
scenarios (which patients, which results, when; a scenario may take an earlier one's
patients, so that one patient has two findings); `scenarios_apply` turns them into FHIR
R4 Observations (and, for chronic kidney disease, a Condition) and imports them through
the chart's own importer, so reference ranges and H/L flags come out exactly as for
imported labs. `build_golden` applies them after the population.

It is authored data, never confused with Synthea's:
- every resource carries `meta.tag` urn:ehrgym:data-origin|authored-scenario and
  `meta.source` urn:ehrgym:scenario:<name>, and its id starts with `ehrgym-scenario-`
  (the chart keeps the id as `fhir_id`; see `is_scenario_id`);
- each patient's import is audited as `fhir.import` with source `scenario:<name>`, and
  the golden build record lists every scenario's patients and resources.

Deterministic and idempotent: patients are the eligible ones ranked by
sha256(seed:name:Patient.id); eligibility reads the population's own data only (never
a scenario's), and resources are upserted by id, so applying twice changes nothing.
"""

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction

from clinical.models import CodeSystem, Condition, Observation, Patient
from clinical.reference_ranges import reference_range

FORMAT = "ehrgym-scenarios/1"
FILE_NAME = "scenarios.json"
ID_PREFIX = "ehrgym-scenario-"
TAG_SYSTEM = "urn:ehrgym:data-origin"
TAG_CODE = "authored-scenario"
TAG_DISPLAY = "EHRGym authored clinical scenario (not Synthea output)"
SOURCE_PREFIX = "urn:ehrgym:scenario:"
UCUM = "http://unitsofmeasure.org"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
FHIR_ID_MAX = 64
KINDS = ("lab-draws", "kidney-function")
ELIGIBILITY_RULES = frozenset({"age_min", "has_condition_codes", "lacks_condition_codes", "lacks_results",
                               "latest_result_not_below", "results_before_draws"})
ACTIVE = (Condition.ClinicalStatus.ACTIVE, Condition.ClinicalStatus.RECURRENCE)


class ScenarioError(Exception):
    """The scenario file is malformed or asks for what the chart cannot hold; the message says why."""


def default_path() -> Path:
    return Path(settings.FIXTURES_DIR) / FILE_NAME


def is_scenario_id(fhir_id: str) -> bool:
    """True for a chart row that came from the scenario overlay (an Observation component's id too)."""
    return fhir_id.startswith(ID_PREFIX)


# --- the file -----------------------------------------------------------------------


def _check_lab(lab: dict, where: str) -> None:
    missing = {"loinc", "display", "unit"} - set(lab)
    if missing:
        raise ScenarioError(f"{where}: lab needs {', '.join(sorted(missing))}")
    # A unit the reference table does not hold would import unflagged: refuse it.
    if reference_range(lab["loinc"], unit=lab["unit"]) is None:
        raise ScenarioError(f"{where}: LOINC {lab['loinc']} in {lab['unit']!r} has no reference range in "
                            "clinical/reference_ranges.py, so it would not be flagged like imported labs")


def _check_scenario(scenario: dict, earlier: set[str]) -> None:
    name = scenario.get("name", "")
    where = f"scenario {name or '?'}"
    if not name or not name.replace("-", "").isalnum() or name != name.lower():
        raise ScenarioError(f"{where}: a name is lower-case letters, digits and hyphens")
    if name in earlier:
        raise ScenarioError(f"{where}: the name is used twice")
    if scenario.get("kind") not in KINDS:
        raise ScenarioError(f"{where}: kind must be one of {', '.join(KINDS)}")
    if unknown := set(scenario.get("eligible", {})) - ELIGIBILITY_RULES:
        raise ScenarioError(f"{where}: unknown eligibility rule(s) {', '.join(sorted(unknown))}")
    if unknown := set(scenario.get("not_with", ())) - earlier:
        raise ScenarioError(f"{where}: not_with names no earlier scenario: {', '.join(sorted(unknown))}")
    if scenario.get("same_patients_as") is not None and scenario["same_patients_as"] not in earlier:
        raise ScenarioError(f"{where}: same_patients_as names no earlier scenario: {scenario['same_patients_as']}")
    draws, slots = scenario.get("draws") or [], scenario.get("slots") or []
    if not draws or len(slots) < scenario.get("patients", 0):
        raise ScenarioError(f"{where}: needs draws and at least one slot per patient")
    key = "values" if scenario["kind"] == "lab-draws" else "egfr"
    if any(len(slot.get(key, ())) != len(draws) for slot in slots):
        raise ScenarioError(f"{where}: every slot gives one {key} per draw")
    if scenario["kind"] == "lab-draws":
        _check_lab(scenario.get("lab", {}), where)
    else:
        _check_lab(scenario.get("creatinine", {}), where)
        _check_lab(scenario.get("egfr", {}), where)
    longest = f"{ID_PREFIX}{name}-{'0' * 12}-{'x' * 6}-{len(draws)}"
    if len(longest) > FHIR_ID_MAX:
        raise ScenarioError(f"{where}: the name is too long for a FHIR id")


def scenarios_load(path: Path | None = None) -> dict:
    """The scenario file, checked: real LOINC codes in the units the reference table flags."""
    path = Path(path or default_path())
    try:
        spec = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise ScenarioError(f"{path}: {error}") from None
    if spec.get("format") != FORMAT:
        raise ScenarioError(f"{path}: format is not {FORMAT}")
    earlier: set[str] = set()
    for scenario in spec.get("scenarios", ()):
        _check_scenario(scenario, earlier)
        earlier.add(scenario["name"])
    spec["sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
    spec["path"] = str(path)
    return spec


# --- who: eligible patients, in a seeded order ----------------------------------------


@dataclass
class _Chart:
    """The population's own data a rule reads (scenario rows left out, so a second run plans the same)."""

    results: dict[int, list[tuple[str, datetime, float]]] = field(default_factory=dict)
    active_codes: dict[int, set[str]] = field(default_factory=dict)

    @classmethod
    def read(cls, spec: dict, using: str) -> "_Chart":
        loincs = set()
        for scenario in spec["scenarios"]:
            rules = scenario.get("eligible", {})
            loincs.update(rules.get("lacks_results", ()), rules.get("results_before_draws", ()))
            loincs.update(rules.get("latest_result_not_below", {}).get("loincs", ()))
        chart = cls()
        rows = (Observation.objects.using(using).filter(loinc__in=loincs).exclude(value_num=None)
                .exclude(fhir_id__startswith=ID_PREFIX).values_list("patient_id", "loinc", "effective_at", "value_num"))
        for patient_id, loinc, at, value in rows:
            chart.results.setdefault(patient_id, []).append((loinc, at, value))
        conditions = (Condition.objects.using(using).filter(clinical_status__in=ACTIVE)
                      .exclude(fhir_id__startswith=ID_PREFIX).values_list("patient_id", "code"))
        for patient_id, code in conditions:
            chart.active_codes.setdefault(patient_id, set()).add(code)
        return chart

    def results_of(self, patient: Patient, loincs) -> list[tuple[str, datetime, float]]:
        return [row for row in self.results.get(patient.pk, ()) if row[0] in loincs]


def _draw_time(draw: dict, *, reference_date: date, minutes: int = 0) -> datetime:
    day = reference_date - timedelta(days=draw["days_before"])
    local = datetime.combine(day, time.fromisoformat(draw["at"]), tzinfo=ZoneInfo(settings.TIME_ZONE))
    return local + timedelta(minutes=minutes)


def _eligible(patient: Patient, scenario: dict, chart: _Chart, reference_date: date) -> bool:
    rules = scenario.get("eligible", {})
    first = min(_draw_time(draw, reference_date=reference_date) for draw in scenario["draws"])
    # Old enough at the first draw: the importer flags against adult ranges only from 18.
    if patient.deceased_at is not None or patient.age_on(first.date()) < rules.get("age_min", 0):
        return False
    codes = chart.active_codes.get(patient.pk, set())
    if rules.get("has_condition_codes") and not codes & set(rules["has_condition_codes"]):
        return False
    if codes & set(rules.get("lacks_condition_codes", ())):
        return False
    if chart.results_of(patient, rules.get("lacks_results", ())):
        return False
    if floor := rules.get("latest_result_not_below"):
        results = chart.results_of(patient, floor["loincs"])
        if results and max(results, key=lambda row: row[1])[2] < floor["value"]:
            return False
    # The scenario's draws are the newest of their test (the draw MedAgentBench's clocks start from).
    before = chart.results_of(patient, rules.get("results_before_draws", ()))
    return all(at < first for _, at, _ in before)


def _rank(seed: int, name: str, patient: Patient) -> str:
    return hashlib.sha256(f"{seed}:{name}:{patient.fhir_id}".encode()).hexdigest()


# --- what: FHIR resources -------------------------------------------------------------


def _meta(name: str) -> dict:
    return {"tag": [{"system": TAG_SYSTEM, "code": TAG_CODE, "display": TAG_DISPLAY}],
            "source": f"{SOURCE_PREFIX}{name}"}


def _iso(moment: datetime) -> str:
    return moment.astimezone(ZoneInfo("UTC")).isoformat()


def _observation(*, fhir_id: str, name: str, patient: Patient, lab: dict, value: float, at: datetime) -> dict:
    # No referenceRange or interpretation, as in most of Synthea's labs: the importer flags
    # the value from the adult reference table, the same way it flags imported results.
    return {
        "resourceType": "Observation",
        "id": fhir_id,
        "meta": _meta(name),
        "status": "final",
        "category": [{"coding": [{"system": OBSERVATION_CATEGORY, "code": "laboratory", "display": "Laboratory"}]}],
        "code": {"coding": [{"system": CodeSystem.LOINC, "code": lab["loinc"], "display": lab["display"]}],
                 "text": lab["display"]},
        "subject": {"reference": f"Patient/{patient.fhir_id}"},
        "effectiveDateTime": _iso(at),
        "issued": _iso(at + timedelta(hours=1)),
        "valueQuantity": {"value": value, "unit": lab["unit"], "system": UCUM, "code": lab["unit"]},
    }


def _condition(*, fhir_id: str, name: str, patient: Patient, code: str, display: str, onset: datetime,
               recorded: datetime) -> dict:
    return {
        "resourceType": "Condition",
        "id": fhir_id,
        "meta": _meta(name),
        "clinicalStatus": {"coding": [{"system": CONDITION_CLINICAL, "code": "active"}]},
        "verificationStatus": {"coding": [{"system": CONDITION_VERIFICATION, "code": "confirmed"}]},
        "category": [{"coding": [{"system": CONDITION_CATEGORY, "code": "problem-list-item"}]}],
        "code": {"coding": [{"system": CodeSystem.SNOMED, "code": code, "display": display}], "text": display},
        "subject": {"reference": f"Patient/{patient.fhir_id}"},
        "onsetDateTime": _iso(onset),
        "recordedDate": _iso(recorded),
    }


def mdrd_egfr(creatinine: float, *, age: int, sex: str) -> float:
    """IDMS-traceable 4-variable MDRD (what LOINC 33914-3 names), mL/min/1.73 m2, without the race term."""
    return 175 * creatinine ** -1.154 * age ** -0.203 * (0.742 if sex == Patient.Sex.FEMALE else 1.0)


def creatinine_for_egfr(egfr: float, *, age: int, sex: str) -> float:
    """The serum creatinine (mg/dL, two decimals, as labs report it) whose MDRD eGFR is about `egfr`."""
    return round((egfr / mdrd_egfr(1.0, age=age, sex=sex)) ** (-1 / 1.154), 2)


def _lab_draws(scenario: dict, patient: Patient, slot: dict, times: list[datetime], key: str) -> list[dict]:
    name = scenario["name"]
    return [_observation(fhir_id=f"{ID_PREFIX}{name}-{key}-{n}", name=name, patient=patient,
                         lab=scenario["lab"], value=value, at=at)
            for n, (value, at) in enumerate(zip(slot["values"], times, strict=True), start=1)]


def _kidney_function(scenario: dict, patient: Patient, slot: dict, times: list[datetime], key: str) -> list[dict]:
    name = scenario["name"]
    resources, egfrs = [], []
    for n, (target, at) in enumerate(zip(slot["egfr"], times, strict=True), start=1):
        age = patient.age_on(at.date())
        creatinine = creatinine_for_egfr(target, age=age, sex=patient.sex)
        egfr = round(mdrd_egfr(creatinine, age=age, sex=patient.sex))
        egfrs.append((at, egfr))
        resources.append(_observation(fhir_id=f"{ID_PREFIX}{name}-{key}-creat-{n}", name=name, patient=patient,
                                      lab=scenario["creatinine"], value=creatinine, at=at))
        resources.append(_observation(fhir_id=f"{ID_PREFIX}{name}-{key}-egfr-{n}", name=name, patient=patient,
                                      lab=scenario["egfr"], value=egfr, at=at))
    # KDIGO: chronic kidney disease is a GFR below 60 for more than three months; stage by the latest.
    reduced = [(at, egfr) for at, egfr in egfrs if egfr < 60]
    if len(reduced) == len(egfrs) and reduced[-1][0] - reduced[0][0] > timedelta(days=scenario["chronic_after_days"]):
        latest = reduced[-1][1]
        stage = next((s for s in scenario["ckd_stages"] if s["egfr_from"] <= latest < s["egfr_below"]), None)
        if stage:
            resources.append(_condition(fhir_id=f"{ID_PREFIX}{name}-{key}-ckd", name=name, patient=patient,
                                        code=stage["code"], display=stage["display"], onset=reduced[0][0],
                                        recorded=reduced[-1][0]))
    return resources


BUILDERS = {"lab-draws": _lab_draws, "kidney-function": _kidney_function}


# --- the plan and its application -----------------------------------------------------


@dataclass(frozen=True)
class PatientScenario:
    scenario: str
    patient: Patient
    resources: list[dict]


def scenarios_plan(spec: dict, *, using: str, reference_date: date) -> list[PatientScenario]:
    """Every scenario's patients and the resources each gets, in the file's order."""
    chart = _Chart.read(spec, using)
    patients = list(Patient.objects.using(using).filter(deceased_at__isnull=True))
    chosen: dict[str, set[int]] = {}
    order: dict[str, list[int]] = {}
    plan = []
    for scenario in spec["scenarios"]:
        name, seed = scenario["name"], spec["seed"]
        taken = set().union(*(chosen[other] for other in scenario.get("not_with", ())))
        eligible = [p for p in patients if p.pk not in taken and _eligible(p, scenario, chart, reference_date)]
        eligible.sort(key=lambda p: _rank(seed, name, p))
        if "same_patients_as" in scenario:
            # A second finding for an earlier scenario's patients (its eligibility still applies), in its order.
            earlier = order[scenario["same_patients_as"]]
            eligible = sorted((p for p in eligible if p.pk in earlier), key=lambda p: earlier.index(p.pk))
        picked = eligible[: scenario["patients"]]
        chosen[name] = {p.pk for p in picked}
        order[name] = [p.pk for p in picked]
        for index, (patient, slot) in enumerate(zip(picked, scenario["slots"], strict=False)):
            minutes = index * spec.get("stagger_minutes", 0)
            times = [_draw_time(draw, reference_date=reference_date, minutes=minutes) for draw in scenario["draws"]]
            key = _rank(seed, name, patient)[:12]
            resources = BUILDERS[scenario["kind"]](scenario, patient, slot, times, key)
            plan.append(PatientScenario(scenario=name, patient=patient, resources=resources))
    return plan


@dataclass
class ScenarioSummary:
    path: str
    sha256: str
    reference_date: str
    scenarios: dict[str, dict] = field(default_factory=dict)

    @property
    def resources(self) -> int:
        return sum(s["resources"] for s in self.scenarios.values())

    @property
    def patients(self) -> int:
        return len({mrn for s in self.scenarios.values() for mrn in s["mrns"]})

    def as_json(self) -> dict:
        return {"applied": True, "file": self.path, "sha256": self.sha256, "reference_date": self.reference_date,
                "resources": self.resources, "patients": self.patients, "scenarios": self.scenarios}


def scenarios_apply(*, using: str, reference_date: date, path: Path | None = None) -> ScenarioSummary:
    """Add the scenarios of `path` (default fixtures/scenarios.json) to the chart in `using`, in one
    transaction. Idempotent: the same population gives the same resources, upserted by id."""
    from seeddata.fhir.importer import import_into_chart

    spec = scenarios_load(path)
    summary = ScenarioSummary(path=spec["path"], sha256=spec["sha256"], reference_date=reference_date.isoformat())
    for scenario in spec["scenarios"]:
        summary.scenarios[scenario["name"]] = {"mrns": [], "resources": 0, "Observation": 0, "Condition": 0}
    with transaction.atomic(using=using):
        for item in scenarios_plan(spec, using=using, reference_date=reference_date):
            result = import_into_chart(item.resources, patient=item.patient, source=f"scenario:{item.scenario}",
                                       using=using)
            if result.skipped():
                raise ScenarioError(f"scenario {item.scenario} for {item.patient.mrn}: the importer skipped "
                                    f"{result.skipped()} resource(s):\n{result.as_table()}")
            counts = summary.scenarios[item.scenario]
            counts["mrns"].append(item.patient.mrn)
            counts["resources"] += result.imported()
            for resource_type in ("Observation", "Condition"):
                counts[resource_type] += result.imported(resource_type)
    return summary
