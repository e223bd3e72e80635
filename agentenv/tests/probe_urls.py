"""A page that lists the patients of whatever database the request is bound to."""

from django.http import JsonResponse
from django.urls import include, path

from clinical.models import Patient


def patients(request):
    return JsonResponse({"patients": list(Patient.objects.order_by("mrn").values_list("mrn", "code_status"))})


urlpatterns = [path("probe/patients/", patients), path("", include("clinical.urls"))]
