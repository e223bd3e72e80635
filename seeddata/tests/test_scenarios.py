"""The clinical scenario overlay: authored results on top of the Synthea population.

Built once per module from the first PATIENTS patients of the shipped population (real
Synthea charts), then each test works on its own copy of that golden database.
"""

import json
import shutil
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from io import StringIO
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connections
from fhirclient.models.condition import Condition as FhirCondition
from fhirclient.models.observation import Observation as FhirObservation

from clinical import selectors
from clinical.models import AuditEvent, Condition, Observation, Patient
from clinical.reference_ranges import flag_for, reference_range
from seeddata.golden import golden_build, golden_build_info
from seeddata.population import population_slice, read_manifest
from seeddata.scenarios import (
    ID_PREFIX,
    TAG_CODE,
    TAG_SYSTEM,
    ScenarioError,
    default_path,
    mdrd_egfr,
    scenarios_apply,
    scenarios_load,
    scenarios_plan,
)

PATIENTS = 24
G = "golden"
LABS = {  # LOINC: (display, unit) of every result the overlay may add
    "2823-3": ("Potassium [Moles/volume] in Serum or Plasma", "mmol/L"),
    "19123-9": ("Magnesium [Mass/volume] in Serum or Plasma", "mg/dL"),
    "2160-0": ("Creatinine [Mass/volume] in Serum or Plasma", "mg/dL"),
    "33914-3": (("Glomerular filtration rate/1.73 sq M.predicted [Volume Rate/Area] in Serum or Plasma by "
                 "Creatinine-based formula (MDRD)"), "mL/min/{1.73_m2}"),
    "4548-4": ("Hemoglobin A1c/Hemoglobin.total in Blood", "%"),
}


@contextmanager
def golden_alias_at(path: Path):
    """The `golden` alias on a disposable SQLite file, never the real golden database."""
    configured = connections.settings[G]
    original = dict(configured)
    connections[G].close()
    del connections[G]
    configured.update({"ENGINE": "django.db.backends.sqlite3", "NAME": str(path), "OPTIONS": {"timeout": 20}})
    try:
        yield
    finally:
        connections[G].close()
        del connections[G]
        configured.clear()
        configured.update(original)


@pytest.fixture(scope="module")
def population(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("scenario-population")
    population_slice(source_dir=settings.EHRGYM_POPULATION_DIR, out_dir=out, patients=PATIENTS)
    return out


@pytest.fixture(scope="module")
def built(django_db_setup, django_db_blocker, tmp_path_factory, population):
    target = tmp_path_factory.mktemp("scenario-golden") / "golden.sqlite3"
    with django_db_blocker.unblock(), golden_alias_at(target):
        build = golden_build(population_dir=population, force=True)
    return build, target


@pytest.fixture
def golden(built, django_db_blocker, tmp_path):
    """This test's own copy of the golden database built with the overlay."""
    build, source = built
    copy = tmp_path / "golden.sqlite3"
    shutil.copyfile(source, copy)
    with django_db_blocker.unblock(), golden_alias_at(copy):
        yield build


@pytest.fixture
def reference_date(population) -> date:
    return date.fromisoformat(read_manifest(population)["reference_date"])


def overlay_observations():
    return Observation.objects.using(G).filter(fhir_id__startswith=ID_PREFIX).select_related("patient")


def overlay_conditions():
    return Condition.objects.using(G).filter(fhir_id__startswith=ID_PREFIX)


def scenario_of(fhir_id: str) -> str:
    name = fhir_id.removeprefix(ID_PREFIX)
    return next(s["name"] for s in scenarios_load()["scenarios"] if name.startswith(s["name"] + "-"))


def mrns_by_scenario() -> dict[str, set[str]]:
    info = golden_build_info(alias=G)["scenarios"]["scenarios"]
    return {name: set(s["mrns"]) for name, s in info.items()}


def test_the_build_adds_the_overlay_once_and_records_it(golden):
    observations, conditions = overlay_observations().count(), overlay_conditions().count()
    info = golden_build_info(alias=G)["scenarios"]

    assert golden.scenario_resources == observations + conditions == info["resources"] > 0
    assert info["file"] == str(default_path()) and info["reference_date"] == "2026-11-01"
    per = info["scenarios"]
    assert len(per["hypokalemia"]["mrns"]) == per["hypokalemia"]["Observation"] == 10
    assert len(per["hypomagnesemia"]["mrns"]) == 10 and per["hypomagnesemia"]["Observation"] == 20
    assert len(per["normal-magnesium"]["mrns"]) >= 1
    assert golden.scenario_patients == len(set().union(*mrns_by_scenario().values()))
    # Each patient's overlay is imported and audited like a bundle, under its scenario's name.
    for name, scenario in per.items():
        audited = AuditEvent.objects.using(G).filter(action="fhir.import", details__source=f"scenario:{name}")
        assert sorted(audited.values_list("patient__mrn", flat=True)) == sorted(scenario["mrns"])


def test_every_resource_is_marked_as_authored_and_valid_r4(golden, reference_date):
    plan = scenarios_plan(scenarios_load(), using=G, reference_date=reference_date)
    resources = [resource for item in plan for resource in item.resources]

    for resource in resources:
        assert resource["meta"]["tag"] == [{"system": TAG_SYSTEM, "code": TAG_CODE,
                                            "display": "EHRGym authored clinical scenario (not Synthea output)"}]
        assert resource["meta"]["source"] == f"urn:ehrgym:scenario:{scenario_of(resource['id'])}"
        assert resource["id"].startswith(ID_PREFIX) and len(resource["id"]) <= 64
        model = FhirObservation if resource["resourceType"] == "Observation" else FhirCondition
        model(resource, strict=True)  # raises on anything R4 does not allow
    # The chart holds exactly these, and no Synthea resource looks like one of them.
    in_chart = set(overlay_observations().values_list("fhir_id", flat=True)) | set(
        overlay_conditions().values_list("fhir_id", flat=True))
    assert in_chart == {resource["id"] for resource in resources}


def test_results_have_real_codes_units_and_the_flags_the_importer_gives_labs(golden):
    rows = list(overlay_observations())
    assert {row.loinc for row in rows} == set(LABS)
    for row in rows:
        sex = row.patient.sex
        assert (row.display, row.unit) == LABS[row.loinc]
        assert (row.category, row.status, row.panel_code, row.recorded_by) == ("laboratory", "final", "", "")
        assert (row.ref_low, row.ref_high) == reference_range(row.loinc, sex=sex, unit=row.unit)
        assert row.flag == flag_for(row.loinc, row.value_num, sex=sex, unit=row.unit)

    by_scenario: dict[str, list] = {}
    for row in rows:
        by_scenario.setdefault(scenario_of(row.fhir_id), []).append(row)
    assert all(3.1 <= r.value_num <= 3.4 and r.flag == "L" for r in by_scenario["hypokalemia"])
    assert all(2.0 <= r.value_num <= 2.2 and r.flag == "" for r in by_scenario["normal-magnesium"])
    # The In Basket's critical values and abnormal A1c (inbasket tasks).
    assert all(2.2 <= r.value_num <= 2.4 and r.flag == "LL" for r in by_scenario.get("critical-hypokalemia", []))
    assert all(7.4 <= r.value_num <= 9.2 and r.flag == "H" for r in by_scenario.get("uncontrolled-a1c", []))
    low_mg = [r for r in by_scenario["hypomagnesemia"] if r.fhir_id.endswith("-2")]
    assert {r.flag for r in low_mg} <= {"L", "LL"} and any(r.flag == "LL" for r in low_mg)
    assert min(r.value_num for r in low_mg) < 1.0 and max(r.value_num for r in low_mg) < 1.7


def test_patients_are_living_adults_chosen_the_same_way_every_time(golden, reference_date):
    chosen = mrns_by_scenario()
    patients = {p.mrn: p for p in Patient.objects.using(G).all()}
    assert any(p.age_on(reference_date) < 18 for p in patients.values()), "the slice should hold children"

    spec = scenarios_load()
    for scenario in spec["scenarios"]:
        # Adults (40 and over for kidney function) from the first draw on, when the chart flags as adult.
        minimum = 40 if scenario["name"] == "kidney-function" else 18
        first = reference_date - timedelta(days=max(draw["days_before"] for draw in scenario["draws"]))
        mrns = chosen[scenario["name"]]
        assert all(patients[m].age_on(first) >= minimum and patients[m].deceased_at is None for m in mrns)
    assert not chosen["hypomagnesemia"] & chosen["normal-magnesium"]
    assert not chosen["kidney-function"] & (chosen["hypokalemia"] | chosen["hypomagnesemia"])

    first = scenarios_plan(spec, using=G, reference_date=reference_date)
    again = scenarios_plan(spec, using=G, reference_date=reference_date)
    assert [(i.scenario, i.patient.mrn, i.resources) for i in first] == [
        (i.scenario, i.patient.mrn, i.resources) for i in again]
    assert {(i.scenario, i.patient.mrn) for i in first} == {(n, m) for n, ms in chosen.items() for m in ms}


def test_the_low_results_are_each_patients_newest_and_recent(golden, reference_date):
    midnight = datetime.combine(reference_date, time(), tzinfo=ZoneInfo(settings.TIME_ZONE))
    chosen = mrns_by_scenario()
    for name, loincs, newest_below in (("hypokalemia", ["2823-3", "6298-4"], 3.5),
                                       ("hypomagnesemia", ["19123-9"], 1.7),
                                       ("normal-magnesium", ["19123-9"], None)):
        for mrn in chosen[name]:
            results = Observation.objects.using(G).filter(patient__mrn=mrn, loinc__in=loincs).exclude(
                value_num=None).order_by("-effective_at")
            newest = results.first()
            assert newest.fhir_id.startswith(f"{ID_PREFIX}{name}-"), (name, mrn)
            assert midnight - timedelta(hours=48) < newest.effective_at < midnight
            if newest_below is not None:
                assert newest.value_num < newest_below


def test_applying_it_again_changes_nothing(golden, reference_date):
    def snapshot():
        observations = sorted(overlay_observations().values_list("fhir_id", "value_num", "flag", "effective_at"))
        conditions = sorted(overlay_conditions().values_list("fhir_id", "code", "onset"))
        return observations, conditions, Observation.objects.using(G).count(), Condition.objects.using(G).count()

    before = snapshot()
    again = scenarios_apply(using=G, reference_date=reference_date)

    assert snapshot() == before
    assert again.resources == golden.scenario_resources
    assert {name: set(s["mrns"]) for name, s in again.scenarios.items()} == mrns_by_scenario()


def _kidney_only_spec(tmp_path: Path, slots: list[list[int]]) -> Path:
    spec = json.loads(default_path().read_text())
    kidney = next(s for s in spec["scenarios"] if s["name"] == "kidney-function")
    kidney.update(name="kidney-check", patients=len(slots), slots=[{"egfr": pair} for pair in slots])
    kidney["eligible"]["age_min"] = 18
    spec["scenarios"] = [kidney]
    path = tmp_path / "kidney.json"
    path.write_text(json.dumps(spec))
    return path


def test_kidney_function_gives_mdrd_egfrs_and_a_ckd_stage_only_when_chronic(golden, reference_date, tmp_path):
    applied = scenarios_apply(using=G, reference_date=reference_date,
                              path=_kidney_only_spec(tmp_path, [[45, 40], [25, 22], [62, 55]]))
    mrns = applied.scenarios["kidney-check"]["mrns"]
    assert len(mrns) == 3

    for mrn, expected in zip(mrns, ["433144002", "431857002", None], strict=True):
        patient = Patient.objects.using(G).get(mrn=mrn)
        ours = Observation.objects.using(G).filter(patient=patient, fhir_id__startswith=f"{ID_PREFIX}kidney-check-")
        draws = {}
        for row in ours:
            draws.setdefault(row.effective_at, {})[row.loinc] = row.value_num
        assert len(draws) == 2
        for at, values in draws.items():
            age = patient.age_on(at.date())
            assert values["33914-3"] == round(mdrd_egfr(values["2160-0"], age=age, sex=patient.sex))
        problems = Condition.objects.using(G).filter(patient=patient, fhir_id__startswith=f"{ID_PREFIX}kidney-check-")
        assert list(problems.values_list("code", flat=True)) == ([expected] if expected else [])
        if expected:
            problem = problems.get()
            assert (problem.clinical_status, problem.category) == ("active", "problem-list-item")
            assert problem.onset == min(draws) and problem.recorded_at == max(draws)
            assert expected in {c.code for c in selectors.problems_active(patient)}


@pytest.mark.parametrize(("change", "message"), [
    (lambda s: s["scenarios"][1]["lab"].update(unit="mEq/dL"), "has no reference range"),
    (lambda s: s["scenarios"][1].update(kind="vitals"), "kind must be one of"),
    (lambda s: s["scenarios"][1].update(not_with=["normal-magnesium"]), "not_with names no earlier scenario"),
    (lambda s: s["scenarios"][2]["slots"][0].update(values=[2.0]), "every slot gives one values per draw"),
    (lambda s: s.update(format="other/1"), "format is not"),
    (lambda s: s["scenarios"][1]["eligible"].update(age_max=60), "unknown eligibility rule"),
])
def test_it_refuses_a_scenario_file_it_cannot_chart_like_imported_labs(tmp_path, change, message):
    spec = json.loads(default_path().read_text())
    change(spec)
    path = tmp_path / "scenarios.json"
    path.write_text(json.dumps(spec))

    with pytest.raises(ScenarioError, match=message):
        scenarios_load(path)


def test_build_golden_says_how_many_scenario_resources_it_added(built, population, django_db_blocker, tmp_path,
                                                                settings):
    settings.EHRGYM_POPULATION_DIR = population
    build, _ = built
    with django_db_blocker.unblock(), golden_alias_at(tmp_path / "golden.sqlite3"):
        out = StringIO()
        call_command("build_golden", "--no-scenarios", stdout=out, verbosity=1)
        assert "(no scenario overlay)" in out.getvalue() and not overlay_observations().exists()
        assert golden_build_info(alias=G)["scenarios"] == {"applied": False}

        out = StringIO()
        call_command("build_golden", "--force", stdout=out, verbosity=1)
        summary = f"+ {build.scenario_resources} authored scenario resources on {build.scenario_patients} patients"
        assert f"{PATIENTS} patients" in out.getvalue() and summary in out.getvalue()
        assert f"Added {build.scenario_resources} authored scenario resources (not Synthea output)" in out.getvalue()
        assert overlay_observations().count() + overlay_conditions().count() == build.scenario_resources
