"""The observation an agent receives after reset and after every step."""

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Observation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    goal: str = Field(description="The task instruction.")
    route: str = Field(description="The chart page a clinician doing the same thing would be on.")
    patient_mrn: str | None = Field(description="MRN of the chart that is open, if any.")
    last_action_result: Any = Field(description="JSON result of the last semantic action (null after reset or an error).")
    last_action_error: str | None = Field(description="Why the last action failed or was invalid; null if it succeeded.")
    step: int = Field(description="Steps taken so far.")
    step_limit: int = Field(description="The episode is truncated when step reaches this.")


def observation_of(episode, *, result: Any = None, error: str | None = None) -> dict:
    return Observation(
        goal=episode.instruction,
        route=episode.route,
        patient_mrn=episode.open_mrn or None,
        last_action_result=result,
        last_action_error=error,
        step=episode.step_count,
        step_limit=episode.step_limit,
    ).model_dump(mode="json")
