"""Reads of episodes (main database only)."""

from django.db.models import QuerySet

from agentenv.models import Episode, Step


def episode_get_for_owner(*, episode_id, owner) -> Episode:
    """The owner's episode (raises Episode.DoesNotExist for anyone else's: a client
    must not learn that another user's episode exists).

    Its owner is the user given, not read again: every request of an episode starts here."""
    episode = Episode.objects.get(pk=episode_id, owner=owner)
    episode.owner = owner
    return episode


def episode_trajectory(episode: Episode) -> QuerySet[Step]:
    return episode.steps.order_by("index")


def episodes_holding_databases() -> QuerySet[Episode]:
    return Episode.objects.filter(released_at__isnull=True)
