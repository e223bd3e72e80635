"""Episodes, their steps, and the warm pool of ready database copies.

All of these live in the main database (`default`) whatever episode is bound: the
router never sends agentenv models to an episode's database.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from rest_framework.authtoken.models import TokenProxy


class Episode(models.Model):
    class Status(models.TextChoices):
        CREATED = "created", "Created"
        RUNNING = "running", "Running"
        TERMINATED = "terminated", "Terminated"  # the agent took a terminal action
        TRUNCATED = "truncated", "Truncated"  # the step limit ran out
        CLOSED = "closed", "Closed"  # closed (by its owner or the reaper) while running
        ERRORED = "errored", "Errored"  # its database or its browser could not be prepared or recovered

    ENDED = (Status.TERMINATED, Status.TRUNCATED, Status.CLOSED, Status.ERRORED)

    class Mode(models.TextChoices):
        API = "api", "API (semantic actions)"
        BROWSER = "browser", "Browser (headless Chromium)"

    class Channel(models.TextChoices):
        """How the agent connected: the OpenEnv HTTP endpoints keep one current episode per user."""

        REST = "rest", "REST API"
        OPENENV_HTTP = "openenv-http", "OpenEnv HTTP"
        OPENENV_WS = "openenv-ws", "OpenEnv WebSocket"
        MCP = "mcp", "MCP"

    # A UUID, not a sequence: episode ids appear in URLs and must not be guessable.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="episodes")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.CREATED, db_index=True)

    # The task: a harness task's rendered instance, or a patient and an instruction given at reset.
    patient_mrn = models.CharField(max_length=20)
    instruction = models.TextField()
    seed = models.BigIntegerField(null=True, blank=True)
    step_limit = models.PositiveIntegerField()
    mode = models.CharField(max_length=8, choices=Mode.choices, default=Mode.API)
    # Browser mode: a PNG of the page in every observation (and set-of-marks boxes on it).
    screenshot = models.BooleanField(default=False)
    set_of_marks = models.BooleanField(default=False)
    channel = models.CharField(max_length=12, choices=Channel.choices, default=Channel.REST, db_index=True)
    # OpenEnv lets a client name its episode at reset and expects that name back in `state`.
    client_episode_id = models.CharField(max_length=128, blank=True)
    # A task episode: the harness task it instantiates, and the instance itself (patient, variant,
    # facts read at reset, the filled rubric), kept whole so later task edits never change its scoring.
    # Never shown to the agent: it holds the expected answer.
    task_id = models.CharField(max_length=120, blank=True, db_index=True)
    task_instance = models.JSONField(default=dict, blank=True)
    # The rubric's verdict when the episode ended: progress (capped on a critical violation),
    # whether every required criterion held, and the per-criterion breakdown.
    score = models.FloatField(null=True, blank=True)
    success = models.BooleanField(null=True, blank=True)
    score_breakdown = models.JSONField(default=dict, blank=True)

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
    # Phase timings (ms) and environment events (e.g. a browser restarted after a crash).
    info = models.JSONField(default=dict, blank=True)
    # Browser mode with screenshots: a small JPEG (base64) of the page after the step, for
    # the spectator view; the full screenshot goes to the agent only, never into the trajectory.
    thumbnail = models.TextField(blank=True)

    class Meta:
        ordering = ["episode", "index"]
        constraints = [models.UniqueConstraint(fields=["episode", "index"], name="agentenv_step_unique_index")]

    def __str__(self) -> str:
        return f"{self.episode_id} step {self.index}"


class EpisodeBrowser(models.Model):
    """Where a browser-mode episode's browser runs, so that any web process can step the episode.

    On a Selenium Grid (`grid_url` set) any process re-attaches to the WebDriver session by its id. A local
    Chromium belongs to the process that started it (`owner`, host:pid): only that process can drive it.
    """

    episode = models.OneToOneField(Episode, on_delete=models.CASCADE, primary_key=True, related_name="browser_record")
    driver_session_id = models.CharField(max_length=64)
    grid_url = models.CharField(max_length=255, blank=True)
    owner = models.CharField(max_length=255)
    # The Django session the browser is logged in with (an episode-only session): ended when the episode closes.
    login_session_key = models.CharField(max_length=64)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.episode_id} on {self.grid_url or self.owner}"


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


class ApiToken(TokenProxy):
    """An agent's API token as Django admin shows it: by its first characters only, so an admin page (or its
    history) never displays a whole token; `manage.py agent_token USERNAME` prints it to its owner."""

    class Meta:
        proxy = True
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.key[:6]}… ({self.user})"
