"""Celery tasks: thin wrappers around the pool and reaper services."""

from celery import shared_task
from django.conf import settings

from agentenv import close, pool


@shared_task(name="agentenv.pool_refill", time_limit=settings.CELERY_TASK_TIME_LIMIT, ignore_result=True)
def pool_refill() -> int:
    """Top the warm pool up; returns how many copies were made."""
    return len(pool.pool_refill())


@shared_task(name="agentenv.episodes_reap", time_limit=settings.CELERY_TASK_TIME_LIMIT, ignore_result=True)
def episodes_reap() -> int:
    """Close episodes idle past their TTL; returns how many."""
    return len(close.episodes_reap())
