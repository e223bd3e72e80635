"""The observation an agent receives after reset and after every step.

Every episode's observation has the goal, the route, the open chart, the result or error
of the last action and the step count. A browser-mode episode's observation also has
what its browser shows: URL, page title, the accessibility tree with element ids, the
focused element and (if asked for at reset) a screenshot.
"""

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

BROWSER_FIELDS = ("url", "title", "axtree", "axtree_txt", "focused_bid", "screenshot")


class Observation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    goal: str = Field(description="The task instruction.")
    route: str = Field(description="The chart page a clinician doing the same thing would be on "
                                   "(browser mode: the path and query of the page the browser is on).")
    patient_mrn: str | None = Field(description="MRN of the chart that is open, if any.")
    last_action_result: Any = Field(description="JSON result of the last action (null after reset or an error).")
    last_action_error: str | None = Field(
        description="Why the last action failed or was invalid; null if it succeeded.")
    step: int = Field(description="Steps taken so far.")
    step_limit: int = Field(description="The episode is truncated when step reaches this.")
    # Browser mode only (absent in API mode).
    url: str | None = Field(None, description="Browser mode: the URL of the page.")
    title: str | None = Field(None, description="Browser mode: the page title.")
    axtree: str | None = Field(None, description='Browser mode: accessibility tree of the page, one node a line: '
                                                 '`[bid] role "name" value=... states`; actions take the bid.')
    axtree_txt: str | None = Field(None, description="Browser mode: the same tree in BrowserGym's flattened text form "
                                                     "(`[bid] role 'name' value='...', property, ...`, a tab per "
                                                     "level), as BrowserGym/AgentLab agents read it.")
    focused_bid: str | None = Field(None, description="Browser mode: bid of the focused element, if it has one.")
    screenshot: str | None = Field(None, description="Browser mode with screenshot=true: PNG of the viewport, base64.")


def observation_of(episode, *, result: Any = None, error: str | None = None, browser: dict | None = None) -> dict:
    """The observation as JSON. `browser`: the page fields of a browser-mode episode."""
    observation = Observation(
        goal=episode.instruction,
        route=episode.route,
        patient_mrn=episode.open_mrn or None,
        last_action_result=result,
        last_action_error=error,
        step=episode.step_count,
        step_limit=episode.step_limit,
        **(browser or {}),
    ).model_dump(mode="json")
    if browser is None:
        for name in BROWSER_FIELDS:
            del observation[name]
    return observation
