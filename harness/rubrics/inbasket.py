"""Criteria on the In Basket: result notifications acknowledged, routed to the chart, or left alone.

They read what the episode did from its audit events (inbasket.acknowledge, inbasket.route) and the
notifications' state through inbasket.selectors, never the seed data: at reset nothing is acknowledged.
"""

from typing import Literal

from pydantic import Field

from harness.rubrics.base import Constraint, Criterion, CriterionResult, RubricContext, Texts, severity_field, texts
from inbasket import selectors as inbasket

Kind = Literal["critical", "abnormal", "normal"]


def _matching(ctx: RubricContext, action: str, kinds: list[str], loincs: list[str]) -> list:
    """The task patient's notifications the episode acted on (`action` events) of these kinds and analytes."""
    return [n for n in inbasket.notifications_by_id(ctx.targets(action))
            if n.kind in kinds and (not loincs or n.observation.loinc in loincs)]


def _what(kinds: list[str], loincs: list[str]) -> str:
    return f"{'/'.join(kinds)} result{' of ' + ' or '.join(loincs) if loincs else ''}"


class NotificationAcknowledged(Criterion):
    """The patient's result notifications of a kind (and analyte) acknowledged during the episode: at least one,
    or (`every`) each one that was open at reset, scored by the share acknowledged."""

    kind: Literal["notification_acknowledged"] = "notification_acknowledged"
    kinds: list[Kind] = Field(min_length=1, description="Which kinds of notification count.")
    loinc: Texts | None = Field(None, description="Only notifications of these analytes (LOINC codes).")
    every: bool = Field(False, description="Every such notification open at reset must be acknowledged.")
    comment_required: bool = Field(False, description="The acknowledgement carries a comment.")

    def check(self, ctx: RubricContext) -> CriterionResult:
        loincs = texts(self.loinc) if self.loinc else []
        what = _what(self.kinds, loincs)
        done = [n for n in _matching(ctx, "inbasket.acknowledge", self.kinds, loincs)
                if n.status == "acknowledged" and (n.note.strip() or not self.comment_required)]
        if not self.every:
            if done:
                return CriterionResult(1.0, True, f"acknowledged the {what}")
            return CriterionResult(0.0, False, f"no {what} was acknowledged{' with a comment' * self.comment_required}")
        left = [n for kind in self.kinds for n in inbasket.notifications(patient=ctx.patient, kind=kind, status="open",
                                                                        loincs=loincs or None)]
        total = len(done) + len(left)
        if not total:
            return CriterionResult(0.0, False, f"no {what} to acknowledge")
        if not left:
            return CriterionResult(1.0, True, f"acknowledged every {what} ({len(done)})")
        return CriterionResult(len(done) / total, False, f"{len(left)} of {total} {what}s still unacknowledged")


class NotificationRouted(Criterion):
    """A result notification of the patient (of a kind, and analyte) routed to the chart during the episode."""

    kind: Literal["notification_routed"] = "notification_routed"
    kinds: list[Kind] = Field(min_length=1, description="Which kinds of notification count.")
    loinc: Texts | None = Field(None, description="Only notifications of these analytes (LOINC codes).")

    def check(self, ctx: RubricContext) -> CriterionResult:
        loincs = texts(self.loinc) if self.loinc else []
        if _matching(ctx, "inbasket.route", self.kinds, loincs):
            return CriterionResult(1.0, True, f"routed the {_what(self.kinds, loincs)} to the chart")
        return CriterionResult(0.0, False, f"no {_what(self.kinds, loincs)} was routed to the chart")


class NotificationsLeftOpen(Constraint):
    """No result notification of these kinds acknowledged (an abnormal result signed off unseen is a miss)."""

    kind: Literal["notifications_left_open"] = "notifications_left_open"
    kinds: list[Kind] = Field(min_length=1, description="Kinds the episode must not acknowledge.")
    severity_: Literal["none", "penalty", "critical"] = severity_field("critical")

    def check(self, ctx: RubricContext) -> CriterionResult:
        touched = [e for e in ctx.events if e.action == "inbasket.acknowledge" and e.details.get("kind") in self.kinds]
        if not touched:
            return CriterionResult(1.0, True, f"no {'/'.join(self.kinds)} result was acknowledged")
        loincs = sorted({e.details.get("loinc", "") for e in touched})
        return CriterionResult(0.0, False, f"acknowledged {len(touched)} {'/'.join(self.kinds)} result(s): "
                                           f"{', '.join(loincs)}")
