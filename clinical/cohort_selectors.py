"""Reads that pick patients by what their chart holds, for task patient selectors (harness.cohorts).

The EXISTS filters apply to a query of patients (they refer to its `pk`); the result rows feed the keys computed
in Python.
"""

from datetime import datetime
from functools import reduce
from operator import or_

from django.db.models import Count, Exists, FloatField, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from clinical.models import Allergy, Condition, Immunization, Medication, Observation, Patient
from clinical.selectors import ACTIVE_CONDITION_STATUSES, ACTIVE_MEDICATION_STATUSES


def patients_all(*, using: str) -> QuerySet[Patient]:
    return Patient.objects.using(using).all()


def patients_living(*, using: str) -> QuerySet[Patient]:
    return Patient.objects.using(using).filter(deceased_at__isnull=True)


def patient_mrns_all(*, using: str) -> list[str]:
    """Every MRN of the database, sorted."""
    return sorted(Patient.objects.using(using).values_list("mrn", flat=True))


def condition_active_exists(codes: list[str]) -> Exists:
    return Exists(Condition.objects.filter(
        patient=OuterRef("pk"), code__in=codes, clinical_status__in=ACTIVE_CONDITION_STATUSES
    ))


def allergy_active_exists(*, codes=None, words=()) -> Exists:
    """An active allergy with one of these codes, or whose substance contains one of these words
    (case-insensitive)."""
    terms = ([] if codes is None else [Q(code__in=codes)]) + [Q(substance__icontains=word) for word in words]
    return Exists(Allergy.objects.filter(reduce(or_, terms), patient=OuterRef("pk"), clinical_status="active"))


def medication_active_exists(rxnorm) -> Exists:
    """An active medication of one of these RxNorm codes (a list, or a query of codes)."""
    return Exists(Medication.objects.filter(patient=OuterRef("pk"), status__in=ACTIVE_MEDICATION_STATUSES,
                                            rxnorm__in=rxnorm))


def immunization_exists(cvxs: list[str], *, since: datetime | None = None) -> Exists:
    """A dose of one of these vaccines (given at `since` or later, if given)."""
    rows = Immunization.objects.filter(patient=OuterRef("pk"), cvx__in=cvxs)
    if since is not None:
        rows = rows.filter(occurred_at__gte=since)
    return Exists(rows)


def result_exists(loincs: list[str]) -> Exists:
    return Exists(Observation.objects.filter(patient=OuterRef("pk"), loinc__in=loincs))


def patients_with_results(patients: QuerySet[Patient], *, loincs: list[str], min_count: int = 1,
                          numeric: bool = False, latest_min: float | None = None, latest_max: float | None = None,
                          latest_below: float | None = None, latest_flags: list[str] | None = None,
                          any_below: float | None = None) -> QuerySet[Patient]:
    """The patients with at least `min_count` results of these codes (numeric ones only, if `numeric`), whose
    latest numeric result is in range and flagged as given, and with a numeric result below `any_below`."""
    rows = Observation.objects.filter(patient=OuterRef("pk"), loinc__in=loincs)
    if numeric:
        rows = rows.exclude(value_num=None)
    counted = rows.order_by().values("patient").annotate(n=Count("pk")).values("n")
    patients = patients.annotate(_results=Coalesce(Subquery(counted, output_field=IntegerField()), 0))
    patients = patients.filter(_results__gte=min_count)
    # The latest numeric result, as the latest_observation fact reads it.
    latest = rows.exclude(value_num=None).order_by("-effective_at", "-pk")
    if latest_min is not None or latest_max is not None or latest_below is not None:
        patients = patients.annotate(_latest=Subquery(latest.values("value_num")[:1], output_field=FloatField()))
        if latest_min is not None:
            patients = patients.filter(_latest__gte=latest_min)
        if latest_max is not None:
            patients = patients.filter(_latest__lte=latest_max)
        if latest_below is not None:
            patients = patients.filter(_latest__lt=latest_below)
    if latest_flags:
        patients = patients.annotate(_latest_flag=Subquery(latest.values("flag")[:1]))
        patients = patients.filter(_latest_flag__in=latest_flags)
    if any_below is not None:
        patients = patients.filter(Exists(rows.exclude(value_num=None).filter(value_num__lt=any_below)))
    return patients


def numeric_results_by_patient(loincs: list[str], *, using: str) -> QuerySet:
    """(patient id, moment, value) of every numeric result of these codes, by patient, newest first."""
    return (Observation.objects.using(using).filter(loinc__in=loincs).exclude(value_num=None)
            .order_by("patient_id", "-effective_at", "-pk").values_list("patient_id", "effective_at", "value_num"))


def numeric_result_moments(loincs: list[str], *, using: str) -> QuerySet:
    """(patient id, moment) of every numeric result of these codes."""
    return (Observation.objects.using(using).filter(loinc__in=loincs).exclude(value_num=None)
            .values_list("patient_id", "effective_at"))


def patient_ids_with_result_below(loincs: list[str], below: float, *, using: str) -> set[int]:
    return set(Observation.objects.using(using).filter(loinc__in=loincs, value_num__lt=below)
               .values_list("patient_id", flat=True))


def positive_results(patient_ids, loincs: list[str], *, using: str) -> QuerySet:
    """(patient id, moment, value) of these patients' results of these codes above 0."""
    return (Observation.objects.using(using).filter(patient_id__in=patient_ids, loinc__in=loincs, value_num__gt=0)
            .values_list("patient_id", "effective_at", "value_num"))
