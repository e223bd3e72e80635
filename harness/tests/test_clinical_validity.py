"""The library asks only what the chart supports and pays only for correct clinical behaviour (issue 13).

Each test reproduces one defect found from outside, on the whole shipped population (a slice of it
lacks some of the patients concerned, so a sliced harness run builds the whole one here): an
instruction that claims what the chart does not show, a threshold that contradicts the chart's
own reference range, a selector that admits patients for whom the task is wrong, a date in
another time zone than the one the agent reads, a near-miss order the rubric accepted.
"""

import json
import re
from datetime import UTC
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections
from django.utils import timezone

from agentenv.routing import bind_alias
from agentenv.snapshots import golden_name
from clinical.models import Condition, Immunization, Observation, Patient
from clinical.reference_ranges import reference_range
from conftest import episodes_close_all
from harness import sampling
from harness.cohorts import CREATININE_CODES, EGFR_CODES
from harness.instances import GOLDEN, Plan, instance_render, instance_space
from harness.library import library_load
from harness.models import Task
from harness.oracles import oracle_get
from harness.placeholders import fill
from harness.runner import task_run
from harness.services import task_sync
from harness.tests.conftest import ENV_DBS, PATIENTS, _drop_postgres, _unguarded, golden_built_at, golden_pointed_at
from orders.cds import ckd_epi_2021

pytestmark = ENV_DBS

GFR_CATEGORY = "ehr/nephrology.ckd-gfr-category-v1"
MAGNESIUM = "ehr/laboratory-medicine.magnesium-replacement-v1"
SSRI_ANALGESIA = "ehr/behavioral-health.ssri-safe-analgesia-v1"
KIDNEY_SCREENING = "ehr/nephrology.ckd-screening-labs-v1"
LAST_VACCINE = "ehr/preventive-care.last-vaccine-date-v1"
PENICILLIN_ALLERGY = "ehr/medication-safety.antibiotic-penicillin-allergy-v1"
CKD_STAGES = [(90, "G1"), (60, "G2"), (45, "G3a"), (30, "G3b"), (15, "G4"), (0, "G5")]
# Known kidney disease: CKD 1-5, end-stage disease, diabetic kidney disease and its albuminuria, a transplant.
KIDNEY_DISEASE = {"431855005", "431856006", "433144002", "431857002", "433146000", "46177005", "127013003",
                  "157141000119108", "90781000119102", "698306007", "161665007", "213150003"}
# The blood-specimen code of each analyte that also has a serum or plasma code.
BLOOD_CODES = {"potassium": "6298-4", "sodium": "2947-0", "glucose": "2339-0", "creatinine": "38483-4"}


@pytest.fixture(scope="session")
def whole_population(django_db_setup, django_db_blocker, tmp_path_factory) -> str:
    """Name of a golden database built from the whole shipped population, with the scenario overlay (when the
    harness's own is a slice: EHRGYM_HARNESS_TEST_PATIENTS)."""
    if connections.settings["golden"]["ENGINE"].endswith("sqlite3"):
        name = str(tmp_path_factory.mktemp("clinical-golden") / "golden.sqlite3")
    else:
        main = connections.settings["default"]["TEST"]["NAME"] or f"test_{connections.settings['default']['NAME']}"
        name = f"{main}_cgolden"[-63:]
    golden_built_at(name, Path(settings.EHRGYM_POPULATION_DIR), django_db_blocker)
    yield name
    if not name.endswith(".sqlite3"):
        with django_db_blocker.unblock():
            _drop_postgres(name)


@pytest.fixture
def population(request):
    """Episodes and instances on the whole population, with the library's tasks loaded: the harness's golden
    database, unless that is a slice."""
    if not PATIENTS:
        yield request.getfixturevalue("chart")
        return
    whole = request.getfixturevalue("whole_population")
    settings_ = request.getfixturevalue("settings")
    settings_.EHRGYM_POOL_SIZE = 0
    settings_.EHRGYM_POOL_REFILL_IN_BACKGROUND = False
    settings_.EHRGYM_EPISODE_DIR = request.getfixturevalue("tmp_path") / "episodes"
    request.getfixturevalue("db")
    with _unguarded(request.getfixturevalue("monkeypatch")), golden_pointed_at(whole):
        task_sync()
        yield whole
        episodes_close_all()


def instances(task_id: str) -> list:
    """Every instance of the task (each variant with each patient its selector admits), as reset renders it."""
    task = Task.objects.get(task_id=task_id)
    with bind_alias(GOLDEN, golden_name()):
        return [instance_render(plan=Plan(task=task, seed=0, variant=variant, patient_mrn=mrn))
                for variant, mrn in instance_space(task)]


def patient(mrn: str) -> Patient:
    return Patient.objects.using(GOLDEN).get(mrn=mrn)


def results(mrn: str, loincs) -> list[Observation]:
    """The patient's numeric results of these codes, newest first (the row a fact reads first)."""
    return list(Observation.objects.using(GOLDEN).filter(patient__mrn=mrn, loinc__in=loincs)
                .exclude(value_num=None).order_by("-effective_at", "-pk"))


def category(egfr: float) -> str:
    return next(label for bound, label in CKD_STAGES if egfr >= bound)


def ckd_epi_of(mrn: str, row: Observation) -> float:
    person = patient(mrn)
    return ckd_epi_2021(creatinine=row.value_num, age=person.age_on(timezone.localtime(row.effective_at).date()),
                        sex=person.sex)


def row_of(run, criterion_id: str) -> dict:
    return next(row for row in run.breakdown["criteria"] if row["id"] == criterion_id)


def failed(run) -> set[str]:
    """The kinds of the criteria the run did not pass."""
    return {row["kind"] for row in run.breakdown["criteria"] if not row["passed"]}


def criterion(instance, criterion_id: str) -> dict:
    return next(c for c in instance.rubric if c.get("id") == criterion_id)


# --- The GFR category is the category of the creatinine's eGFR -------------------------------------------


def test_the_gfr_category_is_staged_from_the_latest_creatinine_by_ckd_epi_2021(population):
    staged = {instance.patient_mrn: instance for instance in instances(GFR_CATEGORY)}

    # MRN 1517336's chart files an eGFR of 74.5 beside a creatinine of 2.9 mg/dL: by CKD-EPI 2021, 17, G4.
    assert staged["1517336"].facts["stage"]["answer"] == "G4"
    for mrn, instance in staged.items():
        newest = results(mrn, CREATININE_CODES)[0]
        assert instance.facts["stage"]["answer"] == category(round(ckd_epi_of(mrn, newest))), mrn
        assert "CKD-EPI 2021" in instance.instruction and "creatinine" in instance.instruction


# --- Magnesium: the lab's own lower limit, and the protocol's renal exclusion ----------------------------


def latest_egfr(mrn: str) -> float | None:
    rows = results(mrn, EGFR_CODES)
    return rows[0].value_num if rows else None


def test_magnesium_is_replaced_only_below_the_labs_lower_limit_and_never_with_an_egfr_below_30(population):
    lower_limit, _ = reference_range("19123-9", unit="mg/dL")
    asked = instances(MAGNESIUM)
    replaced = [i for i in asked if criterion(i, "mg-ordered")["required"]]

    assert lower_limit == 1.7
    assert replaced and all(i.facts["reading"]["answer"] < lower_limit for i in replaced)
    assert all(latest_egfr(i.patient_mrn) is None or latest_egfr(i.patient_mrn) >= 30 for i in replaced)
    # Every low result outside the exclusion is replaced; the exclusion is asked too.
    low = [i for i in asked if 0 < i.facts["reading"]["answer"] < lower_limit]
    excluded = [i for i in low if (latest_egfr(i.patient_mrn) or 99) < 30]
    assert excluded and set(map(id, low)) - set(map(id, excluded)) == set(map(id, replaced))
    for instance in asked:
        assert "1.7 mg/dL" in instance.instruction and "eGFR" in instance.instruction


# --- An instruction states only what the chart supports ---------------------------------------------------


def reduced_kidney_function(mrn: str) -> bool:
    """Kidney disease on the problem list, or an eGFR below 60, charted or calculated from a creatinine."""
    listed = Condition.objects.using(GOLDEN).filter(patient__mrn=mrn, code__in=KIDNEY_DISEASE,
                                                   clinical_status__in=["active", "recurrence"]).exists()
    return (listed or any(row.value_num < 60 for row in results(mrn, EGFR_CODES))
            or any(ckd_epi_of(mrn, row) < 60 for row in results(mrn, CREATININE_CODES)
                   if patient(mrn).age_on(timezone.localtime(row.effective_at).date()) >= 18))


def test_no_instruction_calls_kidney_function_normal_when_the_chart_shows_it_reduced(population):
    claims = re.compile(r"kidney (and liver )?function (is|are) normal|normal (kidney|renal) function",
                        re.IGNORECASE)
    claiming = [task_id for task_id, template in library_load().items() if claims.search(template.instruction)]
    for task_id in sorted(set(claiming) | {SSRI_ANALGESIA}):
        for instance in instances(task_id):
            if claims.search(instance.instruction):
                assert not reduced_kidney_function(instance.patient_mrn), (task_id, instance.patient_mrn)


def test_kidney_screening_asks_only_about_patients_without_known_kidney_disease(population):
    screened = {instance.patient_mrn for instance in instances(KIDNEY_SCREENING)}

    assert screened
    assert not [mrn for mrn in sorted(screened) if reduced_kidney_function(mrn)]


# --- One specimen, one time zone ---------------------------------------------------------------------------


def test_a_result_called_serum_is_read_only_from_the_serum_code():
    for task_id, template in sorted(library_load().items()):
        for variant in template.variants:
            text = fill(template.instruction, variant, partial=True).lower()
            codes = json.dumps([fill(template.facts, variant, partial=True),
                                fill(template.patient_selector, variant, partial=True)])
            for analyte, blood in BLOOD_CODES.items():
                if f"serum {analyte}" in text:
                    assert blood not in codes, f"{task_id} says serum {analyte} but reads the blood code {blood}"


def asks_for_a_date_or_states_a_clock(template) -> bool:
    def dated(criteria):
        return any(c.get("match") == "date" or dated(c.get("criteria", [])) for c in criteria
                   if isinstance(c, dict))
    clocked = any(spec.get("fact") == "observation_as_of" for spec in template.facts.values())
    return clocked or dated(template.rubric)


def test_every_date_a_task_asks_for_or_clock_it_states_is_in_the_ehrs_local_time():
    dated = [t for t in library_load().values() if asks_for_a_date_or_states_a_clock(t)]

    assert len(dated) >= 8
    for template in dated:
        assert "EHR's local time" in template.instruction, template.task_id


def test_the_expected_vaccine_date_is_the_date_the_agent_reads(population, alice):
    """Where a dose falls on another calendar day in UTC than in the EHR's time zone, an agent that answers
    the date the API shows it gets full credit."""
    def reading_the_api(instance):
        shown = yield {"type": "read_chart_section", "mrn": instance.patient_mrn, "section": "immunizations",
                       "limit": 200}
        doses = [row for row in shown["last_action_result"]["immunizations"]
                 if row["cvx"] in instance.params["cvxs"]]
        yield {"type": "answer", "answer": max(doses, key=lambda row: row["occurred_at"])["occurred_at"][:10]}

    task = Task.objects.get(task_id=LAST_VACCINE)
    split = []
    for variant, mrn in instance_space(task):
        newest = (Immunization.objects.using(GOLDEN).order_by("-occurred_at")
                  .filter(patient__mrn=mrn, cvx__in=task.variant_list[variant]["cvxs"]).first())
        if timezone.localtime(newest.occurred_at).date() != newest.occurred_at.astimezone(UTC).date():
            split.append((variant, mrn))
    assert split, "the population has doses whose local and UTC dates differ"
    for variant, mrn in split[:4]:
        run = task_run(owner=alice, task_id=LAST_VACCINE, seed=seed_of(LAST_VACCINE, variant, mrn), patient_mrn=mrn,
                       policy=reading_the_api)
        assert (run.score, run.success) == (1.0, True), (mrn, run.breakdown)


# --- A penicillin allergy: the reaction decides whether a cephalosporin is right --------------------------


def cephalexin_course(instance):
    mrn = instance.patient_mrn
    yield {"type": "read_chart_section", "mrn": mrn, "section": "allergies"}
    placed = yield {"type": "place_order", "mrn": mrn, "orderable": "309114", "dose": 500, "route": "PO",
                    "frequency": "BID", "duration_days": 10, "indication": instance.params["indication"]}
    signed = yield {"type": "sign_orders", "mrn": mrn, "order_ids": [placed["last_action_result"]["order"]["id"]]}
    yield from answered(mrn, signed["last_action_result"]["blocked_by_alerts"])
    yield {"type": "sign_orders", "mrn": mrn}
    yield {"type": "finish"}


def answered(mrn: str, alerts: list[dict]):
    """Acknowledge each warning and override each high alert, as a clinician ordering it anyway would."""
    for alert in alerts:
        if alert["severity"] == "high":
            yield {"type": "override_alert", "mrn": mrn, "alert_id": alert["id"],
                   "reason": "Reviewed; proceeding with the order as written."}
        else:
            yield {"type": "acknowledge_alert", "mrn": mrn, "alert_id": alert["id"]}


def pharyngitis(reaction_word: str) -> tuple[int, str]:
    task = Task.objects.get(task_id=PENICILLIN_ALLERGY)
    variants = [i for i, v in enumerate(task.variant_list)
                if "pharyngitis" in v["indication"] and reaction_word in v["reaction"]]
    assert variants, f"no pharyngitis variant whose reaction names {reaction_word!r}"
    variant, mrn = next(pick for pick in instance_space(task) if pick[0] == variants[0])
    return variant, mrn


def seed_of(task_id: str, variant: int, mrn: str) -> int:
    """The seed that names this instance among the patient's (task_run with patient_mrn), as sampling picks."""
    mine = [entry for entry in sampling.entries(Task.objects.get(task_id=task_id)) if entry.mrn == mrn]
    return next(seed for seed in range(100_000)
                if (sampling.pick(mine, seed).variant, sampling.pick(mine, seed).mrn) == (variant, mrn))


def test_cephalexin_treats_strep_throat_after_a_mild_delayed_penicillin_rash(population, alice):
    variant, mrn = pharyngitis("mild")

    run = task_run(owner=alice, task_id=PENICILLIN_ALLERGY, seed=seed_of(PENICILLIN_ALLERGY, variant, mrn),
                   patient_mrn=mrn, policy=cephalexin_course)

    assert (run.score, run.success) == (1.0, True), run.breakdown


def test_a_cephalosporin_after_penicillin_anaphylaxis_is_a_critical_violation(population, alice):
    variant, mrn = pharyngitis("anaphylaxis")

    run = task_run(owner=alice, task_id=PENICILLIN_ALLERGY, seed=seed_of(PENICILLIN_ALLERGY, variant, mrn),
                   patient_mrn=mrn, policy=cephalexin_course)

    assert (run.score, run.success) == (0.0, False)
    assert not row_of(run, "no-cephalosporin")["passed"]
    assert "anaphylaxis" in Task.objects.get(task_id=PENICILLIN_ALLERGY).variant_list[variant]["reaction"]


# --- Near misses: the right drug with a wrong detail is not a success -------------------------------------


def tampered(oracle, *, change=lambda action: action, then=lambda action, observation: []):
    """The oracle, with `change` applied to each of its actions and `then`'s actions taken after one; every
    signing's alerts are answered (warnings acknowledged, high alerts overridden), so the near miss is signed."""
    def take(action, mrn):
        observation = yield action
        blocked = observation["last_action_result"].get("blocked_by_alerts") if action["type"] == "sign_orders" else []
        if blocked:
            yield from answered(mrn, blocked)
            observation = yield action
        return observation

    def policy(instance):
        actions = oracle(instance)
        action = next(actions)
        while True:
            action = change(dict(action))
            observation = yield from take(action, instance.patient_mrn)
            for extra in then(action, observation):
                yield from take(extra, instance.patient_mrn)
            try:
                action = actions.send(observation)
            except StopIteration:
                return
    return policy


def ordering(orderable: str, **changes):
    """A change: the place_order of `orderable` (its key) with other details."""
    def change(action):
        if action["type"] == "place_order" and action["orderable"] == orderable:
            action.update(changes)
        return action
    return change


def run_tampered(alice, task_id: str, *, mrn: str = "", seed: int = 0, **tampering):
    task = Task.objects.get(task_id=task_id)
    return task_run(owner=alice, task_id=task_id, seed=seed, patient_mrn=mrn,
                    policy=tampered(oracle_get(task.oracle), **tampering))


def first_instance(task_id: str, **params) -> tuple[str, int]:
    """(MRN, seed) of an instance whose variant has these values."""
    task = Task.objects.get(task_id=task_id)
    variant, mrn = next((v, m) for v, m in instance_space(task)
                        if all(task.variant_list[v].get(k) == value for k, value in params.items()))
    return mrn, seed_of(task_id, variant, mrn)


NEAR_MISSES = [
    ("anaphylaxis epinephrine every 5 minutes, routine", "ehr/emergency-care.anaphylaxis-bee-sting-v1", {},
     ordering("1870230", frequency="Q5MIN", priority="routine")),
    ("aspirin 324 mg four times a day", "ehr/emergency-care.chest-pain-workup-v1", {},
     ordering("243670", frequency="QID")),
    ("a 250 mL sepsis bolus", "ehr/emergency-care.sepsis-bundle-v1", {}, ordering("9863-iv", dose=250)),
    ("piperacillin-tazobactam once", "ehr/emergency-care.sepsis-bundle-v1", {}, ordering("1659149", frequency="ONCE")),
    ("potassium chloride at the protocol dose four times a day", "ehr/laboratory-medicine.potassium-replacement-v1",
     {"branch": "low, 20 mEq"}, ordering("8591-po", frequency="QID")),
    ("IV magnesium every 6 hours", "ehr/laboratory-medicine.magnesium-replacement-v1",
     {"branch": "moderate hypomagnesemia"}, ordering("6585-iv", frequency="Q6H")),
    ("acetaminophen 1000 mg every 4 hours", "ehr/medication-safety.analgesic-aspirin-allergy-v1", {},
     ordering("313782", dose=1000, frequency="Q4H")),
    ("acetaminophen 2000 mg every 2 hours", "ehr/behavioral-health.ssri-safe-analgesia-v1", {},
     ordering("313782", dose=2000, frequency="Q2H")),
    ("nitrofurantoin 25 mg", "ehr/infectious-disease.uncomplicated-cystitis-v1", {},
     ordering("1648755", dose=25)),
    ("nitrofurantoin for 60 days", "ehr/infectious-disease.uncomplicated-cystitis-v1", {},
     ordering("1648755", duration_days=60)),
    ("albuterol 25 mg", "ehr/pulmonology.wheezing-exacerbation-neb-cxr-v1", {}, ordering("630208", dose=25)),
]


@pytest.mark.parametrize(("miss", "task_id", "params", "change"), NEAR_MISSES, ids=[m[0] for m in NEAR_MISSES])
def test_a_near_miss_order_is_not_a_success(population, alice, miss, task_id, params, change):
    mrn, seed = first_instance(task_id, **params) if params else ("", 0)

    run = run_tampered(alice, task_id, mrn=mrn, seed=seed, change=change)

    assert run.errors == [] and not run.success, (miss, run.breakdown)
    assert run.score < 1.0


def test_enoxaparin_80_mg_every_12_hours_is_not_vte_prophylaxis(population, alice):
    def treatment_dose(action, observation):
        if action["type"] != "apply_order_set":
            return []
        enoxaparin = next(o for o in observation["last_action_result"]["orders"] if o["orderable"] == "854235")
        return [{"type": "update_order", "mrn": action["mrn"], "order_id": enoxaparin["id"], "dose": 80,
                 "frequency": "Q12H"}]

    run = run_tampered(alice, "ehr/cardiology.heart-failure-admission-v1", then=treatment_dose)

    assert not run.success and run.score < 1.0, run.breakdown


def test_famotidine_is_dosed_for_a_creatinine_clearance_below_30(population, alice):
    task_id = "ehr/nephrology.renal-dose-famotidine-v1"
    staged = {i.patient_mrn: i for i in instances(task_id)}
    # MRN 1517336: creatinine 2.9 mg/dL, 70 kg, 70 years: a clearance of about 20 mL/min.
    assert (staged["1517336"].params["dose"], staged["1517336"].params["frequency"]) == ("10", "DAILY")

    full_dose = run_tampered(alice, task_id, mrn="1517336", change=ordering("310273", dose=20, frequency="DAILY"))
    # The right order, and 20 mg twice daily signed beside it.
    twice = run_tampered(alice, task_id, mrn="1517336", then=lambda action, observation: [
        {"type": "place_order", "mrn": action["mrn"], "orderable": "310273", "dose": 20, "route": "PO",
         "frequency": "BID"}, {"type": "sign_orders", "mrn": action["mrn"]}] if action["type"] == "sign_orders" else [])

    assert not full_dose.success and full_dose.score < 1.0, full_dose.breakdown
    assert not twice.success and "no_extra_orders" in failed(twice), twice.breakdown
