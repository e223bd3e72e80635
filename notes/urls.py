from django.urls import path

from notes import views

app_name = "notes"

urlpatterns = [
    path("patients/<str:mrn>/notes/", views.chart_notes, name="chart_notes"),
    path("patients/<str:mrn>/notes/<int:note_id>/", views.note_detail, name="note_detail"),
]
