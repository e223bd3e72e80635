"""What a reset asks for, defined once for every protocol (REST, OpenEnv HTTP and WebSocket).

Each protocol adapts this to its own envelope and error format; the fields, their limits
and their meaning are the same everywhere. Unknown fields are refused: a mistyped option
(`"sed": 3`) must not start an episode that silently ignores it.
"""

from typing import Literal

import pydantic
from pydantic import BaseModel, ConfigDict, Field

from agentenv.models import Episode
from agentenv.reset import ResetParameters


class ResetRequest(BaseModel):
    """Start an episode: a task's instance (task_id, seed) or a free goal (patient_mrn, instruction)."""

    # The rule "task_id, or patient_mrn and instruction" is checked at reset; the schema states it too, so
    # schema-driven clients (and fuzzers) know an empty body is not a valid request.
    model_config = ConfigDict(extra="forbid", json_schema_extra={"anyOf": [
        {"required": ["task_id"], "properties": {"task_id": {"minLength": 1}}},
        {"required": ["patient_mrn", "instruction"],
         "properties": {"patient_mrn": {"minLength": 1}, "instruction": {"minLength": 1}}},
    ]})

    task_id: str = Field("", max_length=120, description="A published task (GET /api/v1/tasks): the seed picks its "
                                                         "patient and variant, and the goal is rendered from the "
                                                         "chart. Without it, give patient_mrn and instruction.")
    patient_mrn: str = Field("", max_length=20, description="MRN of the patient (with task_id: optional, one of that "
                                                            "patient's instances).")
    instruction: str = Field("", max_length=20000, description="The goal, when no task_id is given.")
    seed: int | None = Field(None, ge=0, le=2**62, description="Seed of the episode's randomness (with task_id: which "
                                                               "instance). Default: a random one.")
    split: Literal["", "train", "heldout"] = Field("", description="With task_id: draw from the train or the held-out "
                                                                   "split (one in five instances, for evaluation). "
                                                                   "Default: any instance.")
    step_limit: int | None = Field(None, ge=1, le=1000, description="Steps before the episode is truncated. Default: "
                                                                    "the task's.")
    mode: Literal["api", "browser"] = Field("api", description="api: semantic actions only; browser: the episode also "
                                                               "gets its own headless Chromium.")
    screenshot: bool = Field(False, description="Browser mode: a PNG screenshot in every observation.")
    set_of_marks: bool = Field(False, description="Browser mode with screenshot: element-id boxes drawn on the "
                                                  "screenshot.")

    def parameters(self, *, channel: str = Episode.Channel.REST, client_episode_id: str = "") -> ResetParameters:
        """The parameters of agentenv.reset.episode_reset these fields stand for, arriving on `channel`."""
        return ResetParameters(**{name: getattr(self, name) for name in ResetRequest.model_fields},
                               channel=channel, client_episode_id=client_episode_id)


def field_errors(error: pydantic.ValidationError) -> dict[str, list[str]]:
    """A validation error as {field: [messages]} ("non_field_errors" for the request as a whole)."""
    fields: dict[str, list[str]] = {}
    for item in error.errors(include_url=False):
        name = ".".join(str(part) for part in item["loc"]) or "non_field_errors"
        message = "Unknown field." if item["type"] == "extra_forbidden" else item["msg"]
        fields.setdefault(name, []).append(message)
    return fields
