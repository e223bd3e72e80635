from django.urls import path

from agentenv.openenv import apis

app_name = "openenv"

urlpatterns = [
    path("reset", apis.ResetApi.as_view(), name="reset"),
    path("step", apis.StepApi.as_view(), name="step"),
    path("state", apis.StateApi.as_view(), name="state"),
    path("health", apis.HealthApi.as_view(), name="health"),
    path("schema", apis.SchemaApi.as_view(), name="schema"),
    path("metadata", apis.MetadataApi.as_view(), name="metadata"),
    path("mcp", apis.McpApi.as_view(), name="mcp"),
    path("openapi.json", apis.OpenApiDocument.as_view(), name="openapi"),
]
