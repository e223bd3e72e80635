from django.urls import path

from agentenv import apis

app_name = "agentenv"

urlpatterns = [
    path("episodes", apis.EpisodeCreateApi.as_view(), name="episode_reset"),
    path("episodes/<str:episode_id>", apis.EpisodeApi.as_view(), name="episode"),
    path("episodes/<str:episode_id>/step", apis.EpisodeStepApi.as_view(), name="episode_step"),
    path("episodes/<str:episode_id>/trajectory", apis.EpisodeTrajectoryApi.as_view(), name="episode_trajectory"),
    path("actions", apis.ActionListApi.as_view(), name="action_list"),
]
