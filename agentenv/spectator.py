"""The spectator view: watch an episode step by step, live or replayed from its trajectory.

Each committed step is published to the channel layer group of its episode (in-memory in
one process; Redis with REDIS_URL), and every open watch page of that episode receives it
over its WebSocket (agentenv.consumers.SpectatorConsumer). The page itself is rendered on
the server from the trajectory, so a finished episode needs no socket to be read, and its
Replay button walks through the same steps.

Only the episode's owner and staff may watch; anyone else gets the same 404 as for an
episode that does not exist.
"""

import base64
import io
import json
import logging
import os
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.contrib.auth.decorators import login_required
from django.db import connections
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import cache_control

from agentenv.models import Episode, Step

logger = logging.getLogger(__name__)

MESSAGE_TYPE = "spectator.message"  # handled by SpectatorConsumer.spectator_message


def group_name(episode_id) -> str:
    return f"ehrgym.episode.{episode_id}"


def episode_for_viewer(*, episode_id, user) -> Episode:
    """The episode if `user` may watch it (its owner, or staff); Episode.DoesNotExist otherwise."""
    episodes = Episode.objects.select_related("owner")
    if not user.is_staff:
        episodes = episodes.filter(owner=user)
    return episodes.get(pk=episode_id)


# --- Messages ------------------------------------------------------------------------------


def thumbnail_url(step: Step) -> str | None:
    if not step.thumbnail:
        return None
    return reverse("spectator:thumbnail", kwargs={"episode_id": step.episode_id, "index": step.index})


def step_message(step: Step) -> dict:
    observation = step.observation or {}
    return {
        "kind": "step",
        "index": step.index,
        "action": step.action,
        "action_type": step.action.get("type", "") if isinstance(step.action, dict) else "",
        # The action's arguments, as the agent sent them (without the type, shown beside it).
        "action_args": json.dumps(
            {k: v for k, v in step.action.items() if k != "type"} if isinstance(step.action, dict) else step.action,
            ensure_ascii=False, separators=(", ", ": "),
        ),
        "reward": step.reward,
        "error": step.error or None,
        "route": observation.get("route", ""),
        "title": observation.get("title"),
        "terminated": step.terminated,
        "truncated": step.truncated,
        "duration_ms": round(step.duration_ms, 1),
        "at": step.started_at.isoformat(),
        "thumbnail_url": thumbnail_url(step),
    }


def episode_message(episode: Episode) -> dict:
    return {
        "kind": "episode",
        "episode_id": str(episode.pk),
        "status": episode.status,
        "mode": episode.mode,
        "step_count": episode.step_count,
        "step_limit": episode.step_limit,
        "cumulative_reward": episode.cumulative_reward,
        "route": episode.route,
        "ended": episode.status in Episode.ENDED or episode.released_at is not None,
    }


def _publish(episode_id, message: dict) -> None:
    layer, group = get_channel_layer(), group_name(episode_id)
    # The in-process layer (no Redis: one server process) shows whether anyone watches; a send to nobody would
    # still cost every step a hop to the event loop and back. Redis's spectators may be on another process.
    if layer is None or (isinstance(layer, InMemoryChannelLayer) and not layer.groups.get(group)):
        return
    try:
        async_to_sync(layer.group_send)(group, {"type": MESSAGE_TYPE, "message": message})
    except Exception:  # a spectator must never break the agent's step
        logger.exception("publishing to the spectators of episode %s failed", episode_id)


def step_published(step: Step) -> None:
    """Tell the episode's spectators about a committed step (and the episode's new state)."""
    _publish(step.episode_id, {**step_message(step), "episode": episode_message(step.episode)})


THUMBNAIL_WIDTH = 320


def _new_thumbnailer() -> ThreadPoolExecutor:
    # One worker: thumbnails are made (and their steps published) in the order of the steps.
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="ehrgym-thumbnail")


_thumbnailer = _new_thumbnailer()


def _after_fork() -> None:
    """A forked server process has no worker thread behind the inherited executor (threads do
    not survive a fork): jobs submitted to it would wait forever."""
    global _thumbnailer
    _thumbnailer = _new_thumbnailer()


os.register_at_fork(after_in_child=_after_fork)


def make_thumbnail(png_base64: str) -> str:
    """A small JPEG (base64) of a screenshot, for the watch page and the stored trajectory."""
    from PIL import Image

    image = Image.open(io.BytesIO(base64.b64decode(png_base64))).convert("RGB")
    # An integer box reduction: twice as fast as a resampled thumbnail, as sharp at this size.
    image = image.reduce(max(1, image.width // THUMBNAIL_WIDTH))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=70)
    return base64.b64encode(out.getvalue()).decode()


def screenshot_published(step: Step, png_base64: str) -> None:
    """Store a thumbnail of the step's screenshot, then tell the spectators about the step.
    Done in the background: the agent has its observation without waiting for it."""
    _thumbnailer.submit(_thumbnail_and_publish, step, png_base64)


def _thumbnail_and_publish(step: Step, png_base64: str) -> None:
    try:
        step.thumbnail = make_thumbnail(png_base64)
        Step.objects.filter(pk=step.pk).update(thumbnail=step.thumbnail)
    except Exception:  # the step stands without its thumbnail
        logger.exception("making the thumbnail of step %s of episode %s failed", step.index, step.episode_id)
    finally:
        connections.close_all()
    step_published(step)


def thumbnails_wait() -> None:
    """Block until the thumbnails submitted so far are stored (tests, shutdown)."""
    _thumbnailer.submit(lambda: None).result()


def episode_published(episode: Episode) -> None:
    """Tell the episode's spectators that it changed state (e.g. it was closed)."""
    _publish(episode.pk, episode_message(episode))


# --- Pages ---------------------------------------------------------------------------------


def _episode_or_404(request, episode_id) -> Episode:
    try:
        return episode_for_viewer(episode_id=episode_id, user=request.user)
    except Episode.DoesNotExist:
        raise Http404("No such episode") from None


@login_required
def watch(request, episode_id):
    episode = _episode_or_404(request, episode_id)
    steps = list(episode.steps.order_by("index").defer("thumbnail"))
    has_thumbnail = set(episode.steps.exclude(thumbnail="").values_list("index", flat=True))
    messages = []
    for step in steps:
        message = step_message(step)
        message["thumbnail_url"] = (
            reverse("spectator:thumbnail", kwargs={"episode_id": episode.pk, "index": step.index})
            if step.index in has_thumbnail else None
        )
        messages.append(message)
    context = {
        "episode": episode,
        "steps": messages,
        "episode_state": episode_message(episode),
        # The page's socket: the WebSocket route (ehrsite/asgi.py) mirrors the page's path under /ws/.
        "socket_path": "/ws" + reverse("spectator:watch", kwargs={"episode_id": episode.pk}),
    }
    return render(request, "agentenv/watch.html", context)


@login_required
@cache_control(private=True, max_age=3600)
def thumbnail(request, episode_id, index: int):
    episode = _episode_or_404(request, episode_id)
    data = Step.objects.filter(episode=episode, index=index).values_list("thumbnail", flat=True).first()
    if not data:
        raise Http404("No screenshot for this step")
    return HttpResponse(base64.b64decode(data), content_type="image/jpeg")
