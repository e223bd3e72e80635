"""Closing episodes and giving their databases back: one on request (episode_close), and whatever was left
behind (episodes_reap: idle and half-created episodes, half-made and orphaned copies)."""

import logging
from datetime import timedelta

from django.conf import settings
from django.db.models import Case, F, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from agentenv import snapshots, spectator
from agentenv.browser import sessions as browser_sessions
from agentenv.dropper import dropper
from agentenv.kept_trajectories import trajectory_forget
from agentenv.models import DatabaseCopy, Episode
from agentenv.pool import copy_info

logger = logging.getLogger(__name__)



def stale_age() -> timedelta:
    """Episodes stuck in "created" and copies stuck in "creating" this long belong to a process that died mid-way."""
    return timedelta(seconds=settings.EHRGYM_STALE_CREATE_SECONDS)


def episode_close(*, episode: Episode, drop_in_background: bool = False) -> Episode:
    """Give the episode's slot back and drop its database. A running episode becomes closed; an ended one keeps
    its status. Closing twice is harmless.

    With drop_in_background, on PostgreSQL, the database is dropped by this process's dropper thread after the
    call returns: DROP DATABASE forces a checkpoint (a second or more of disk writes under load), which a client
    closing its episode should not wait for, nor hold a request slot through. If the process dies first, the
    reaper drops the copy: no unreleased episode holds it."""
    now = timezone.now()
    claimed = Episode.objects.filter(pk=episode.pk, released_at__isnull=True).update(
        released_at=now,
        status=Case(
            When(status__in=[Episode.Status.CREATED, Episode.Status.RUNNING], then=Value(Episode.Status.CLOSED)),
            default=F("status"),
        ),
        ended_at=Coalesce(F("ended_at"), Value(now)),
    )
    browser_sessions.session_close(episode_id=episode.pk)
    trajectory_forget(episode.pk)
    if claimed and episode.database_alias:
        info = snapshots.DatabaseCopyInfo(episode.database_alias, episode.database_name, snapshots.vendor())
        if drop_in_background and info.vendor == "postgresql":
            dropper.put(info)
        else:
            snapshots.copy_drop(info)
    episode.refresh_from_db()
    if claimed:
        spectator.episode_published(episode)
    return episode


def episodes_reap(*, now=None) -> list[Episode]:
    """Close episodes idle past their TTL; end episodes a dead server left half created; drop copies a dead
    worker left half made, and copies nothing refers to. Returns the episodes it closed or ended."""
    now = now or timezone.now()
    reaped = [
        episode_close(episode=episode)
        for episode in Episode.objects.filter(released_at__isnull=True, expires_at__lt=now)
    ]
    for episode in Episode.objects.filter(released_at__isnull=True, status=Episode.Status.CREATED,
                                          created_at__lt=now - stale_age()):
        if Episode.objects.filter(pk=episode.pk, released_at__isnull=True).update(
                status=Episode.Status.ERRORED, error="The server stopped before the episode was ready.",
                ended_at=now, released_at=now):
            if episode.database_name:
                snapshots.copy_drop(snapshots.DatabaseCopyInfo(episode.database_alias, episode.database_name,
                                                               snapshots.vendor()))
            reaped.append(episode)
    for row in DatabaseCopy.objects.filter(status=DatabaseCopy.Status.CREATING, created_at__lt=now - stale_age()):
        if DatabaseCopy.objects.filter(pk=row.pk, status=DatabaseCopy.Status.CREATING).delete()[0]:
            snapshots.copy_drop(copy_info(row))
    for info in _copies_unreferenced():
        logger.warning("dropping episode database %s: nothing refers to it", info.name)
        snapshots.copy_drop(info)
    return reaped


def _copies_unreferenced() -> list[snapshots.DatabaseCopyInfo]:
    # Listed before the references are read: every copy is referenced (by its episode or its pool row) before it is
    # made, so one that exists and is referenced by nothing afterwards is an orphan, not a copy being made.
    existing = snapshots.copies_existing()
    # Both references in one query, so one snapshot: a reset claiming a pool copy moves its reference from the pool
    # row to the episode in one transaction. Read in two queries, a claim committed between them hid the copy from
    # both, and the reaper dropped a running episode's database (its next step: "unable to open database file").
    episodes = (Episode.objects.filter(released_at__isnull=True).exclude(database_name="")
                .order_by().values_list("database_name", flat=True))
    held = set(DatabaseCopy.objects.order_by().values_list("name", flat=True).union(episodes, all=True))
    return [info for info in existing if info.name not in held]
