"""Episodes, their steps, and the warm pool of ready database copies.

All of these live in the main database (`default`) whatever episode is bound: the
router never sends agentenv models to an episode's database.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class Episode(models.Model):
    class Status(models.TextChoices):
        CREATED = "created", "Created"
        RUNNING = "running", "Running"
        TERMINATED = "terminated", "Terminated"  # the agent took a terminal action
        TRUNCATED = "truncated", "Truncated"  # the step limit ran out
        CLOSED = "closed", "Closed"  # closed (by its owner or the reaper) while running
        ERRORED = "errored", "Errored"  # its database could not be prepared

    ENDED = (Status.TERMINATED, Status.TRUNCATED, Status.CLOSED, Status.ERRORED)

    # A UUID, not a sequence: episode ids appear in URLs and must not be guessable.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="episodes")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.CREATED, db_index=True)

    # The task. Until the task harness exists, reset names the patient and the instruction.
    patient_mrn = models.CharField(max_length=20)
    instruction = models.TextField()
    seed = models.BigIntegerField(null=True, blank=True)
    step_limit = models.PositiveIntegerField()

    step_count = models.PositiveIntegerField(default=0)
    cumulative_reward = models.FloatField(default=0.0)
    # Where the agent is in the chart: the route of its last successful navigation.
    route = models.CharField(max_length=255, blank=True)
    open_mrn = models.CharField(max_length=20, blank=True)
    answer = models.TextField(blank=True)
    error = models.TextField(blank=True)

    database_alias = models.CharField(max_length=64, blank=True)
    database_name = models.CharField(max_length=255, blank=True)
    from_pool = models.BooleanField(default=False)
    reset_ms = models.FloatField(null=True, blank=True)

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    last_step_at = models.DateTimeField(null=True, blank=True)
    # Idle deadline: moved forward by every step; the reaper closes episodes past it.
    expires_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # When the episode's database was dropped; null while the episode holds one.
    released_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Episode {self.id} ({self.status})"

    @property
    def is_running(self) -> bool:
        return self.status == self.Status.RUNNING


class Step(models.Model):
    """One action of an episode and what came of it: the trajectory."""

    episode = models.ForeignKey(Episode, on_delete=models.CASCADE, related_name="steps")
    index = models.PositiveIntegerField()  # 1 for the first action
    action = models.JSONField()
    observation = models.JSONField(default=dict)  # summary: route, result, error
    reward = models.FloatField(default=0.0)
    error = models.TextField(blank=True)
    terminated = models.BooleanField(default=False)
    truncated = models.BooleanField(default=False)
    started_at = models.DateTimeField(default=timezone.now)
    duration_ms = models.FloatField(default=0.0)

    class Meta:
        ordering = ["episode", "index"]
        constraints = [models.UniqueConstraint(fields=["episode", "index"], name="agentenv_step_unique_index")]

    def __str__(self) -> str:
        return f"{self.episode_id} step {self.index}"


class DatabaseCopy(models.Model):
    """A copy of the golden database waiting in the warm pool.

    Claiming one deletes its row (a conditional delete, so two resets never get the
    same copy); from then on the episode owns the database.
    """

    class Status(models.TextChoices):
        CREATING = "creating", "Creating"
        READY = "ready", "Ready"

    alias = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=255)
    vendor = models.CharField(max_length=20)
    # The golden database it was copied from, so a copy is never handed to a reset
    # configured with another golden database (tests, another checkout).
    source = models.CharField(max_length=255, db_index=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.CREATING, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at"]
        verbose_name_plural = "database copies"

    def __str__(self) -> str:
        return f"{self.alias} ({self.status})"
