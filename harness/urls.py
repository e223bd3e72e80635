from django.urls import path

from harness import views

app_name = "harness"

urlpatterns = [
    path("evaluations/", views.evaluation_list, name="evaluation_list"),
    path("evaluations/<int:pk>/", views.evaluation_detail, name="evaluation_detail"),
    path("evaluations/<int:pk>/report/", views.evaluation_report, name="evaluation_report"),
    path("evaluations/<int:pk>/trajectories.jsonl", views.evaluation_jsonl, name="evaluation_jsonl"),
    path("episodes/", views.episode_list, name="episode_list"),
    path("episodes/<uuid:pk>/", views.episode_detail, name="episode_detail"),
    path("episodes/<uuid:pk>/trajectory.jsonl", views.episode_jsonl, name="episode_jsonl"),
]
