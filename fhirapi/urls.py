"""The FHIR base URLs: /fhir/r4/ (main database) and /api/v1/episodes/<id>/fhir/r4/ (an episode's chart).

ehrsite/urls.py includes these patterns twice, as namespaces `fhir` and `fhir-episode`.
"""

from django.urls import path, re_path, reverse

from fhirapi import views

urlpatterns = [
    path("", views.BaseApi.as_view(), name="base"),
    path("metadata", views.CapabilityApi.as_view(), name="metadata"),
    path("<str:resource>", views.TypeApi.as_view(), name="type"),
    path("<str:resource>/<str:ident>", views.InstanceApi.as_view(), name="instance"),
    re_path(r"^.*$", views.UnknownApi.as_view(), name="unknown"),
]


def episode_base_url(request, episode) -> str:
    """The absolute FHIR base of an episode (the REST reset names it as info.fhir_base_url)."""
    return request.build_absolute_uri(reverse("fhir-episode:base", kwargs={"episode_id": str(episode.id)}))
