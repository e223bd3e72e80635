"""Reactions to what the EHR apps announce."""

import logging

from django.contrib.auth import get_user_model
from django.db import connections
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from rest_framework.authtoken.models import Token

from agentenv.authentication import recent_tokens_forget
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


@receiver(post_delete, sender=Token)
@receiver(post_save, sender=Token)
@receiver(post_save, sender=get_user_model())
@receiver(post_delete, sender=get_user_model())
def forget_recent_tokens(**kwargs) -> None:
    """A deleted token, or a user made inactive, is refused at once by this process (others within a few seconds)."""
    recent_tokens_forget()
