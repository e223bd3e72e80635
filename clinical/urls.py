from django.urls import path

from clinical import views, visit_views

app_name = "clinical"

chart = "patients/<str:mrn>/"

urlpatterns = [
    path("", views.home, name="home"),
    path("patients/", views.patient_list, name="patient_list"),
    path("lookup/", views.patient_lookup, name="patient_lookup"),
    path(chart, views.chart_summary, name="chart_summary"),
    path(chart + "problems/", views.chart_problems, name="chart_problems"),
    path(chart + "medications/", views.chart_medications, name="chart_medications"),
    path(chart + "allergies/", views.chart_allergies, name="chart_allergies"),
    path(chart + "results/", views.chart_results, name="chart_results"),
    path(chart + "results/<str:loinc>/", views.chart_result_trend, name="chart_result_trend"),
    path(chart + "questionnaires/", views.chart_questionnaires, name="chart_questionnaires"),
    path(chart + "vitals/", views.chart_vitals, name="chart_vitals"),
    path(chart + "encounters/", views.chart_encounters, name="chart_encounters"),
    path(chart + "medications/<int:medication_id>/discontinue/", views.medication_discontinue,
         name="medication_discontinue"),
    path(chart + "immunizations/", views.chart_immunizations, name="chart_immunizations"),
    path(chart + "immunizations/record/", views.immunization_record, name="immunization_record"),
    path(chart + "procedures/", views.chart_procedures, name="chart_procedures"),
    path(chart + "visit/", visit_views.chart_visit, name="chart_visit"),
    path(chart + "visit/start/", visit_views.visit_start, name="visit_start"),
    path(chart + "visit/close/", visit_views.visit_close, name="visit_close"),
    path(chart + "visit/vitals/", visit_views.visit_vitals_record, name="visit_vitals_record"),
]
