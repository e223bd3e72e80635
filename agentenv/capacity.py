"""Episode slots: how many episodes, and how many browser episodes, may hold a database at once."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connections

from agentenv.errors import CapacityError
from agentenv.models import Episode

# A constant key for PostgreSQL's advisory lock that serializes capacity checks.
CAPACITY_LOCK_KEY = 0x45485247  # "EHRG"


def capacity_check(*, mode: str) -> None:
    """Raise CapacityError if no slot is free for an episode in `mode`. Call it in the transaction that creates
    the episode: it holds a lock until that transaction ends, so two resets cannot both take the last slot.
    Raise ValidationError for a browser episode on a server that takes none (retrying would not help)."""
    if mode == Episode.Mode.BROWSER and settings.EHRGYM_MAX_BROWSER_EPISODES == 0:
        raise ValidationError({"mode": "This server takes API episodes only (EHRGYM_MAX_BROWSER_EPISODES=0): "
                                       "reset with mode 'api', or use a server that runs browsers."})
    _capacity_lock()
    holding = Episode.objects.filter(released_at__isnull=True)
    if holding.count() >= settings.EHRGYM_MAX_EPISODES:
        raise CapacityError(f"All {settings.EHRGYM_MAX_EPISODES} episode slots are in use.")
    # A browser holds a few hundred MB: browser episodes have a lower limit of their own.
    if mode == Episode.Mode.BROWSER and (
        holding.filter(mode=Episode.Mode.BROWSER).count() >= settings.EHRGYM_MAX_BROWSER_EPISODES
    ):
        raise CapacityError(f"All {settings.EHRGYM_MAX_BROWSER_EPISODES} browser episode slots are in use.")


def _capacity_lock() -> None:
    # SQLite's IMMEDIATE transactions already serialize writers; PostgreSQL needs a lock
    # so two resets cannot both see the last free slot.
    conn = connections["default"]
    if conn.vendor == "postgresql":
        with conn.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CAPACITY_LOCK_KEY])
