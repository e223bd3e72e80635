"""Reads of episodes (main database only)."""

from django.db.models import QuerySet

from agentenv.models import Episode, Step


def episode_get_for_owner(*, episode_id, owner) -> Episode:
    """The owner's episode (raises Episode.DoesNotExist for anyone else's: a client
    must not learn that another user's episode exists)."""
    return Episode.objects.select_related("owner").get(pk=episode_id, owner=owner)


def episode_trajectory(episode: Episode) -> QuerySet[Step]:
    return episode.steps.order_by("index")


def episodes_holding_databases() -> QuerySet[Episode]:
    return Episode.objects.filter(released_at__isnull=True)
