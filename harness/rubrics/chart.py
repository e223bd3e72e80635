"""Criteria on chart writes: problems, vital signs, allergies, code status, immunizations, the right patient."""

import re
from datetime import date
from typing import Literal

from django.utils import timezone
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from clinical import selectors as chart
from clinical.models import Allergy, Patient
from clinical.vitals import VITAL_SIGNS
from harness.rubrics.base import (
    Constraint,
    Criterion,
    CriterionResult,
    Number,
    RubricContext,
    Texts,
    _is_ref,
    severity_field,
    texts,
)

LOINC = re.compile(r"^\d{1,7}-\d$")


def _codes(value) -> str:
    return " or ".join(texts(value))


class ProblemAdded(Criterion):
    """A problem added to the problem list during the episode (SNOMED CT) and still active."""

    kind: Literal["problem_added"] = "problem_added"
    code: Texts = Field(description="SNOMED CT code(s) that count, e.g. 38341003.")

    def check(self, ctx: RubricContext) -> CriterionResult:
        codes = set(texts(self.code))
        ids = [int(e.target_id) for e in ctx.patient_events("condition.add") if e.details.get("code") in codes]
        if not ids:
            return CriterionResult(0.0, False, f"no problem {_codes(self.code)} was added in this episode")
        if not chart.problems_active_exist(ids):
            return CriterionResult(0.0, False, f"problem {_codes(self.code)} was added but is no longer active")
        return CriterionResult(1.0, True, f"problem {_codes(self.code)} added")


class VitalTarget(BaseModel):
    model_config = ConfigDict(extra="forbid")

    value: Number = Field(description="The value to record.")
    tolerance: Number | None = Field(None, description="How far off still counts (default: the criterion's).")


def _loinc_of(key: str) -> str:
    return VITAL_SIGNS[key].loinc if key in VITAL_SIGNS else key


class VitalsRecorded(Criterion):
    """Vital signs recorded during the episode, each (its latest recording) within tolerance of its target."""

    kind: Literal["vitals_recorded"] = "vitals_recorded"
    values: dict[str, VitalTarget | Number] = Field(
        min_length=1, description=f"Targets by vital sign ({', '.join(VITAL_SIGNS)}) or LOINC code: a number, "
                                  "or {\"value\": v, \"tolerance\": t}."
    )
    tolerance: Number = Field(0.0, description="Default tolerance (absolute, in the vital's unit).")

    @field_validator("values")
    @classmethod
    def _known(cls, values):
        for key in values:
            if key not in VITAL_SIGNS and not LOINC.match(key):
                raise ValueError(f"{key!r} is neither a vital sign ({', '.join(VITAL_SIGNS)}) nor a LOINC code")
        return values

    def check(self, ctx: RubricContext) -> CriterionResult:
        latest = {}
        for event in ctx.patient_events("observation.record"):
            latest[event.details.get("loinc")] = event.details.get("value")
        matched, problems = 0, []
        # Sorted: PostgreSQL's jsonb does not keep the author's key order, and details must not depend on the backend.
        for key, target in sorted(self.values.items()):
            value, tolerance = (target.value, target.tolerance) if isinstance(target, VitalTarget) else (target, None)
            tolerance = self.tolerance if tolerance is None else tolerance
            recorded = latest.get(_loinc_of(key))
            if recorded is None:
                problems.append(f"{key} not recorded")
            elif abs(float(recorded) - float(value)) > float(tolerance) + 1e-9:
                problems.append(f"{key} recorded as {recorded:g}, expected {float(value):g}")
            else:
                matched += 1
        score = matched / len(self.values)
        detail = "; ".join(problems) if problems else f"all {len(self.values)} recorded"
        return CriterionResult(score, matched == len(self.values), detail)


class AllergyAdded(Criterion):
    """An allergy recorded during the episode: its substance, and optionally its reaction, category and severity."""

    kind: Literal["allergy_added"] = "allergy_added"
    substance: Texts = Field(description="Words any of which the recorded substance must contain (case-insensitive).")
    code: Texts | None = Field(None, description="Or a code (RxNorm/SNOMED CT) any of which identifies the substance.")
    reaction: Texts | None = Field(None, description="Words any of which the recorded reaction must contain.")
    category: str | None = Field(None, description=f"One of {', '.join(Allergy.Category.values)}.")
    severity_: str | None = Field(None, alias="severity", description="mild, moderate or severe.")

    @field_validator("category")
    @classmethod
    def _category(cls, value):
        if value is not None and not _is_ref(value) and value not in Allergy.Category.values:
            raise ValueError(f"unknown category {value!r}; choose {', '.join(Allergy.Category.values)}")
        return value

    @field_validator("severity_")
    @classmethod
    def _severity(cls, value):
        if value is not None and not _is_ref(value) and value not in ("mild", "moderate", "severe"):
            raise ValueError(f"unknown severity {value!r}; choose mild, moderate or severe")
        return value

    def _identifies(self, allergy: Allergy) -> bool:
        words = [w.lower() for w in texts(self.substance)]
        if any(word in allergy.substance.lower() for word in words):
            return True
        return bool(self.code) and allergy.code in texts(self.code)

    def check(self, ctx: RubricContext) -> CriterionResult:
        ids = ctx.targets("allergy.add")
        candidates = [a for a in chart.allergies_by_id(ids) if self._identifies(a)]
        if not candidates:
            return CriterionResult(0.0, False, f"no allergy to {' / '.join(texts(self.substance))} was recorded")
        checks = []
        if self.reaction:
            checks.append(("reaction", lambda a: any(w.lower() in a.reaction.lower() for w in texts(self.reaction))))
        if self.category:
            checks.append(("category", lambda a: a.category == self.category))
        if self.severity_:
            checks.append(("severity", lambda a: a.severity == self.severity_))
        best, best_missing = 0, [name for name, _ in checks]
        for allergy in candidates:
            missing = [name for name, test in checks if not test(allergy)]
            if len(checks) - len(missing) >= best:
                best, best_missing = len(checks) - len(missing), missing
        score = (1 + best) / (1 + len(checks))
        detail = "allergy recorded" + (f"; wrong or missing: {', '.join(best_missing)}" if best_missing else "")
        return CriterionResult(score, not best_missing, detail)


class CodeStatusSet(Criterion):
    """The code status set to a value during the episode, and still that value."""

    kind: Literal["code_status_set"] = "code_status_set"
    code_status: str = Field(description=f"One of {', '.join(Patient.CodeStatus.values)}.")

    @field_validator("code_status")
    @classmethod
    def _known(cls, value):
        if not _is_ref(value) and value not in Patient.CodeStatus.values:
            raise ValueError(f"unknown code status {value!r}; choose {', '.join(Patient.CodeStatus.values)}")
        return value

    def check(self, ctx: RubricContext) -> CriterionResult:
        changed = [e for e in ctx.patient_events("patient.code_status") if e.details.get("to") == self.code_status]
        current = chart.patient_code_status(ctx.patient)
        if not changed:
            return CriterionResult(0.0, False, f"the code status was not set to {self.code_status} in this episode")
        if current != self.code_status:
            return CriterionResult(0.0, False,
                                   f"the code status was set to {self.code_status}, then changed to {current}")
        return CriterionResult(1.0, True, f"code status set to {self.code_status}")


def _lot(value: str) -> str:
    """A lot number as written on a vial or a card: case, spaces and dashes do not matter."""
    return re.sub(r"[\s-]", "", str(value)).upper()


class ImmunizationRecorded(Criterion):
    """A vaccine recorded during the episode: one of the CVX codes, given on the expected day, with the
    lot number and site if asked."""

    kind: Literal["immunization_recorded"] = "immunization_recorded"
    cvx: Texts = Field(description="CVX code(s) that count, e.g. 115 (Tdap).")
    date_: str | None = Field(None, alias="date", description="The day it was given (YYYY-MM-DD, in the EHR's "
                                                              "time zone).")
    days_before_recording: int | None = Field(None, ge=0, description="Or: given this many days before it was "
                                                                      "recorded (0: the day it was recorded).")
    lot_number: str | None = Field(None, max_length=40, description="The lot number (case, spaces, dashes aside).")
    site: Texts | None = Field(None, description="Acceptable site code(s): LD, RD, LA, RA, LT, RT.")

    @model_validator(mode="after")
    def _one_day_rule(self):
        if self.date_ is not None and self.days_before_recording is not None:
            raise ValueError("give 'date' or 'days_before_recording', not both")
        if self.date_ is not None and not _is_ref(self.date_):
            date.fromisoformat(self.date_)  # a ValueError names the bad date
        return self

    def _checks(self, recorded_on: dict[int, date]) -> list[tuple[str, object]]:
        checks = []
        if self.date_ is not None:
            checks.append(("date", lambda i: timezone.localtime(i.occurred_at).date().isoformat() == self.date_))
        if self.days_before_recording is not None:
            checks.append(("date", lambda i: (recorded_on[i.pk] - timezone.localtime(i.occurred_at).date()).days
                           == self.days_before_recording))
        if self.lot_number is not None:
            checks.append(("lot number", lambda i: _lot(i.lot_number) == _lot(self.lot_number)))
        if self.site:
            checks.append(("site", lambda i: i.site in texts(self.site)))
        return checks

    def check(self, ctx: RubricContext) -> CriterionResult:
        events = {int(e.target_id): e for e in ctx.patient_events("immunization.record") if e.target_id.isdigit()}
        candidates = chart.immunizations_by_id(list(events), cvx=texts(self.cvx))
        if not candidates:
            return CriterionResult(0.0, False, f"no vaccine with CVX {_codes(self.cvx)} was recorded in this episode")
        recorded_on = {pk: timezone.localtime(event.at).date() for pk, event in events.items()}
        checks = self._checks(recorded_on)
        best, best_missing = -1, []
        for immunization in candidates:
            missing = [name for name, test in checks if not test(immunization)]
            if len(checks) - len(missing) > best:
                best, best_missing = len(checks) - len(missing), missing
        detail = f"CVX {_codes(self.cvx)} recorded" + (f"; wrong or missing: {', '.join(best_missing)}"
                                                       if best_missing else "")
        return CriterionResult((1 + best) / (1 + len(checks)), not best_missing, detail)


class NoExtraImmunizations(Constraint):
    """No vaccine recorded beyond the ones the task calls for (charting a dose never given is an error)."""

    kind: Literal["no_extra_immunizations"] = "no_extra_immunizations"
    allow_cvx: Texts | None = Field(None, description="CVX code(s) that may be recorded.")
    max_extra: int = Field(0, ge=0, description="How many other vaccines may be recorded.")
    severity_: Literal["none", "penalty", "critical"] = severity_field("penalty")

    def check(self, ctx: RubricContext) -> CriterionResult:
        allowed = set(texts(self.allow_cvx)) if self.allow_cvx else set()
        extra = [i for i in chart.immunizations_by_id(ctx.targets("immunization.record"))
                 if i.cvx not in allowed]
        if len(extra) <= self.max_extra:
            return CriterionResult(1.0, True, f"{len(extra)} other vaccine(s) recorded")
        return CriterionResult(0.0, False, "vaccines recorded beyond what the task calls for: "
                                           + ", ".join(f"{i.display} (CVX {i.cvx})" for i in extra[:10]))


class OtherPatientsUntouched(Constraint):
    """Nothing written to any other patient's chart (wrong-patient errors)."""

    kind: Literal["other_patients_untouched"] = "other_patients_untouched"
    severity_: Literal["none", "penalty", "critical"] = severity_field("critical")

    def check(self, ctx: RubricContext) -> CriterionResult:
        others = sorted({e.patient_id for e in ctx.events if e.patient_id and e.patient_id != ctx.patient.pk})
        if not others:
            return CriterionResult(1.0, True, "only the task's patient was changed")
        mrns = chart.patient_mrns(others)
        return CriterionResult(0.0, False, f"wrote to other patients' charts: {', '.join(mrns)}")
