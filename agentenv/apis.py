"""REST API of the environment: reset, step, state, close, trajectory, action schemas.

Thin views: parse with an InputSerializer, call a service or selector, render with an
OutputSerializer. Every client mistake is a 4xx with a message the client can act on.
"""

import uuid

import pydantic
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.exceptions import APIException, NotFound
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from agentenv import disclosure, selectors
from agentenv.actions import action_schemas, action_types
from agentenv.close import episode_close
from agentenv.errors import ActionTooLarge, BrowserElsewhere, CapacityError, EnvironmentUnavailable, EpisodeNotRunning
from agentenv.models import Episode, Step
from agentenv.protocols import reset_links
from agentenv.reset import episode_observation, episode_reset, episode_reset_timings
from agentenv.step import episode_step
from agentenv.wire import ResetRequest, field_errors


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "episode_not_running"


class NoCapacity(APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "no_capacity"

    def __init__(self, detail, *, wait: int):
        super().__init__(detail)
        self.wait = wait  # DRF's exception handler turns this into Retry-After


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


class ObservationSerializer(serializers.Serializer):
    goal = serializers.CharField(help_text="The task instruction.")
    route = serializers.CharField(help_text="The chart page a clinician would be on (browser mode: the page it is on).")
    patient_mrn = serializers.CharField(allow_null=True, help_text="MRN of the open chart.")
    last_action_result = serializers.JSONField(allow_null=True, help_text="JSON result of the last action.")
    last_action_error = serializers.CharField(allow_null=True, help_text="Why the last action failed, or null.")
    step = serializers.IntegerField()
    step_limit = serializers.IntegerField()
    # Browser mode only: absent from API-mode observations. Not `allow_null`: DRF would then
    # render a missing key as null instead of leaving it out (a present null stays null).
    url = serializers.CharField(required=False, help_text="Browser mode: URL of the page.")
    title = serializers.CharField(required=False, help_text="Browser mode: page title.")
    axtree = serializers.CharField(
        required=False,
        help_text='Browser mode: accessibility tree, one node a line: `[bid] role "name" value=... states`.'
    )
    axtree_txt = serializers.CharField(
        required=False,
        help_text="Browser mode: the accessibility tree in BrowserGym's flattened text form "
                  "(`[bid] role 'name' value='...', property, ...`); null in a stored trajectory (it is the axtree's).",
    )
    focused_bid = serializers.CharField(required=False, help_text="Browser mode: focused element's bid, or null.")
    screenshot = serializers.CharField(
        required=False, help_text="Browser mode with screenshot=true: PNG of the viewport, base64; else null."
    )


@extend_schema_field({"oneOf": [
    {
        "type": "object",
        "required": ["type"],
        "additionalProperties": True,
        "description": "One action; GET /api/v1/actions gives the JSON schema of each type.",
        "properties": {"type": {"type": "string", "enum": action_types()}},
    },
    {
        "type": "string",
        "minLength": 1,
        "description": "A BrowserGym action string, e.g. \"click('12')\": short for "
                       "{\"type\": \"browsergym\", \"action\": ...}.",
    },
]})
class ActionField(serializers.JSONField):
    def to_internal_value(self, data):
        data = super().to_internal_value(data)
        if isinstance(data, str) and data.strip():
            # What a BrowserGym agent answers with, as it is (agentenv.actions.browsergym reads it).
            data = {"type": "browsergym", "action": data}
        if not isinstance(data, dict):
            raise serializers.ValidationError("Must be a JSON object (or a BrowserGym action string).")
        if not isinstance(data.get("type"), str):
            raise serializers.ValidationError({"type": "Every action needs a string `type`."})
        return data


def _episode(request, episode_id: str) -> Episode:
    try:
        return selectors.episode_get_for_owner(episode_id=uuid.UUID(episode_id), owner=request.user)
    except (ValueError, Episode.DoesNotExist):
        raise NotFound("No such episode.") from None


class EpisodeStateSerializer(serializers.ModelSerializer):
    episode_id = serializers.UUIDField(source="id")
    holds_database = serializers.SerializerMethodField()
    patient_mrn = serializers.SerializerMethodField(
        help_text="The patient you named at reset; null for a task (its instruction names the patient).")

    class Meta:
        model = Episode
        fields = [
            "episode_id", "status", "task_id", "patient_mrn", "instruction", "seed", "step_count", "step_limit",
            "cumulative_reward", "route", "open_mrn", "answer", "error", "mode", "screenshot", "set_of_marks",
            "channel", "from_pool", "reset_ms", "holds_database", "score", "success",
            "created_at", "started_at", "ended_at", "last_step_at", "expires_at", "released_at",
        ]

    def get_holds_database(self, episode) -> bool:
        return episode.released_at is None

    def get_patient_mrn(self, episode) -> str | None:
        return disclosure.patient_mrn(episode)


class EpisodeCreateApi(APIView):
    class InfoSerializer(serializers.Serializer):
        class Meta:
            ref_name = "EpisodeResetInfo"

        status = serializers.CharField()
        task_id = serializers.CharField(allow_blank=True)
        patient_mrn = serializers.CharField(
            allow_null=True, help_text="The patient you named at reset; null for a task (its instruction names the "
                                       "patient, or asks you to find them).")
        seed = serializers.IntegerField()
        from_pool = serializers.BooleanField()
        reset_ms = serializers.FloatField()
        mode = serializers.CharField()
        timings_ms = serializers.DictField(child=serializers.FloatField())
        action_types = serializers.ListField(child=serializers.CharField())

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "EpisodeResetOutput"

        episode_id = serializers.UUIDField()
        observation = ObservationSerializer()
        info = serializers.DictField()

    @extend_schema(
        operation_id="episode_reset",
        summary="Start an episode (reset) on a fresh copy of the golden database",
        request=ResetRequest,
        responses={
            201: OutputSerializer,
            400: OpenApiResponse(description="Field errors (e.g. unknown patient MRN)."),
            503: OpenApiResponse(ErrorSerializer, description="No free episode slot; retry after Retry-After seconds."),
        },
    )
    def post(self, request):
        if not isinstance(request.data, dict):
            raise ApiValidationError({"non_field_errors": ["The body must be a JSON object."]})
        try:
            given = ResetRequest.model_validate(dict(request.data.items()))
        except pydantic.ValidationError as error:
            raise ApiValidationError(field_errors(error)) from None
        try:
            episode = episode_reset(owner=request.user, parameters=given.parameters())
        except DjangoValidationError as error:
            raise ApiValidationError(error.message_dict) from None
        except CapacityError as error:
            raise NoCapacity(str(error), wait=CapacityError.retry_after_s) from None
        except EnvironmentUnavailable as error:
            raise NoCapacity(str(error), wait=CapacityError.retry_after_s) from None
        info = self.InfoSerializer({
            "status": episode.status, "task_id": episode.task_id, "patient_mrn": disclosure.patient_mrn(episode),
            "seed": episode.seed,
            "from_pool": episode.from_pool, "reset_ms": episode.reset_ms, "mode": episode.mode,
            "timings_ms": episode_reset_timings(episode=episode), "action_types": action_types(),
        }).data
        info.update(reset_links(request, episode))  # e.g. fhir_base_url: the episode's FHIR R4 base
        output = self.OutputSerializer({
            "episode_id": episode.id, "observation": episode_observation(episode=episode), "info": info,
        })
        return Response(output.data, status=status.HTTP_201_CREATED)


class EpisodeApi(APIView):
    """State (GET) and close (DELETE) of one episode."""

    @extend_schema(
        operation_id="episode_state",
        summary="State of an episode",
        responses={200: EpisodeStateSerializer, 404: OpenApiResponse(ErrorSerializer)},
    )
    def get(self, request, episode_id: str):
        return Response(EpisodeStateSerializer(_episode(request, episode_id)).data)

    @extend_schema(
        operation_id="episode_close",
        summary="Close an episode and drop its database (the trajectory is kept)",
        responses={200: EpisodeStateSerializer, 404: OpenApiResponse(ErrorSerializer)},
    )
    def delete(self, request, episode_id: str):
        episode = episode_close(episode=_episode(request, episode_id), drop_in_background=True)
        return Response(EpisodeStateSerializer(episode).data)


class EpisodeStepApi(APIView):
    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "EpisodeStepInput"

        action = ActionField()

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "EpisodeStepOutput"

        observation = ObservationSerializer()
        reward = serializers.FloatField()
        terminated = serializers.BooleanField(
            help_text="The agent ended the episode (answer, finish, report_infeasible).")
        truncated = serializers.BooleanField(help_text="The step limit ran out.")
        info = serializers.DictField()

    @extend_schema(
        operation_id="episode_step",
        summary="Take one action; an invalid action is reported in the observation, with a penalty",
        request=InputSerializer,
        responses={
            200: OutputSerializer,
            400: OpenApiResponse(description="The body is not {\"action\": {\"type\": ...}}."),
            404: OpenApiResponse(ErrorSerializer),
            409: OpenApiResponse(ErrorSerializer, description="The episode has ended, or its local browser runs in "
                                                               "another server process (the message names it)."),
        },
    )
    def post(self, request, episode_id: str):
        episode = _episode(request, episode_id)
        given = self.InputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        try:
            step = episode_step(episode=episode, action=given.validated_data["action"])
        except (EpisodeNotRunning, BrowserElsewhere) as error:
            raise Conflict(str(error)) from None
        except ActionTooLarge as error:
            raise ApiValidationError({"action": [str(error)]}) from None
        info = {
            "status": step.episode.status,
            "action_type": given.validated_data["action"]["type"],
            "cumulative_reward": step.episode.cumulative_reward,
            "timings_ms": {**step.info.get("timings_ms", {}), "step": round(step.duration_ms, 3)},
            **({"events": step.info["events"]} if step.info.get("events") else {}),
            # Task episodes: the reward's parts and progress; which criteria passed once the episode ends.
            **disclosure.step_info({"rubric": step.info.get("rubric")}, ended=step.terminated or step.truncated),
        }
        # OutputSerializer documents this answer. Its parts are JSON already (the observation is
        # agentenv.observations.Observation dumped as JSON), so they are sent as they are, not walked again.
        return Response({"observation": step.observation, "reward": float(step.reward),
                         "terminated": step.terminated, "truncated": step.truncated, "info": info})


class EpisodeTrajectoryApi(APIView):
    class StepSerializer(serializers.ModelSerializer):
        class Meta:
            model = Step
            fields = ["index", "action", "observation", "reward", "error", "terminated", "truncated",
                      "started_at", "duration_ms", "info"]

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "EpisodeTrajectoryOutput"

        episode_id = serializers.UUIDField()
        status = serializers.CharField()
        cumulative_reward = serializers.FloatField()
        steps = serializers.ListField(child=serializers.DictField())

    @extend_schema(
        operation_id="episode_trajectory",
        summary="Every step of an episode, in order",
        responses={200: OutputSerializer, 404: OpenApiResponse(ErrorSerializer)},
    )
    def get(self, request, episode_id: str):
        episode = _episode(request, episode_id)
        steps = self.StepSerializer(selectors.episode_trajectory(episode), many=True).data
        for step in steps:  # the rubric as the agent saw it at that step (staff read the whole in harness pages)
            step["info"] = disclosure.step_info(step["info"] or {}, ended=step["terminated"] or step["truncated"])
        output = self.OutputSerializer({
            "episode_id": episode.id, "status": episode.status, "cumulative_reward": episode.cumulative_reward,
            "steps": steps,
        })
        return Response(output.data)


class ActionListApi(APIView):
    class ActionSchemaSerializer(serializers.Serializer):
        class Meta:
            ref_name = "ActionSchema"

        type = serializers.CharField()
        description = serializers.CharField()
        json_schema = serializers.DictField(help_text="JSON schema of the action object.")

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "ActionListOutput"

        actions = serializers.ListField(child=serializers.DictField())

    @extend_schema(
        operation_id="action_list",
        summary="JSON schema of every action the step endpoint accepts",
        responses={200: OutputSerializer},
    )
    def get(self, request):
        actions = [
            self.ActionSchemaSerializer(
                {"type": kind, "description": schema.get("description", ""), "json_schema": schema}).data
            for kind, schema in action_schemas().items()
        ]
        return Response(self.OutputSerializer({"actions": actions}).data)
