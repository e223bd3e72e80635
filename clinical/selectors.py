"""Reads of the chart for the clinician UI (and, later, semantic actions).

Every function here returns plain querysets, model instances or small dataclasses and
does a bounded number of queries whatever the size of the chart: counts are annotated
with subqueries, "latest per analyte" uses window functions, and related rows are
fetched with select_related.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db.models import Count, Exists, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from clinical.models import (
    Allergy,
    AuditEvent,
    Condition,
    Encounter,
    Immunization,
    Medication,
    Observation,
    Patient,
    Practitioner,
    Procedure,
)
from clinical.terminology import SOCIAL_CONTEXT_CODES

PEDIATRIC_AGE_LIMIT = 18
LOOKUP_LIMIT = 100
ACTIVE_CONDITION_STATUSES = (Condition.ClinicalStatus.ACTIVE, Condition.ClinicalStatus.RECURRENCE)
ACTIVE_MEDICATION_STATUSES = (Medication.Status.ACTIVE, Medication.Status.ON_HOLD)
BIRTH_DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y")

# Sort keys a user may ask for, mapped to ORM orderings (unknown keys fall back to name).
PATIENT_SORTS = {
    "name": ("family_name", "given_name", "mrn"),
    "mrn": ("mrn",),
    "dob": ("birth_date", "family_name"),
    "age": ("-birth_date", "family_name"),
    "sex": ("sex", "family_name", "given_name"),
}
DEFAULT_PATIENT_SORT = "name"


# --- Patients -------------------------------------------------------------------------


def parse_birth_date(text: str) -> date | None:
    """A birth date typed as YYYY-MM-DD or MM/DD/YYYY, else None."""
    for fmt in BIRTH_DATE_FORMATS:
        try:
            return datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
    return None


def _name_or_mrn_q(text: str) -> Q:
    """Matches "Family, Given", any name words in any order, or part of an MRN."""
    text = text.strip()
    if "," in text:
        family, _, given = (part.strip() for part in text.partition(","))
        query = Q(family_name__istartswith=family)
        return query & Q(given_name__istartswith=given) if given else query
    name_q = Q()
    for word in text.split():
        name_q &= Q(given_name__icontains=word) | Q(family_name__icontains=word)
    return name_q | Q(mrn__icontains=text)


def _count_of(model, **filters) -> Subquery:
    """A correlated COUNT, so several counts never multiply each other's join rows."""
    rows = model.objects.filter(patient=OuterRef("pk"), **filters).order_by()
    counted = rows.values("patient").annotate(n=Count("pk")).values("n")
    return Subquery(counted, output_field=IntegerField())


def _active_problem_count() -> Subquery:
    """Distinct active clinical problems: Synthea re-records a problem at every visit."""
    rows = (
        Condition.objects.filter(patient=OuterRef("pk"), clinical_status__in=ACTIVE_CONDITION_STATUSES)
        .exclude(code__in=SOCIAL_CONTEXT_CODES)
        .order_by()
    )
    counted = rows.values("patient").annotate(n=Count("code", distinct=True)).values("n")
    return Subquery(counted, output_field=IntegerField())


def patients_with_flags() -> QuerySet[Patient]:
    """Patients with their PCP and the counts the list shows."""
    return Patient.objects.select_related("pcp").annotate(
        active_problem_count=_active_problem_count(),
        allergy_count=_count_of(Allergy, clinical_status="active"),
    )


def pediatric_cutoff(today: date) -> date:
    """Patients born after this day are children."""
    try:
        return today.replace(year=today.year - PEDIATRIC_AGE_LIMIT)
    except ValueError:  # 29 February
        return today.replace(year=today.year - PEDIATRIC_AGE_LIMIT, day=28)


def patient_list(
    *,
    query: str = "",
    sex: str = "",
    age_group: str = "",
    problem: str = "",
    pcp: Practitioner | None = None,
    sort: str = DEFAULT_PATIENT_SORT,
    descending: bool = False,
) -> QuerySet[Patient]:
    patients = patients_with_flags()
    if query:
        patients = patients.filter(_name_or_mrn_q(query))
    if sex:
        patients = patients.filter(sex=sex)
    if age_group:
        cutoff = pediatric_cutoff(timezone.localdate())
        patients = patients.filter(birth_date__gt=cutoff) if age_group == "pediatric" else patients.filter(
            birth_date__lte=cutoff
        )
    if problem:
        active_match = Condition.objects.filter(
            patient=OuterRef("pk"), clinical_status__in=ACTIVE_CONDITION_STATUSES, display__icontains=problem
        )
        patients = patients.filter(Exists(active_match))
    if pcp is not None:
        patients = patients.filter(pcp=pcp)
    return patients.order_by(*_ordering(sort, descending))


def _ordering(sort: str, descending: bool) -> list[str]:
    fields = PATIENT_SORTS.get(sort, PATIENT_SORTS[DEFAULT_PATIENT_SORT])
    if not descending:
        return list(fields)
    return [name[1:] if name.startswith("-") else f"-{name}" for name in fields]


def pcp_choices() -> QuerySet[Practitioner]:
    """Practitioners who are someone's PCP, for the list's PCP filter."""
    return Practitioner.objects.filter(panel__isnull=False).distinct().order_by("family_name", "given_name")


def patient_lookup(text: str) -> QuerySet[Patient]:
    """Toolbar lookup: a birth date in either format, else a name or MRN."""
    text = text.strip()
    exact = Patient.objects.filter(mrn__iexact=text)
    if exact.exists():
        return patients_with_flags().filter(mrn__iexact=text)
    birth_date = parse_birth_date(text)
    matches = Q(birth_date=birth_date) if birth_date else _name_or_mrn_q(text)
    return patients_with_flags().filter(matches).order_by("family_name", "given_name")[:LOOKUP_LIMIT]


def patient_get(*, mrn: str) -> Patient:
    """The patient with this MRN (raises Patient.DoesNotExist)."""
    return Patient.objects.select_related("pcp").get(mrn=mrn)


# --- Problems, medications, allergies and other lists --------------------------------


def _one_per(rows: QuerySet, field: str, *keep_first) -> QuerySet:
    """One row per value of `field`: the one that sorts first by `keep_first`.

    Synthea writes a new Condition or MedicationRequest each time a problem is seen
    or a drug renewed; a problem list and a medication list show each once.
    """
    first = rows.filter(**{field: OuterRef(field)}).order_by(*keep_first, "pk").values("pk")[:1]
    return rows.filter(pk=Subquery(first))


def _active_conditions(patient: Patient) -> QuerySet[Condition]:
    return patient.conditions.filter(clinical_status__in=ACTIVE_CONDITION_STATUSES)


def problems_active(patient: Patient) -> QuerySet[Condition]:
    """Active clinical problems, one per code, dated from the problem's first onset."""
    rows = _active_conditions(patient).exclude(code__in=SOCIAL_CONTEXT_CODES)
    return _one_per(rows, "code", F("onset").asc(nulls_last=True)).order_by(
        F("onset").desc(nulls_last=True), "display"
    )


def problems_social(patient: Patient) -> QuerySet[Condition]:
    """Active social circumstances and reminders (employment, education, isolation ...)."""
    rows = _active_conditions(patient).filter(code__in=SOCIAL_CONTEXT_CODES)
    return _one_per(rows, "code", F("onset").asc(nulls_last=True)).order_by("display")


def problems_resolved(patient: Patient) -> QuerySet[Condition]:
    """Past clinical problems not active again, one per code, most recently resolved first."""
    active_codes = _active_conditions(patient).values("code")
    rows = (
        patient.conditions.exclude(clinical_status__in=ACTIVE_CONDITION_STATUSES)
        .exclude(code__in=active_codes)
        .exclude(code__in=SOCIAL_CONTEXT_CODES)
    )
    latest = (F("abatement").desc(nulls_last=True), F("onset").desc(nulls_last=True))
    return _one_per(rows, "code", *latest).order_by(*latest)


def medications_active(patient: Patient) -> QuerySet[Medication]:
    """Active medications, one per RxNorm code: the latest prescription carries the current sig."""
    rows = patient.medications.filter(status__in=ACTIVE_MEDICATION_STATUSES)
    return (
        _one_per(rows, "rxnorm", F("authored_at").desc(nulls_last=True))
        .select_related("prescriber")
        .order_by("display")
    )


def medications_past(patient: Patient) -> QuerySet[Medication]:
    """Past medications not currently active, one per RxNorm code, most recent first."""
    active_codes = patient.medications.filter(status__in=ACTIVE_MEDICATION_STATUSES).values("rxnorm")
    rows = patient.medications.exclude(status__in=ACTIVE_MEDICATION_STATUSES).exclude(rxnorm__in=active_codes)
    latest = (F("authored_at").desc(nulls_last=True), "display")
    return _one_per(rows, "rxnorm", *latest).select_related("prescriber").order_by(*latest)


def allergies_active(patient: Patient) -> QuerySet[Allergy]:
    return patient.allergies.filter(clinical_status="active")


def allergies_all(patient: Patient) -> QuerySet[Allergy]:
    return patient.allergies.order_by("clinical_status", "substance")


def encounters(patient: Patient) -> QuerySet[Encounter]:
    return patient.encounters.select_related("practitioner", "organization").order_by("-start")


def immunizations(patient: Patient) -> QuerySet[Immunization]:
    return patient.immunizations.order_by("-occurred_at")


def procedures(patient: Patient) -> QuerySet[Procedure]:
    return patient.procedures.order_by("-performed_start")


# --- Laboratory results ---------------------------------------------------------------

LAB_CATEGORY = Observation.Category.LABORATORY
RECENT_ABNORMAL_LIMIT = 10


def _ranked_by_loinc(observations: QuerySet[Observation]) -> QuerySet[Observation]:
    newest_first = {"partition_by": F("loinc"), "order_by": [F("effective_at").desc(), F("pk").desc()]}
    return observations.annotate(
        rank=Window(RowNumber(), **newest_first), total=Window(Count("pk"), partition_by=F("loinc"))
    )


def lab_history(patient: Patient, *, loinc: str) -> list[Observation]:
    """Every result of one analyte, oldest first."""
    return list(patient.observations.filter(loinc=loinc).order_by("effective_at", "pk"))


def labs_recent_abnormal(patient: Patient, *, limit: int = RECENT_ABNORMAL_LIMIT) -> QuerySet[Observation]:
    return patient.observations.filter(category=LAB_CATEGORY).exclude(flag="").order_by("-effective_at")[:limit]


# --- Vital signs ----------------------------------------------------------------------

FLOWSHEET_COLUMNS = 10


@dataclass(frozen=True)
class VitalSign:
    key: str
    label: str
    loincs: tuple[str, ...]
    unit: str = ""
    # Blood pressure is two components shown together; other vitals list alternative codes.
    components: int = 1
    # Flowsheets print vitals at charting precision (BP 132/77, not 131.9/77.4).
    decimals: int = 0


# Synthea records some vitals under more than one LOINC (oral vs body temperature,
# pulse oximetry vs arterial saturation); each row accepts any of its codes.
SYSTOLIC, DIASTOLIC = "8480-6", "8462-4"
VITAL_SIGNS = (
    VitalSign("bp", "BP", (SYSTOLIC, DIASTOLIC), "mm[Hg]", components=2),
    VitalSign("hr", "Pulse", ("8867-4",), "/min"),
    VitalSign("rr", "Resp", ("9279-1",), "/min"),
    VitalSign("temp", "Temp", ("8310-5", "8331-1"), "Cel", decimals=1),
    VitalSign("spo2", "SpO2", ("59408-5", "2708-6"), "%"),
    VitalSign("weight", "Weight", ("29463-7",), "kg", decimals=1),
    VitalSign("height", "Height", ("8302-2",), "cm", decimals=1),
    VitalSign("bmi", "BMI", ("39156-5",), "kg/m2", decimals=1),
    VitalSign("pain", "Pain", ("72514-3",), "0-10"),
)
VITALS_BY_KEY = {vital.key: vital for vital in VITAL_SIGNS}
VITAL_LOINCS = tuple(code for vital in VITAL_SIGNS for code in vital.loincs)


@dataclass
class VitalReading:
    """A vital at one time; blood pressure joins its two components as 120/80."""

    vital: VitalSign
    at: datetime
    parts: list[Observation] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "/".join(_number(obs, self.vital.decimals) for obs in self._ordered_parts())

    @property
    def flag(self) -> str:
        flags = [obs.flag for obs in self.parts if obs.flag]
        return max(flags, key=len) if flags else ""

    def _ordered_parts(self) -> list[Observation]:
        return sorted(self.parts, key=lambda obs: self.vital.loincs.index(obs.loinc))


def _number(obs: Observation, decimals: int) -> str:
    if obs.value_num is None:
        return obs.value_text
    return f"{obs.value_num:.{decimals}f}".removesuffix(".0")


def _vital_of(loinc: str) -> VitalSign:
    return next(vital for vital in VITAL_SIGNS if loinc in vital.loincs)


def _readings(observations) -> dict[tuple[str, datetime], VitalReading]:
    """Group observations into readings keyed by (vital key, time)."""
    readings: dict[tuple[str, datetime], VitalReading] = {}
    for obs in observations:
        vital = _vital_of(obs.loinc)
        reading = readings.setdefault((vital.key, obs.effective_at), VitalReading(vital, obs.effective_at))
        if len(reading.parts) < vital.components and all(part.loinc != obs.loinc for part in reading.parts):
            reading.parts.append(obs)
    return readings


def vitals_latest(patient: Patient) -> list[VitalReading]:
    """The most recent reading of each vital sign, in flowsheet order."""
    vitals = patient.observations.filter(loinc__in=VITAL_LOINCS)
    newest = _ranked_by_loinc(vitals).filter(rank=1)
    latest: dict[str, VitalReading] = {}
    for reading in sorted(_readings(newest).values(), key=lambda r: r.at, reverse=True):
        latest.setdefault(reading.vital.key, reading)
    return [latest[vital.key] for vital in VITAL_SIGNS if vital.key in latest]


@dataclass
class FlowsheetRow:
    vital: VitalSign
    cells: list[VitalReading | None]


@dataclass
class Flowsheet:
    times: list[datetime]
    rows: list[FlowsheetRow]


def vitals_flowsheet(patient: Patient, *, columns: int = FLOWSHEET_COLUMNS) -> Flowsheet:
    """Vital signs (rows) at the most recent measurement times (columns, newest first)."""
    vitals = patient.observations.filter(loinc__in=VITAL_LOINCS)
    times = list(
        vitals.order_by("-effective_at").values_list("effective_at", flat=True).distinct()[:columns]
    )
    readings = _readings(vitals.filter(effective_at__in=times)) if times else {}
    rows = [
        FlowsheetRow(vital, [readings.get((vital.key, at)) for at in times])
        for vital in VITAL_SIGNS
        if any((vital.key, at) in readings for at in times)
    ]
    return Flowsheet(times, rows)


def vital_history(patient: Patient, *, vital: VitalSign) -> dict[str, list[Observation]]:
    """All values of one vital, oldest first, by LOINC (BP gives two series)."""
    series: dict[str, list[Observation]] = defaultdict(list)
    for obs in patient.observations.filter(loinc__in=vital.loincs).order_by("effective_at", "pk"):
        series[obs.loinc].append(obs)
    return dict(series)


# --- Summary --------------------------------------------------------------------------

RECENT_ENCOUNTERS = 5


def encounters_recent(patient: Patient, *, limit: int = RECENT_ENCOUNTERS) -> QuerySet[Encounter]:
    return encounters(patient)[:limit]


# --- Reads for the agent's semantic actions (agentenv) ---------------------------------


def observations_by_code(
    patient: Patient, *, loinc: str, start: datetime | None = None, end: datetime | None = None
) -> QuerySet[Observation]:
    """Every result of one LOINC code, newest first, optionally within [start, end]."""
    rows = patient.observations.filter(loinc=loinc)
    if start is not None:
        rows = rows.filter(effective_at__gte=start)
    if end is not None:
        rows = rows.filter(effective_at__lte=end)
    return rows.order_by("-effective_at", "-pk")


def notes_for_patient(patient: Patient):
    """The patient's notes, newest first (imported and written in the EHR)."""
    return patient.notes.order_by("-created_at", "-pk")


def medication_entries_active(patient: Patient) -> QuerySet[Medication]:
    """Every active entry of the medication list (medications_active keeps one per drug)."""
    return patient.medications.filter(status__in=ACTIVE_MEDICATION_STATUSES)


def observations_numeric(patient: Patient, loincs: list[str]) -> QuerySet[Observation]:
    """Every numeric result of these LOINC codes (one test), newest first, from the patient's database."""
    rows = Observation.objects.using(patient._state.db).filter(patient=patient, loinc__in=loincs)
    return rows.exclude(value_num=None).order_by("-effective_at", "-pk")


# --- What an episode changed --------------------------------------------------------------
# An episode's database is a copy of the golden one: the audit events its steps wrote say what it changed (the
# seed data's events have no step), and the functions below read the rows those events point at, by primary key.


def episode_audit_events() -> list[AuditEvent]:
    """The audit events the episode's steps wrote, oldest first."""
    return list(AuditEvent.objects.filter(episode_step__isnull=False).order_by("id"))


def problems_active_exist(ids: list[int]) -> bool:
    """Whether any of these problem-list entries is still active."""
    return Condition.objects.filter(pk__in=ids, clinical_status__in=ACTIVE_CONDITION_STATUSES).exists()


def allergies_by_id(ids: list[int]) -> QuerySet[Allergy]:
    return Allergy.objects.filter(pk__in=ids)


def patient_code_status(patient: Patient) -> str | None:
    """The code status the database holds now (the patient object may have been read before the change)."""
    return Patient.objects.filter(pk=patient.pk).values_list("code_status", flat=True).first()


def immunizations_by_id(ids: list[int], *, cvx: list[str] | None = None) -> list[Immunization]:
    """These immunizations (only those of the CVX codes, if given), oldest entry first."""
    rows = Immunization.objects.filter(pk__in=ids)
    if cvx is not None:
        rows = rows.filter(cvx__in=cvx)
    return list(rows.order_by("pk"))


def medications_by_id(ids: list[int]) -> dict[int, Medication]:
    return Medication.objects.in_bulk(ids)


def patient_mrns(ids: list[int]) -> list[str]:
    return list(Patient.objects.filter(pk__in=ids).values_list("mrn", flat=True))
