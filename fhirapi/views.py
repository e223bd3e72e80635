"""The FHIR R4 endpoints: thin views over reads, writes and the CapabilityStatement.

Token authentication only (the API's tokens; no session cookies, so an episode's browser cannot reach it).
Every answer is FHIR JSON; every error an OperationOutcome with its HTTP status.
"""

import logging

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.permissions import SAFE_METHODS, IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from agentenv.authentication import TokenOrBearerAuthentication
from fhirapi.capability import capability_statement
from fhirapi.interactions import fhir_get, fhir_post
from fhirapi.outcomes import ISSUE_CODES, FHIRError, operation_outcome
from fhirapi.reads import resource_type
from fhirapi.scopes import Scope, episode_scope, main_scope

logger = logging.getLogger(__name__)


class FHIRJSONRenderer(JSONRenderer):
    media_type = "application/fhir+json"


class LegacyFHIRJSONRenderer(JSONRenderer):
    media_type = "application/json+fhir"  # what DSTU2-era clients still send in Accept


class AuthenticatedOrPublicRead(IsAuthenticated):
    """A token, except for reads of the main database when EHRGYM_FHIR_PUBLIC_READS is on (for harnesses that send
    none, such as MedAgentBench's, on a loopback server). An episode's FHIR API always needs its owner's token."""

    def has_permission(self, request, view):
        if settings.EHRGYM_FHIR_PUBLIC_READS and request.method in SAFE_METHODS and "episode_id" not in view.kwargs:
            return True
        return super().has_permission(request, view)


class FHIRApi(APIView):
    authentication_classes = [TokenOrBearerAuthentication]
    permission_classes = [AuthenticatedOrPublicRead]
    renderer_classes = [FHIRJSONRenderer, JSONRenderer, LegacyFHIRJSONRenderer]
    parser_classes = []  # writes read the raw body: their errors are OperationOutcomes too
    schema = None  # not in the OpenAPI document: GET metadata describes this API

    def scope(self, request, kwargs) -> Scope:
        if "episode_id" in kwargs:
            base = reverse("fhir-episode:base", kwargs={"episode_id": kwargs["episode_id"]})
            return episode_scope(request, kwargs["episode_id"], request.build_absolute_uri(base))
        return main_scope(request, request.build_absolute_uri(reverse("fhir:base")))

    def handle_exception(self, exc):
        if isinstance(exc, FHIRError):
            return Response(exc.outcome(), status=exc.status, headers=exc.headers)
        if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
            response = Response(operation_outcome(str(exc.detail), code="login"), status=401)
            response["WWW-Authenticate"] = 'Bearer realm="api"'
            return response
        if isinstance(exc, exceptions.APIException):
            return Response(operation_outcome(str(exc.detail), code=ISSUE_CODES.get(exc.status_code, "processing")),
                            status=exc.status_code)
        logger.exception("FHIR request %s %s failed", self.request.method, self.request.path)
        return Response(operation_outcome("Internal server error: the server's log has the details.",
                                          code="exception"), status=500)


class BaseApi(FHIRApi):
    def get(self, request, **kwargs):
        self.scope(request, kwargs)
        raise FHIRError(404, "Nothing is served at the base: GET metadata, or a resource type to search it.")


class CapabilityApi(FHIRApi):
    def get(self, request, **kwargs):
        scope = self.scope(request, kwargs)
        return Response(capability_statement(base_url=scope.base_url, date=timezone.now().date().isoformat()))


class TypeApi(FHIRApi):
    """GET: search; POST: create."""

    def get(self, request, resource: str, **kwargs):
        resource_type(resource)
        scope = self.scope(request, kwargs)
        query = {name: request.GET.getlist(name) for name in request.GET}
        return Response(fhir_get(scope, resource, query=query))

    def post(self, request, resource: str, **kwargs):
        resource_type(resource)
        scope = self.scope(request, kwargs)
        created, location = fhir_post(scope, resource, request.body)
        return Response(created, status=201, headers={"Location": location})


class InstanceApi(FHIRApi):
    def get(self, request, resource: str, ident: str, **kwargs):
        resource_type(resource)
        scope = self.scope(request, kwargs)
        return Response(fhir_get(scope, resource, ident=ident))


class UnknownApi(FHIRApi):
    """Any other path under a FHIR base: an OperationOutcome, not the EHR's HTML 404 page."""

    def get(self, request, **kwargs):
        raise FHIRError(404, f"Nothing is served at {request.path}; GET metadata lists what is.")

    post = put = patch = delete = get
