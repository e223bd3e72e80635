"""A page that lists the patients of whatever database the request is bound to.

It is served in the `clinical` URL namespace, as an EHR page: an episode's browser may
open only those (agentenv.browser.isolation)."""

from django.http import JsonResponse
from django.urls import include, path

from clinical.models import Patient
from clinical.urls import urlpatterns as clinical_urlpatterns


def patients(request):
    return JsonResponse({"patients": list(Patient.objects.order_by("mrn").values_list("mrn", "code_status"))})


urlpatterns = [path("", include(([path("probe/patients/", patients), *clinical_urlpatterns], "clinical")))]
