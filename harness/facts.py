"""Facts: values a task reads from the chart at reset, before the agent acts.

A task declares the facts it needs: {"potassium": {"fact": "latest_observation",
"loincs": ["2823-3", "6298-4"]}}. At reset each is computed from the episode's fresh
copy of the chart, so an expected answer is right for whatever population the golden
database holds. A fact is a dict with an "answer" (what an answer criterion compares
against, and what {name} fills in) and named fields ({name_field} fills in).

Facts read through the clinical selectors, the same reads the chart pages and the
agent's semantic actions use, so an answer is what the agent can see.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from django.utils import timezone
from pydantic import BaseModel, ConfigDict, Field, field_validator

from clinical import selectors
from clinical.models import Patient

BODY_WEIGHT = "29463-7"


class FactError(Exception):
    """The chart does not hold what the fact needs (the selector should have excluded the patient)."""


class FactArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")


@dataclass(frozen=True)
class FactKind:
    name: str
    args: type[FactArgs]
    fields: tuple[str, ...]  # besides "answer"
    compute: Callable[..., dict]
    description: str


FACTS: dict[str, FactKind] = {}


def fact(name: str, *, args: type[FactArgs], fields: tuple[str, ...]):
    def register(compute):
        FACTS[name] = FactKind(name, args, fields, compute, (compute.__doc__ or "").strip().splitlines()[0])
        return compute

    return register


def fact_compute(spec: dict, patient: Patient) -> dict:
    """One fact of a task for a patient: {"answer": ..., field: ...}. Raises FactError."""
    kind = FACTS[spec["fact"]]
    args = kind.args.model_validate({k: v for k, v in spec.items() if k != "fact"})
    return kind.compute(patient, **args.model_dump())


def _as_list(value):
    return [value] if isinstance(value, str) else value


def _number(value: float) -> float | int:
    """The stored value, whole numbers as integers (4.0 is 4): answers are compared with
    what the chart holds, at the precision the answer gives."""
    return int(value) if float(value).is_integer() else value


def _local_date(moment) -> str:
    return timezone.localtime(moment).date().isoformat()


class ObservationArgs(FactArgs):
    loincs: list[str] = Field(min_length=1, description="LOINC codes of the same test (any of them counts).")

    _list = field_validator("loincs", mode="before")(_as_list)


@fact("latest_observation", args=ObservationArgs, fields=("value", "values", "unit", "date", "display", "loinc"))
def latest_observation(patient: Patient, *, loincs: list[str]) -> dict:
    """The most recent numeric result of a test: answer = its value; values = every distinct value
    filed at that same moment (a chart can hold two results of one draw, under two codes)."""
    results = list(selectors.observations_numeric(patient, loincs)[:20])
    if not results:
        raise FactError(f"{patient.mrn} has no numeric result of {', '.join(loincs)}")
    latest = results[0]
    value = _number(latest.value_num)
    same_time = sorted({_number(r.value_num) for r in results if r.effective_at == latest.effective_at})
    return {"answer": value, "value": value, "values": same_time, "unit": latest.unit,
            "date": _local_date(latest.effective_at), "display": latest.display, "loinc": latest.loinc}


class TrendArgs(ObservationArgs):
    better: Literal["lower", "higher"] = Field(description="Which direction is an improvement.")
    stable_within: float = Field(0.0, ge=0, description="Changes this small (absolute) count as stable.")


@fact("observation_trend", args=TrendArgs,
      fields=("latest", "latest_values", "previous", "change", "unit", "latest_date", "previous_date"))
def observation_trend(patient: Patient, *, loincs: list[str], better: str, stable_within: float) -> dict:
    """Latest against previous result of a test (an earlier draw): answer = improving, worsening or stable."""
    results = list(selectors.observations_numeric(patient, loincs)[:50])
    latest = results[0] if results else None
    # The previous draw, not the same draw filed under a second code.
    previous = next((r for r in results if r.effective_at < latest.effective_at), None) if latest else None
    if previous is None:
        raise FactError(f"{patient.mrn} has fewer than two numeric results of {', '.join(loincs)}")
    change = latest.value_num - previous.value_num
    if abs(change) <= stable_within + 1e-9:
        answer = "stable"
    else:
        answer = "improving" if (change < 0) == (better == "lower") else "worsening"
    # A draw filed under two codes may carry two values: either is the latest result.
    latest_values = sorted({_number(r.value_num) for r in results if r.effective_at == latest.effective_at})
    return {"answer": answer, "latest": _number(latest.value_num), "latest_values": latest_values,
            "previous": _number(previous.value_num),
            "change": round(change, 4), "unit": latest.unit, "latest_date": _local_date(latest.effective_at),
            "previous_date": _local_date(previous.effective_at)}


class NoArgs(FactArgs):
    pass


@fact("active_allergies", args=NoArgs, fields=("count",))
def active_allergies(patient: Patient) -> dict:
    """The active allergies' substances as the allergy list shows them: answer = that list."""
    substances = sorted({allergy.substance for allergy in selectors.allergies_active(patient)}, key=str.lower)
    return {"answer": substances, "count": len(substances)}


@fact("active_problems", args=NoArgs, fields=("count", "codes"))
def active_problems(patient: Patient) -> dict:
    """The active clinical problems (social findings apart), one per code: answer = their names."""
    problems = list(selectors.problems_active(patient))
    return {"answer": [p.display for p in problems], "count": len(problems), "codes": [p.code for p in problems]}


@fact("active_medications", args=NoArgs, fields=("count", "rxnorm"))
def active_medications(patient: Patient) -> dict:
    """The active medication list, one entry per drug: answer = how many."""
    medications = list(selectors.medications_active(patient))
    return {"answer": len(medications), "count": len(medications), "rxnorm": [m.rxnorm for m in medications]}


# --- Immunizations ----------------------------------------------------------------------------


class ImmunizationArgs(FactArgs):
    cvxs: list[str] = Field(min_length=1, description="CVX codes of the same kind of vaccine (any of them counts).")

    _list = field_validator("cvxs", mode="before")(_as_list)


@fact("latest_immunization", args=ImmunizationArgs, fields=("date", "display", "cvx", "count"))
def latest_immunization(patient: Patient, *, cvxs: list[str]) -> dict:
    """The most recent dose of a kind of vaccine, as the Immunizations tab lists it: answer = its date."""
    doses = [i for i in selectors.immunizations(patient) if i.cvx in cvxs]
    if not doses:
        raise FactError(f"{patient.mrn} has no immunization with CVX {', '.join(cvxs)}")
    latest = doses[0]
    date = _local_date(latest.occurred_at)
    return {"answer": date, "date": date, "display": latest.display, "cvx": latest.cvx, "count": len(doses)}


# --- Classifying a value into clinical bands -----------------------------------------------------


class BandArgs(FactArgs):
    bands: list[tuple[float, str]] = Field(
        min_length=1, description="[lower bound, label] pairs: the label of the highest lower bound the value "
                                  "reaches (values below every bound take the last label)."
    )

    def label(self, value: float) -> str:
        ordered = sorted(self.bands, key=lambda band: band[0], reverse=True)
        return next((label for bound, label in ordered if value >= bound - 1e-9), ordered[-1][1])


class ObservationBandArgs(BandArgs):
    loincs: list[str] = Field(min_length=1, description="LOINC codes of the same test (any of them counts).")

    _list = field_validator("loincs", mode="before")(_as_list)


@fact("observation_band", args=ObservationBandArgs, fields=("value", "unit", "date"))
def observation_band(patient: Patient, *, loincs: list[str], bands: list) -> dict:
    """The band the most recent numeric result of a test falls in (e.g. a CKD stage): answer = its label."""
    results = list(selectors.observations_numeric(patient, loincs)[:1])
    if not results:
        raise FactError(f"{patient.mrn} has no numeric result of {', '.join(loincs)}")
    latest = results[0]
    label = ObservationBandArgs(loincs=loincs, bands=bands).label(latest.value_num)
    return {"answer": label, "value": _number(latest.value_num), "unit": latest.unit,
            "date": _local_date(latest.effective_at)}


class KidneyBandArgs(BandArgs):
    measure: Literal["egfr", "crcl"] = Field(
        description="eGFR or Cockcroft–Gault CrCl, as decision support reads them.")


@fact("kidney_function_band", args=KidneyBandArgs, fields=("value",))
def kidney_function_band(patient: Patient, *, measure: str, bands: list) -> dict:
    """The band of the kidney function order decision support uses (latest eGFR or CrCl; the other when
    one is unknown): answer = its label (e.g. a renally adjusted dose). No measure: the top band."""
    from orders.selectors import patient_renal_function

    value, _source = patient_renal_function(patient).value(measure)
    args = KidneyBandArgs(measure=measure, bands=bands)
    if value is None:
        return {"answer": max(args.bands, key=lambda band: band[0])[1], "value": None}
    return {"answer": args.label(value), "value": round(value, 1)}


class CreatinineBandArgs(BandArgs):
    loincs: list[str] = Field(min_length=1, description="Creatinine LOINC codes (mg/dL; any of them counts).")
    near: float = Field(1.0, ge=0, description="A band boundary this close to the eGFR also accepts the band on "
                                                "its other side (rounding of the age or the result).")

    _list = field_validator("loincs", mode="before")(_as_list)


@fact("egfr_from_creatinine", args=CreatinineBandArgs,
      fields=("value", "exact", "creatinine", "unit", "age", "date", "near"))
def egfr_from_creatinine(patient: Patient, *, loincs: list[str], bands: list, near: float) -> dict:
    """The band of the eGFR calculated from the most recent creatinine by the race-free CKD-EPI 2021
    equation (age on the day of the draw, sex as charted): answer = its label (a KDIGO GFR category);
    value = the eGFR as a whole number, as labs report it; near = the label across a band boundary that
    lies within `near` of the eGFR (else the answer itself), which rounding may fairly give. Labs and
    Synthea's charts sometimes carry an eGFR that contradicts its own creatinine; this reads the
    creatinine."""
    from orders.cds import ckd_epi_2021

    draws = observation_draws(patient, loincs)
    if not draws:
        raise FactError(f"{patient.mrn} has no numeric result of {', '.join(loincs)}")
    latest = draws[0]
    same_draw = {round(r.value_num, 6) for r in selectors.observations_numeric(patient, loincs)
                 if r.effective_at == latest.effective_at}
    if len(same_draw) > 1:
        raise FactError(f"{patient.mrn}'s latest creatinine draw holds {len(same_draw)} different values")
    age = patient.age_on(timezone.localtime(latest.effective_at).date())
    if age < 18 or latest.value_num <= 0:
        raise FactError(f"{patient.mrn}: CKD-EPI 2021 is an adult equation (age {age} at the draw)")
    egfr = ckd_epi_2021(creatinine=latest.value_num, age=age, sex=patient.sex)
    args = CreatinineBandArgs(loincs=loincs, bands=bands, near=near)
    label = args.label(round(egfr))
    across = sorted({args.label(egfr + step) for step in (-near, near)} - {label})
    return {"answer": label, "value": round(egfr), "exact": round(egfr, 2), "creatinine": _number(latest.value_num),
            "unit": latest.unit, "age": age, "date": _local_date(latest.effective_at),
            "near": across[0] if across else label}


class WeightDoseArgs(FactArgs):
    per_kg: float = Field(gt=0, description="The dose per kilogram of the latest body weight.")
    per_kg_min: float = Field(gt=0, description="The lowest acceptable dose per kilogram.")
    per_kg_max: float = Field(gt=0, description="The highest acceptable dose per kilogram.")
    round_to: float = Field(gt=0, description="Doses are given in steps of this (e.g. 250 mL, 250 mg).")
    cap: float | None = Field(None, gt=0, description="No dose above this, whatever the weight.")


@fact("weight_based_dose", args=WeightDoseArgs, fields=("min", "max", "weight", "weight_date"))
def weight_based_dose(patient: Patient, *, per_kg: float, per_kg_min: float, per_kg_max: float, round_to: float,
                      cap: float | None) -> dict:
    """A dose by the most recent body weight: answer = per_kg × weight in steps of round_to (at most cap);
    min and max = the acceptable range (per_kg_min and per_kg_max, widened to whole steps, at most cap)."""
    import math

    results = list(selectors.observations_numeric(patient, [BODY_WEIGHT])[:1])
    if not results:
        raise FactError(f"{patient.mrn} has no body weight on the chart")
    weight = results[0].value_num

    def capped(dose):
        return min(dose, cap) if cap else dose

    dose = capped(round(per_kg * weight / round_to) * round_to)
    low = capped(math.floor(per_kg_min * weight / round_to) * round_to)
    high = capped(math.ceil(per_kg_max * weight / round_to) * round_to)
    return {"answer": _number(dose), "min": _number(low), "max": _number(high), "weight": _number(weight),
            "weight_date": _local_date(results[0].effective_at)}


# --- A result read as of a reference time stated in the instruction (MedAgentBench's clocks) -------


def observation_draws(patient_or_rows, loincs: list[str] | None = None) -> list:
    """Numeric results of a test as draws, newest first: one row per moment (a draw filed under two
    codes is one draw; the row latest_observation would read)."""
    rows = patient_or_rows if loincs is None else selectors.observations_numeric(patient_or_rows, loincs)
    draws, seen = [], set()
    for row in rows:
        if row.effective_at not in seen:
            seen.add(row.effective_at)
            draws.append(row)
    return draws


class AsOfArgs(ObservationArgs):
    nth: int = Field(0, ge=0, description="Which draw sets the clock: 0 = the newest, 1 = the one before ...")
    offset_hours: float = Field(gt=0, description="The reference time is this long after that draw.")
    window_hours: float = Field(24, gt=0, description="Results count if within this long before the reference time.")


@fact("observation_as_of", args=AsOfArgs,
      fields=("now", "now_iso", "utc_offset", "value", "mean", "unit", "date", "count"))
def observation_as_of(patient: Patient, *, loincs: list[str], nth: int, offset_hours: float,
                      window_hours: float) -> dict:
    """A test read as of a reference time (the nth draw + offset, to the minute): answer = the latest
    result within the window before it, or -1 when there is none (MedAgentBench's convention); mean =
    the average of the draws in the window (-1 when none); now = the reference time in the EHR's local
    time (settings.TIME_ZONE) as text, now_iso = the same with its UTC offset, utc_offset = "UTC-04:00"."""
    from datetime import timedelta

    draws = observation_draws(patient, loincs)
    if len(draws) <= nth:
        raise FactError(f"{patient.mrn} has fewer than {nth + 1} draws of {', '.join(loincs)}")
    now = timezone.localtime(draws[nth].effective_at + timedelta(hours=offset_hours)).replace(second=0,
                                                                                               microsecond=0)
    start = now - timedelta(hours=window_hours)
    inside = [d for d in draws if start < d.effective_at <= now]
    value = _number(inside[0].value_num) if inside else -1
    mean = round(sum(d.value_num for d in inside) / len(inside), 2) if inside else -1
    offset = now.strftime("%z")
    return {"answer": value, "now": now.strftime("%Y-%m-%d %H:%M"), "now_iso": now.isoformat(timespec="minutes"),
            "utc_offset": f"UTC{offset[:3]}:{offset[3:]}", "value": value, "mean": _number(mean),
            "unit": draws[nth].unit, "date": _local_date(inside[0].effective_at) if inside else "",
            "count": len(inside)}


@fact("previous_observation", args=ObservationArgs, fields=("value", "values", "unit", "date", "latest_date"))
def previous_observation(patient: Patient, *, loincs: list[str]) -> dict:
    """The numeric result of the draw before the most recent one: answer = its value; values = every distinct
    value filed at that same moment (one draw can be filed under two codes with two results)."""
    results = list(selectors.observations_numeric(patient, loincs)[:50])
    latest = results[0] if results else None
    previous = next((r for r in results if r.effective_at < latest.effective_at), None) if latest else None
    if previous is None:
        raise FactError(f"{patient.mrn} has fewer than two numeric results of {', '.join(loincs)}")
    value = _number(previous.value_num)
    same_time = sorted({_number(r.value_num) for r in results if r.effective_at == previous.effective_at})
    return {"answer": value, "value": value, "values": same_time, "unit": previous.unit,
            "date": _local_date(previous.effective_at), "latest_date": _local_date(latest.effective_at)}


class NotificationArgs(FactArgs):
    kinds: list[str] = Field(min_length=1, description="Kinds of result notification: critical, abnormal, normal.")
    loincs: list[str] | None = Field(None, description="Only results of these LOINC codes.")

    _list = field_validator("kinds", "loincs", mode="before")(_as_list)


@fact("inbasket_notification", args=NotificationArgs, fields=("value", "unit", "date", "display", "loinc", "flag"))
def inbasket_notification(patient: Patient, *, kinds: list[str], loincs: list[str] | None) -> dict:
    """The newest new result notification of these kinds in the patient's In Basket: answer = its value."""
    from inbasket.selectors import notifications

    rows = [n for kind in kinds for n in notifications(patient=patient, kind=kind, status="new", loincs=loincs)[:1]]
    if not rows:
        raise FactError(f"{patient.mrn} has no new {'/'.join(kinds)} result notification")
    observation = max(rows, key=lambda n: (n.resulted_at, n.pk)).observation
    value = _number(observation.value_num) if observation.value_num is not None else observation.value_text
    return {"answer": value, "value": value, "unit": observation.unit, "date": _local_date(observation.effective_at),
            "display": observation.display, "loinc": observation.loinc, "flag": observation.flag}
