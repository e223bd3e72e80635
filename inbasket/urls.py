from django.urls import path

from inbasket import views

app_name = "inbasket"

urlpatterns = [
    path("inbasket/", views.inbasket, name="inbasket"),
    path("inbasket/<int:notification_id>/acknowledge/", views.acknowledge, name="acknowledge"),
    path("inbasket/<int:notification_id>/route/", views.route, name="route"),
    path("patients/<str:mrn>/inbasket/", views.chart_inbasket, name="chart_inbasket"),
]
