"""Actions that end the episode. The rubric (task harness) judges what they claim."""

from typing import Literal

from pydantic import Field

from agentenv.actions.registry import Action, ActionContext, ActionResult, action


class Answer(Action):
    """Give the final answer of a question task and end the episode."""

    type: Literal["answer"] = Field(description="Action type.")
    answer: str = Field(min_length=1, max_length=4000, description="The final answer, as asked for by the goal.")


class Finish(Action):
    """Declare the task done and end the episode."""

    type: Literal["finish"] = Field(description="Action type.")
    message: str = Field("", max_length=4000, description="Optional summary of what was done.")


class ReportInfeasible(Action):
    """Declare that the task cannot be done (e.g. it asks for something unsafe) and end the episode."""

    type: Literal["report_infeasible"] = Field(description="Action type.")
    reason: str = Field(min_length=1, max_length=4000, description="Why the task cannot be done.")


@action(Answer)
def answer(act: Answer, context: ActionContext) -> ActionResult:
    return ActionResult(data={"answer": act.answer}, terminal=True, answer=act.answer)


@action(Finish)
def finish(act: Finish, context: ActionContext) -> ActionResult:
    return ActionResult(data={"message": act.message}, terminal=True)


@action(ReportInfeasible)
def report_infeasible(act: ReportInfeasible, context: ActionContext) -> ActionResult:
    return ActionResult(data={"infeasible": True, "reason": act.reason}, terminal=True)
