"""Criteria on the medication list: a drug the patient was taking stopped, and the others kept.

They read the episode's "medication.discontinue" events of entries that were on the list
before the episode (an entry an order of the episode started is the order's business: see
`order_discontinued`). Drugs are identified as orders are (harness.rubrics.orders.DrugIdentity):
an RxNorm code, the drug class or ingredient of the catalog entry with that code, or words of
the drug's name.
"""

from typing import Literal

from pydantic import Field

from clinical.models import AuditEvent, Medication
from clinical.selectors import medication_entries_active, medications_by_id
from harness.rubrics.base import Constraint, Criterion, CriterionResult, RubricContext, Texts, severity_field
from harness.rubrics.orders import DrugIdentity, reason_words


def home_medications_stopped(ctx: RubricContext) -> list[tuple[AuditEvent, Medication]]:
    """The list entries the episode stopped that it had not started itself, with their events, in order."""
    started = set(ctx.targets("medication.start"))
    events = [e for e in ctx.patient_events("medication.discontinue")
              if e.target_id.isdigit() and int(e.target_id) not in started]
    entries = medications_by_id([int(e.target_id) for e in events])
    return [(e, entries[int(e.target_id)]) for e in events if int(e.target_id) in entries]


def _names(entries) -> str:
    return ", ".join(sorted({m.display for m in entries}))


class MedicationDiscontinued(DrugIdentity, Criterion):
    """A drug the patient was taking stopped during the episode, with a reason, and no longer on the active list."""

    kind: Literal["medication_discontinued"] = "medication_discontinued"
    min_reason_words: int = Field(1, ge=0, description="The reason must have at least this many words.")

    def _is_it(self, medication: Medication) -> bool:
        return self.identifies_coded(code=medication.rxnorm, display=medication.display)

    def check(self, ctx: RubricContext) -> CriterionResult:
        stops = [(event, entry) for event, entry in home_medications_stopped(ctx) if self._is_it(entry)]
        if not stops:
            return CriterionResult(0.0, False, f"no {self.what()} on the medication list was stopped in this episode")
        if not any(reason_words(event.details.get("reason")) >= self.min_reason_words for event, _ in stops):
            return CriterionResult(0.5, False, f"{_names(e for _, e in stops)} stopped without a reason of "
                                               f"{self.min_reason_words}+ words")
        active = [m for m in medication_entries_active(ctx.patient) if self._is_it(m)]
        if active:
            return CriterionResult(0.5, False, f"{_names(e for _, e in stops)} stopped, but still on the active "
                                               f"list: {_names(active)}")
        return CriterionResult(1.0, True, f"{_names(e for _, e in stops)} stopped")


class MedicationsKept(Constraint):
    """No drug the patient was taking stopped but the ones allowed (stopping someone's other medicines harms them)."""

    kind: Literal["medications_kept"] = "medications_kept"
    allow_code: Texts | None = Field(None, description="RxNorm code(s) that may be stopped.")
    allow_drug_class: Texts | None = Field(None, description="Catalog drug class(es) that may be stopped.")
    allow_ingredient: Texts | None = Field(None, description="Ingredient name(s) that may be stopped.")
    severity_: Literal["none", "penalty", "critical"] = severity_field("penalty")

    def _allowed(self, medication: Medication) -> bool:
        if not (self.allow_code or self.allow_drug_class or self.allow_ingredient):
            return False
        allowed = DrugIdentity(code=self.allow_code, drug_class=self.allow_drug_class,
                               ingredient=self.allow_ingredient)
        return allowed.identifies_coded(code=medication.rxnorm, display=medication.display)

    def check(self, ctx: RubricContext) -> CriterionResult:
        others = [entry for _, entry in home_medications_stopped(ctx) if not self._allowed(entry)]
        if others:
            return CriterionResult(0.0, False, f"stopped medications the task did not call for: {_names(others)}")
        return CriterionResult(1.0, True, "no other medication stopped")
