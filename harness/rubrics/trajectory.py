"""Criteria on the trajectory: where the agent looked, and how many steps it took."""

from typing import Literal, get_args

from django.urls import reverse
from pydantic import Field

from agentenv.actions.chart import ReadableSection
from clinical.chart_sections import chart_section
from harness.rubrics.base import Constraint, Criterion, CriterionResult, RubricContext, severity_field

# Every chart section by name: those read_chart_section reads, plus orders and the In Basket, which a browser
# reaches as a tab and an API agent through the order actions and list_inbasket. Static for the schema, like
# ReadableSection (HarnessConfig.ready() checks that each is registered); clinical.chart_sections gives each one's
# page.
SECTIONS = (*get_args(ReadableSection), "orders", "inbasket")


def _path(route: str) -> str:
    return route.split("?", 1)[0].split("#", 1)[0]


class SectionVisited(Criterion):
    """The agent opened a section of the patient's chart (a page in the browser, or read_chart_section)."""

    kind: Literal["section_visited"] = "section_visited"
    section: Literal[tuple(SECTIONS)] = Field(description=f"One of {', '.join(SECTIONS)}.")  # type: ignore[valid-type]

    def check(self, ctx: RubricContext) -> CriterionResult:
        page = reverse(chart_section(self.section).url_name, kwargs={"mrn": ctx.patient_mrn})
        # The summary is the chart's root: every other section's path starts with it.
        exact = self.section == "summary"
        for route in ctx.routes:
            path = _path(route or "")
            if path == page or (not exact and path.startswith(page)):
                return CriterionResult(1.0, True, f"visited {self.section}")
        return CriterionResult(0.0, False, f"never opened the {self.section} section of this chart")


class StepBudget(Constraint):
    """Done within a number of steps (the step limit truncates; this judges efficiency)."""

    kind: Literal["step_budget"] = "step_budget"
    max_steps: int = Field(ge=1, le=1000, description="Most steps the task should take.")
    severity_: Literal["none", "penalty", "critical"] = severity_field("none")

    def check(self, ctx: RubricContext) -> CriterionResult:
        if ctx.steps_taken <= self.max_steps:
            return CriterionResult(1.0, True, f"{ctx.steps_taken} of {self.max_steps} steps")
        return CriterionResult(0.0, False, f"{ctx.steps_taken} steps, over the budget of {self.max_steps}")


class ChartConsulted(Constraint):
    """The agent looked at the task's patient: an action named their MRN, or a page of their chart was open.

    Without it, the right answer read from another patient's chart would pass whenever the two agree (no
    magnesium in the window for either, the same number of medications). Every rubric has it unless it
    asks for the MRN itself (a lookup task never needs the chart)."""

    kind: Literal["chart_consulted"] = "chart_consulted"
    severity_: Literal["none", "penalty", "critical"] = severity_field("none")

    def check(self, ctx: RubricContext) -> CriterionResult:
        chart = reverse("clinical:chart_summary", kwargs={"mrn": ctx.patient_mrn})
        if any(_path(route or "").startswith(chart) for route in ctx.routes):
            return CriterionResult(1.0, True, "the patient's chart was open")
        if any(ctx.patient_mrn in (str(a.get("mrn", "")), str(a.get("query", "")).strip()) for a in ctx.actions):
            return CriterionResult(1.0, True, "an action named the patient")
        return CriterionResult(0.0, False, "never looked at this patient's chart")
