"""Spectator pages (mounted at the site root: /episodes/<id>/watch). Their WebSocket,
/ws/episodes/<id>/watch, is routed in ehrsite/asgi.py."""

from django.urls import path

from agentenv import spectator

app_name = "spectator"

urlpatterns = [
    path("episodes/<uuid:episode_id>/watch", spectator.watch, name="watch"),
    path("episodes/<uuid:episode_id>/steps/<int:index>/thumbnail.jpg", spectator.thumbnail, name="thumbnail"),
]
