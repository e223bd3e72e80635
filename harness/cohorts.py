"""Patient selectors: which patients of a database a task can be asked about.

A selector is declarative JSON, validated here (an unknown key is an error with its
name, not ignored), and evaluated on the database it is given (the golden database when
instances are sampled and counted): mostly as one query with EXISTS subqueries; the keys
that need a calculation (a draw's value, kidney function) filter that query's patients in
Python.

    {"age_min": 18, "sex": "female", "has_condition_codes": ["59621000"],
     "has_lab_loinc": "2823-3", "has_allergy_class": "penicillin"}

Values may be variant placeholders ("has_lab_loinc": "{loincs}"), filled before the
selector is evaluated, so each variant has its own eligible patients.
"""

from datetime import date, datetime, time, timedelta
from typing import Literal

from django.db.models import Exists, QuerySet
from django.utils import timezone
from pydantic import BaseModel, ConfigDict, Field, field_validator

from clinical import cohort_selectors as chart
from clinical.models import Patient
from inbasket.selectors import notification_exists
from orders.cds import ckd_epi_2021
from orders.cds_rules_allergy_interaction import ALLERGENS
from orders.selectors import orderable_codes_of_classes

ALLERGEN_KEYS = {allergen.key: allergen for allergen in ALLERGENS}
# The chart's eGFR and creatinine codes, as decision support reads them (orders/selectors.py).
EGFR_CODES = ("33914-3", "62238-1", "98979-8", "48642-3", "48643-1")
CREATININE_CODES = ("2160-0", "38483-4")


def _as_list(value):
    if value is None:
        return None
    return [value] if isinstance(value, str) else value


class ObservationRule(BaseModel):
    """Patients with results of any of these LOINC codes (optionally: enough of them, a latest value in
    range or flagged, a result below a value)."""

    model_config = ConfigDict(extra="forbid")

    loincs: list[str] = Field(min_length=1, description="LOINC codes that count as the same test.")
    min_count: int = Field(1, ge=1, description="At least this many results.")
    numeric: bool = Field(False, description="Count only results with a numeric value.")
    latest_min: float | None = Field(None, description="The most recent result is at least this.")
    latest_max: float | None = Field(None, description="The most recent result is at most this.")
    latest_below: float | None = Field(None, description="The most recent result is below this.")
    latest_flags: list[str] | None = Field(
        None, description="The most recent numeric result carries one of these flags (H, HH, L, LL: the "
                          "chart's own reference range)."
    )
    any_below: float | None = Field(None, description="At least one numeric result is below this.")

    _list = field_validator("loincs", "latest_flags", mode="before")(_as_list)


class RecentImmunizationRule(BaseModel):
    """Patients with no dose of a vaccine (any of these CVX codes) in the last `years` years."""

    model_config = ConfigDict(extra="forbid")

    cvxs: list[str] = Field(min_length=1, description="CVX codes that count as the same vaccine.")
    years: int = Field(ge=1, le=100, description="How many years back a dose counts as recent.")

    _list = field_validator("cvxs", mode="before")(_as_list)


class DrawRule(BaseModel):
    """Patients whose nth newest draw of a test (0 = newest) has a value in [value_min, value_below) and
    no newer draw within clear_hours after it (so that draw is the latest one clear_hours later)."""

    model_config = ConfigDict(extra="forbid")

    loincs: list[str] = Field(min_length=1, description="LOINC codes that count as the same test.")
    nth: int = Field(0, ge=0, description="Which draw: 0 = the newest.")
    value_min: float | None = Field(None, description="The draw's value is at least this.")
    value_below: float | None = Field(None, description="The draw's value is below this.")
    clear_hours: float = Field(0, ge=0, description="No newer draw within this many hours after it.")
    single_value: bool = Field(
        False, description="The draw holds one value: a draw filed under two codes with two different values "
                           "(which one is the result?) does not count."
    )

    _list = field_validator("loincs", mode="before")(_as_list)


class ResultAgeRule(BaseModel):
    """Patients whose latest numeric result of a test is between min_days and max_days old (today)."""

    model_config = ConfigDict(extra="forbid")

    loincs: list[str] = Field(min_length=1, description="LOINC codes that count as the same test.")
    min_days: int | None = Field(None, ge=0, description="The latest result is more than this many days old.")
    max_days: int | None = Field(None, ge=0, description="The latest result is at most this many days old.")

    _list = field_validator("loincs", mode="before")(_as_list)


class KidneyFunctionRule(BaseModel):
    """Patients by the kidney function order decision support reads (orders.selectors.patient_renal_function:
    the latest eGFR, or one calculated from a newer creatinine; Cockcroft–Gault CrCl from the latest
    creatinine and weight)."""

    model_config = ConfigDict(extra="forbid")

    measure: Literal["egfr", "crcl"] = Field(description="eGFR (mL/min/1.73 m²) or CrCl (mL/min).")
    min: float | None = Field(None, description="The measure is at least this.")
    below: float | None = Field(None, description="The measure is below this.")
    unknown: Literal["include", "exclude"] = Field(
        "exclude", description="Patients whose measure cannot be read (no result, no weight for CrCl): "
                               "decision support then applies no renal rule."
    )
    away_from: list[float] = Field(
        default_factory=list, description="Thresholds the measure must not lie within `margin` of (where a "
                                          "rounding in the agent's own calculation would change the answer)."
    )
    margin: float = Field(1.0, ge=0, description="How close to a threshold is too close.")


class ReducedEgfrRule(BaseModel):
    """Patients without a sign of reduced kidney function: no eGFR below `below` on the chart, and no
    creatinine whose CKD-EPI 2021 eGFR (age on the day of the draw) is below it."""

    model_config = ConfigDict(extra="forbid")

    below: float = Field(gt=0, description="mL/min/1.73 m².")


class NotificationRule(BaseModel):
    """Patients with a result notification in the In Basket of these kinds, statuses and analytes."""

    model_config = ConfigDict(extra="forbid")

    kinds: list[Literal["critical", "abnormal", "normal"]] | None = Field(None, description="Any of these kinds.")
    statuses: list[Literal["new", "routed", "acknowledged"]] | None = Field(
        ["new"], description="Any of these statuses (default: new).")
    loincs: list[str] | None = Field(None, description="Results of any of these LOINC codes.")

    _list = field_validator("kinds", "statuses", "loincs", mode="before")(_as_list)


class Selector(BaseModel):
    """Every key narrows the cohort; a missing key does not."""

    model_config = ConfigDict(extra="forbid")

    age_min: int | None = Field(None, ge=0, le=130, description="Age in years today, at least.")
    age_max: int | None = Field(None, ge=0, le=130, description="Age in years today, at most.")
    sex: str | None = Field(None, description="male, female, other or unknown.")
    code_status: str | None = Field(None, description="full, dnr, dnr_dni or comfort.")
    mrn_in: list[str] | None = Field(None, description="Only these patients.")
    has_condition_codes: list[str] | None = Field(None, description="An active problem with any of these SNOMED codes.")
    lacks_condition_codes: list[str] | None = Field(None, description="No active problem with any of these codes.")
    has_lab_loinc: list[str] | None = Field(None, description="A result of any of these LOINC codes.")
    has_observation: ObservationRule | None = Field(None, description="Results matching a rule (count, latest value).")
    lacks_observation: ObservationRule | None = Field(
        None, description="No results matching a rule (e.g. a latest eGFR below 30, any eGFR below 60)."
    )
    has_allergy_class: str | None = Field(
        None, description=f"An active allergy of a class: {', '.join(ALLERGEN_KEYS)}."
    )
    lacks_allergy_class: str | None = Field(None, description="No active allergy of this class.")
    lacks_allergy_substance: list[str] | None = Field(
        None, description="No active allergy whose substance contains any of these words."
    )
    has_medication_rxnorm: list[str] | None = Field(
        None, description="An active medication with any of these RxNorm codes."
    )
    lacks_medication_rxnorm: list[str] | None = Field(None, description="No active medication with these codes.")
    lacks_medication_class: list[str] | None = Field(
        None, description="No active medication of these catalog drug classes (e.g. nsaid, ace-inhibitor)."
    )
    has_immunization_cvx: list[str] | None = Field(
        None, description="An immunization on record with any of these CVX codes."
    )
    lacks_recent_immunization: RecentImmunizationRule | None = Field(
        None, description="No dose of these CVX codes in the last N years (a booster is due)."
    )
    observation_draw: DrawRule | None = Field(None, description="The nth draw of a test in a value range.")
    latest_result_age: ResultAgeRule | None = Field(None, description="How old the latest result of a test is.")
    kidney_function: KidneyFunctionRule | None = Field(
        None, description="Kidney function as decision support reads it (eGFR or CrCl) in a range."
    )
    lacks_reduced_egfr: ReducedEgfrRule | None = Field(
        None, description="No charted or creatinine-calculated eGFR below a value (kidney disease not known)."
    )
    has_notification: NotificationRule | None = Field(None, description="A result notification in the In Basket.")
    lacks_notification: NotificationRule | None = Field(None, description="No such result notification.")

    _lists = field_validator(
        "mrn_in", "has_condition_codes", "lacks_condition_codes", "has_lab_loinc", "lacks_allergy_substance",
        "has_medication_rxnorm", "lacks_medication_rxnorm", "lacks_medication_class", "has_immunization_cvx",
        mode="before",
    )(_as_list)

    @field_validator("sex")
    @classmethod
    def _sex(cls, value):
        if value is not None and value not in Patient.Sex.values:
            raise ValueError(f"must be one of {', '.join(Patient.Sex.values)}")
        return value

    @field_validator("code_status")
    @classmethod
    def _code_status(cls, value):
        if value is not None and value not in Patient.CodeStatus.values:
            raise ValueError(f"must be one of {', '.join(Patient.CodeStatus.values)}")
        return value

    @field_validator("has_allergy_class", "lacks_allergy_class")
    @classmethod
    def _allergy_class(cls, value):
        if value is not None and value not in ALLERGEN_KEYS:
            raise ValueError(f"unknown allergy class {value!r}; known: {', '.join(ALLERGEN_KEYS)}")
        return value


def selector_parse(raw: dict) -> Selector:
    """Raises pydantic.ValidationError for a selector that does not fit the schema."""
    return Selector.model_validate(raw or {})


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _allergy_of_class(key: str) -> Exists:
    allergen = ALLERGEN_KEYS[key]
    return chart.allergy_active_exists(codes=allergen.codes, words=[word.strip() for word in allergen.words])


def _draws(rows) -> dict[int, list[tuple[datetime, list[float]]]]:
    """Each patient's draws of a test, newest first: (moment, its values), a draw filed under two codes
    being one draw (rows ordered by patient, newest first)."""
    draws: dict[int, list] = {}
    for patient_id, at, value in rows:
        mine = draws.setdefault(patient_id, [])
        if mine and mine[-1][0] == at:
            mine[-1][1].append(value)
        else:
            mine.append((at, [value]))
    return draws


def _single(values: list[float]) -> bool:
    return max(values) - min(values) <= 1e-9


def _draw_patients(rule: DrawRule, using: str) -> list[int]:
    rows = chart.numeric_results_by_patient(rule.loincs, using=using)
    chosen = []
    for patient_id, mine in _draws(rows).items():
        if len(mine) <= rule.nth:
            continue
        at, values = mine[rule.nth]
        if rule.single_value and not _single(values):
            continue
        value = values[0]  # the row the facts read (newest, then highest pk)
        if rule.value_min is not None and value < rule.value_min:
            continue
        if rule.value_below is not None and value >= rule.value_below:
            continue
        if rule.nth > 0 and mine[rule.nth - 1][0] <= at + timedelta(hours=rule.clear_hours):
            continue
        chosen.append(patient_id)
    return chosen


def _result_age_patients(rule: ResultAgeRule, using: str) -> list[int]:
    latest = {}
    for patient_id, at in chart.numeric_result_moments(rule.loincs, using=using):
        latest[patient_id] = max(at, latest.get(patient_id, at))
    now = timezone.now()
    return [pid for pid, at in latest.items()
            if (rule.min_days is None or at < now - timedelta(days=rule.min_days))
            and (rule.max_days is None or at >= now - timedelta(days=rule.max_days))]


def _kidney_function_patients(rule: KidneyFunctionRule, patients: QuerySet[Patient]) -> list[int]:
    from orders.selectors import patient_renal_function

    chosen = []
    for patient in patients:
        value, _source = patient_renal_function(patient).value(rule.measure)
        if value is None:
            if rule.unknown == "include":
                chosen.append(patient.pk)
            continue
        if any(abs(value - threshold) < rule.margin for threshold in rule.away_from):
            continue
        if (rule.min is None or value >= rule.min) and (rule.below is None or value < rule.below):
            chosen.append(patient.pk)
    return chosen


def _reduced_egfr_patients(rule: ReducedEgfrRule, patients: QuerySet[Patient], using: str) -> set[int]:
    """Patients with a charted eGFR below the value, or an adult creatinine whose CKD-EPI 2021 eGFR is."""
    reduced = chart.patient_ids_with_result_below(EGFR_CODES, rule.below, using=using)
    people = {p.pk: p for p in patients}
    for patient_id, at, creatinine in chart.positive_results(people, CREATININE_CODES, using=using):
        patient = people[patient_id]
        age = patient.age_on(timezone.localtime(at).date())
        if age >= 18 and ckd_epi_2021(creatinine=creatinine, age=age, sex=patient.sex) < rule.below:
            reduced.add(patient_id)
    return reduced


def cohort(selector: Selector, *, using: str, today: date | None = None) -> QuerySet[Patient]:
    """The selector's patients in database `using`, living, ordered by MRN (a stable order to sample from)."""
    today = today or timezone.localdate()
    patients = chart.patients_living(using=using)
    if selector.age_min is not None:
        patients = patients.filter(birth_date__lte=_years_before(today, selector.age_min))
    if selector.age_max is not None:
        # Still age_max on the day before their next birthday.
        patients = patients.filter(birth_date__gt=_years_before(today, selector.age_max + 1))
    if selector.sex:
        patients = patients.filter(sex=selector.sex)
    if selector.code_status:
        patients = patients.filter(code_status=selector.code_status)
    if selector.mrn_in is not None:
        patients = patients.filter(mrn__in=selector.mrn_in)
    if selector.has_condition_codes:
        patients = patients.filter(chart.condition_active_exists(selector.has_condition_codes))
    if selector.lacks_condition_codes:
        patients = patients.exclude(chart.condition_active_exists(selector.lacks_condition_codes))
    if selector.has_lab_loinc:
        patients = patients.filter(chart.result_exists(selector.has_lab_loinc))
    if selector.has_observation:
        patients = chart.patients_with_results(patients, **selector.has_observation.model_dump())
    if selector.lacks_observation:
        lacks = selector.lacks_observation.model_dump()
        matching = chart.patients_with_results(chart.patients_all(using=using), **lacks)
        patients = patients.exclude(pk__in=list(matching.values_list("pk", flat=True)))
    if selector.has_allergy_class:
        patients = patients.filter(_allergy_of_class(selector.has_allergy_class))
    if selector.lacks_allergy_class:
        patients = patients.exclude(_allergy_of_class(selector.lacks_allergy_class))
    for word in selector.lacks_allergy_substance or ():
        patients = patients.exclude(chart.allergy_active_exists(words=[word]))
    if selector.has_medication_rxnorm:
        patients = patients.filter(chart.medication_active_exists(selector.has_medication_rxnorm))
    if selector.lacks_medication_rxnorm:
        patients = patients.exclude(chart.medication_active_exists(selector.lacks_medication_rxnorm))
    if selector.lacks_medication_class:
        codes = orderable_codes_of_classes(selector.lacks_medication_class)
        patients = patients.exclude(chart.medication_active_exists(codes))
    if selector.has_immunization_cvx:
        patients = patients.filter(chart.immunization_exists(selector.has_immunization_cvx))
    if selector.lacks_recent_immunization:
        rule = selector.lacks_recent_immunization
        since = timezone.make_aware(datetime.combine(_years_before(today, rule.years), time.min))
        patients = patients.exclude(chart.immunization_exists(rule.cvxs, since=since))
    if selector.has_notification:
        patients = patients.filter(notification_exists(**selector.has_notification.model_dump()))
    if selector.lacks_notification:
        patients = patients.exclude(notification_exists(**selector.lacks_notification.model_dump()))
    # Keys computed in Python, on the patients the query admits.
    if selector.observation_draw:
        patients = patients.filter(pk__in=_draw_patients(selector.observation_draw, using))
    if selector.latest_result_age:
        patients = patients.filter(pk__in=_result_age_patients(selector.latest_result_age, using))
    if selector.kidney_function:
        patients = patients.filter(pk__in=_kidney_function_patients(selector.kidney_function, patients))
    if selector.lacks_reduced_egfr:
        patients = patients.exclude(pk__in=_reduced_egfr_patients(selector.lacks_reduced_egfr, patients, using))
    return patients.order_by("mrn")


def cohort_mrns(selector: Selector, *, using: str) -> list[str]:
    return list(cohort(selector, using=using).values_list("mrn", flat=True))
