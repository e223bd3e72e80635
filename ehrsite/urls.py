from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from ehrsite.login_guard import GuardedAdminAuthenticationForm, GuardedAuthenticationForm

admin.site.login_form = GuardedAdminAuthenticationForm

urlpatterns = [
    path("accounts/login/", auth_views.LoginView.as_view(
        redirect_authenticated_user=True, authentication_form=GuardedAuthenticationForm), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("harness/", include("harness.urls")),
    path("api/v1/", include("agentenv.urls")),
    # FHIR R4 over the main database, and over one episode's database (fhirapi/urls.py).
    path("fhir/r4/", include(("fhirapi.urls", "fhir"), namespace="fhir")),
    path("api/v1/episodes/<str:episode_id>/fhir/r4/", include(("fhirapi.urls", "fhir"), namespace="fhir-episode")),
    path("api/v1/", include("harness.api_urls")),  # the task list, beside the episodes it starts
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("", include("clinical.urls")),
    path("", include("notes.urls")),
    path("", include("orders.urls")),
    path("", include("inbasket.urls")),
]
handler404 = "clinical.views.not_found"
handler500 = "ehrsite.errors.server_error"
urlpatterns += [
    path("openenv/", include("agentenv.openenv.urls")),
    path("", include("agentenv.spectator_urls")),
]
