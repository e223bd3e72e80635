"""Reactions to what the EHR apps announce."""

import logging

from django.db import connections
from django.dispatch import receiver

from agentenv.models import DatabaseCopy
from agentenv.pool import pool_drain
from clinical.signals import golden_rebuilt

logger = logging.getLogger(__name__)


@receiver(golden_rebuilt)
def drop_stale_pool_copies(*, alias: str, **kwargs) -> None:
    """Warm copies of the old golden database must never start an episode."""
    if alias != "golden":
        return
    # A main database that was never migrated has no pool to drain.
    if DatabaseCopy._meta.db_table not in connections["default"].introspection.table_names():
        return
    dropped = pool_drain()
    if dropped:
        logger.info("golden database rebuilt: dropped %d stale warm-pool copies", dropped)
