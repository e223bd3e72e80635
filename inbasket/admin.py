from django.contrib import admin

from inbasket.models import ResultNotification


@admin.register(ResultNotification)
class ResultNotificationAdmin(admin.ModelAdmin):
    list_display = ("patient", "observation", "kind", "status", "resulted_at", "acknowledged_by")
    list_filter = ("kind", "status")
    search_fields = ("patient__mrn", "observation__display", "observation__loinc")
    raw_id_fields = ("patient", "observation")
