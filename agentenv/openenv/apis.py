"""OpenEnv's HTTP endpoints.

An OpenEnv HTTP server runs one environment; here every API token has one *current*
episode instead: POST /openenv/reset starts it (closing the token owner's previous
OpenEnv HTTP episode, which would otherwise hold a database until its TTL), and
/openenv/step and /openenv/state act on it. Clients that run many episodes at once use
the WebSocket (one episode per connection) or the REST API (episode ids in the URL).

Token authentication only (`Authorization: Bearer <token>`): no cookie session can
reach these, least of all an episode browser's.
"""

import json

from drf_spectacular.renderers import OpenApiJsonRenderer
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from drf_spectacular.views import SpectacularAPIView
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from agentenv.authentication import TokenOrBearerAuthentication
from agentenv.errors import CapacityError
from agentenv.mcp import jsonrpc
from agentenv.mcp.tools import EpisodeSlot
from agentenv.models import Episode
from agentenv.openenv import protocol

ERROR = inline_serializer("OpenEnvError", {"detail": serializers.CharField(), "code": serializers.CharField()})
PAYLOAD = inline_serializer("OpenEnvObservation", {
    "observation": serializers.DictField(), "reward": serializers.FloatField(allow_null=True),
    "done": serializers.BooleanField(), "metadata": serializers.DictField(),
})


def _error(error: protocol.ProtocolError) -> Response:
    # A 503 (no free slot, no database copy) is worth retrying: say when, as the REST API does.
    headers = {"Retry-After": str(CapacityError.retry_after_s)} if error.status == 503 else None
    return Response({"detail": error.message, "code": error.code}, status=error.status, headers=headers)


def current_episode(user) -> Episode | None:
    """The token owner's current OpenEnv HTTP episode: the one its latest reset started."""
    return Episode.objects.filter(owner=user, channel=Episode.Channel.OPENENV_HTTP).select_related("owner").first()


class _TokenApi(APIView):
    authentication_classes = [TokenOrBearerAuthentication]


class ResetApi(_TokenApi):
    @extend_schema(
        operation_id="openenv_reset", summary="OpenEnv reset: start this token's current episode",
        request=protocol.ResetParams,
        responses={200: PAYLOAD, 422: OpenApiResponse(ERROR), 503: OpenApiResponse(ERROR)},
    )
    def post(self, request):
        try:
            params = protocol.reset_params(request.data)
            # Validated first: a mistyped reset must not end the episode that is running.
            protocol.close(episode=current_episode(request.user))
            _, payload = protocol.reset(owner=request.user, params=params, channel=Episode.Channel.OPENENV_HTTP)
        except protocol.ProtocolError as error:
            return _error(error)
        return Response(payload)


class StepApi(_TokenApi):
    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "OpenEnvStepRequest"

        action = serializers.DictField(help_text="One action; GET /openenv/schema gives the schema.")
        request_id = serializers.CharField(required=False, max_length=255, help_text="Echoed in metadata.")

    @extend_schema(
        operation_id="openenv_step", summary="OpenEnv step on this token's current episode",
        request=InputSerializer,
        responses={200: PAYLOAD, 409: OpenApiResponse(ERROR), 422: OpenApiResponse(ERROR)},
    )
    def post(self, request):
        unknown = set(request.data) - {"action", "request_id"} if isinstance(request.data, dict) else set()
        given = self.InputSerializer(data=request.data)
        valid = given.is_valid()
        if unknown or not valid:
            problems = {**({} if valid else given.errors), **{key: ["Unknown field."] for key in unknown}}
            detail = "; ".join(f"{field}: {' '.join(map(str, messages))}" for field, messages in problems.items())
            return _error(protocol.ProtocolError(f"Invalid step request: {detail}", protocol.VALIDATION_ERROR, 422))
        try:
            _, payload = protocol.step(episode=current_episode(request.user), action=given.validated_data["action"])
        except protocol.ProtocolError as error:
            return _error(error)
        if "request_id" in given.validated_data:
            payload["metadata"]["request_id"] = given.validated_data["request_id"]
        return Response(payload)


class StateApi(_TokenApi):
    @extend_schema(operation_id="openenv_state", summary="OpenEnv state of this token's current episode",
                   responses={200: OpenApiResponse(description="EpisodeState"), 404: OpenApiResponse(ERROR)})
    def get(self, request):
        episode = current_episode(request.user)
        if episode is None:
            return Response({"detail": "No episode: POST /openenv/reset first.", "code": protocol.SESSION_ERROR},
                            status=404)
        return Response(protocol.episode_state(episode))


class _PublicApi(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]


class HealthApi(_PublicApi):
    @extend_schema(operation_id="openenv_health", summary="OpenEnv health check",
                   responses={200: inline_serializer("OpenEnvHealth", {"status": serializers.CharField()})})
    def get(self, request):
        return Response({"status": "healthy"})


class SchemaApi(_PublicApi):
    @extend_schema(operation_id="openenv_schema", summary="JSON schemas of the action, observation and state",
                   responses={200: OpenApiResponse(description="OpenEnv SchemaResponse")})
    def get(self, request):
        return Response(protocol.schemas())


class MetadataApi(_PublicApi):
    @extend_schema(operation_id="openenv_metadata", summary="OpenEnv environment metadata",
                   responses={200: OpenApiResponse(description="OpenEnv EnvironmentMetadata")})
    def get(self, request):
        return Response(protocol.metadata())


class McpApi(APIView):
    """OpenEnv's MCP endpoint: JSON-RPC tools/list and tools/call (agentenv.mcp.jsonrpc). Listing needs no token;
    a tool call acts on this token's current episode, the one the latest reset (POST /openenv/reset or the
    reset_task tool) started. A malformed request is a JSON-RPC error (HTTP 200), as JSON-RPC over HTTP answers."""

    authentication_classes = [TokenOrBearerAuthentication]
    permission_classes = [AllowAny]

    # JSON-RPC, not REST: every answer is a 200 carrying a result or an error, which OpenAPI cannot describe (and a
    # schema-driven fuzzer would take for a departure from it). Documented in the README instead.
    @extend_schema(exclude=True)
    def post(self, request):
        try:
            message = json.loads(request.body)
        except (ValueError, UnicodeDecodeError):
            return Response(jsonrpc.error(jsonrpc.PARSE_ERROR, "Parse error: the body is not JSON."))
        user = request.user if request.user.is_authenticated else None

        def slot():
            return EpisodeSlot(owner=user, channel=Episode.Channel.OPENENV_HTTP, episode=current_episode(user)) \
                if user is not None else None

        try:
            answer = jsonrpc.jsonrpc_answer(message, slot)
        except jsonrpc.Unauthorized as refused:
            return Response(jsonrpc.error(jsonrpc.UNAUTHORIZED, str(refused), message.get("id")), status=401,
                            headers={"WWW-Authenticate": 'Bearer realm="api"'})
        return Response(answer) if answer is not None else Response(status=202)


class OpenApiDocument(SpectacularAPIView):
    """The OpenAPI document of the OpenEnv endpoints alone, paths relative to /openenv (what `openenv validate`
    reads: info.version, and /reset, /step and /state for simulation mode)."""

    urlconf = "agentenv.openenv.urls"
    renderer_classes = [OpenApiJsonRenderer]  # JSON whatever the client accepts: the name says .json
    custom_settings = {
        "TITLE": "EHRGym OpenEnv", "VERSION": "1.0.0", "SERVERS": [{"url": "/openenv"}],
        "DESCRIPTION": "OpenEnv's HTTP endpoints of EHRGym; the WebSocket is /openenv/ws.",
    }
