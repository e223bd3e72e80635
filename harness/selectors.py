"""Reads of tasks (main database)."""

from django.db.models import QuerySet

from harness.models import Task


def tasks_published(*, tier: str = "", domain: str = "") -> QuerySet[Task]:
    tasks = Task.objects.filter(status=Task.Status.PUBLISHED)
    if tier:
        tasks = tasks.filter(tier=tier)
    if domain:
        tasks = tasks.filter(domain=domain)
    return tasks.order_by("task_id")


def task_get(*, task_id: str) -> Task:
    return Task.objects.get(task_id=task_id)
