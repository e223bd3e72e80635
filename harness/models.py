"""Task templates: what an episode asks, of which patients, and how it is scored.

A Task is a template. Its patient selector picks eligible patients from the golden
database, its variants are the parameter sets it can be asked with, its facts are read
from the episode's own copy of the chart at reset (target values, expected answers),
and its rubric scores what the episode changed. Templates × patients × variants give
the distinct instances; a seed picks one.

Tasks live in the main database (`default`) whatever episode is bound. The library in
harness/library/ is loaded with `manage.py tasks sync`; admins author more in Django
admin. Validation lives in `clean()` so admin forms and the sync share one set of rules.
"""

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

SLUG = r"[a-z0-9]+(?:-[a-z0-9]+)*"
TASK_ID = re.compile(rf"^ehr/(?P<domain>{SLUG})\.(?P<name>{SLUG})-v(?P<version>[1-9][0-9]*)$")
TASK_ID_HELP = "ehr/<domain>.<name>-v<n>, e.g. ehr/laboratory-medicine.latest-result-v1"


def validate_task_id(value: str) -> None:
    if not TASK_ID.match(value or ""):
        raise ValidationError(f"{value!r} is not a task id of the form {TASK_ID_HELP}.")


class Task(models.Model):
    class Tier(models.TextChoices):
        SKILL = "skill", "Skill (one EHR skill)"
        OBJECTIVE = "objective", "Objective (a clinical goal, steps left to the agent)"
        WORKFLOW = "workflow", "Workflow (several linked steps)"

    class Domain(models.TextChoices):
        NAVIGATION = "navigation-and-chart-review", "Navigation and chart review"
        LABORATORY = "laboratory-medicine", "Laboratory medicine"
        MEDICATION_SAFETY = "medication-safety", "Medication safety"
        CARDIOLOGY = "cardiology", "Cardiology"
        ENDOCRINOLOGY = "endocrinology", "Endocrinology"
        NEPHROLOGY = "nephrology", "Nephrology"
        INFECTIOUS_DISEASE = "infectious-disease", "Infectious disease"
        PULMONOLOGY = "pulmonology", "Pulmonology"
        EMERGENCY_CARE = "emergency-care", "Emergency care"
        PREVENTIVE_CARE = "preventive-care", "Preventive care"
        DOCUMENTATION = "documentation", "Documentation"
        PEDIATRICS = "pediatrics", "Pediatrics"
        BEHAVIORAL_HEALTH = "behavioral-health", "Behavioral health"
        PALLIATIVE_CARE = "palliative-care", "Palliative care"

    class ActionSet(models.TextChoices):
        SEMANTIC = "semantic", "Semantic actions (API)"
        BROWSER = "browser", "Browser actions"
        BOTH = "both", "Both"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"

    class Source(models.TextChoices):
        LIBRARY = "library", "Library (harness/library, loaded by `tasks sync`)"
        ADMIN = "admin", "Authored in admin"

    task_id = models.CharField("task id", max_length=120, unique=True, validators=[validate_task_id],
                               help_text=TASK_ID_HELP)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, help_text="For authors and reports: what the task tests and why.")
    tier = models.CharField(max_length=10, choices=Tier.choices)
    domain = models.CharField(max_length=40, choices=Domain.choices)
    instruction = models.TextField(
        help_text="The goal the agent sees. {placeholders}: patient fields (mrn, patient_name, given_name, "
                  "family_name, full_name, dob, age, sex), variant keys, and facts ({fact} or {fact_field})."
    )
    patient_selector = models.JSONField(default=dict, blank=True,
                                        help_text="Which patients of the golden database are eligible (JSON).")
    variants = models.JSONField(default=list, blank=True,
                                help_text="Parameter sets the task is asked with: a JSON list of objects with the same "
                                          "keys; [] means one variant without parameters.")
    facts = models.JSONField(default=dict, blank=True,
                             help_text='Values read from the chart at reset: {"name": {"fact": "<kind>", ...args}}.')
    allowed_actions = models.CharField(max_length=10, choices=ActionSet.choices, default=ActionSet.BOTH)
    step_limit = models.PositiveIntegerField(default=30)
    rubric = models.JSONField(default=list, help_text="A JSON list of criteria; see the criterion reference.")
    oracle = models.CharField(max_length=120, help_text="Name of the registered oracle (scripted solver).")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.ADMIN)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    # The last oracle validation (admin action or `tasks validate`): when, and what it scored.
    validated_at = models.DateTimeField(null=True, blank=True)
    validation = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["task_id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(step_limit__gte=1, step_limit__lte=1000),
                                   name="harness_task_step_limit_range"),
        ]

    def __str__(self) -> str:
        return self.task_id

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED

    @property
    def variant_list(self) -> list[dict]:
        """The variants, or the single empty one of a task without parameters."""
        return list(self.variants) or [{}]

    def clean(self) -> None:
        from harness.validation import task_errors  # the rule set imports the registries, which import this module

        errors = task_errors(self)
        if errors:
            raise ValidationError(errors)


class Evaluation(models.Model):
    """One `manage.py evaluate` run: an agent on a seeded sample of task instances.

    The plan (which task and instance seed each episode index runs) is fixed when the run
    is created, so thread workers and Celery workers run exactly the same episodes and a
    run can be repeated from its agent, filters and seed.
    """

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        FINISHED = "finished", "Finished"
        FAILED = "failed", "Failed"

    class Backend(models.TextChoices):
        THREADS = "threads", "Worker threads in-process"
        CELERY = "celery", "Celery workers"

    agent = models.CharField(max_length=20, db_index=True)
    filters = models.JSONField(default=dict, blank=True, help_text="tier, domain and task the tasks were chosen by.")
    seed = models.BigIntegerField()
    backend = models.CharField(max_length=10, choices=Backend.choices, default=Backend.THREADS)
    workers = models.PositiveIntegerField(default=1)
    plan = models.JSONField(default=list, blank=True, help_text='[{"task_id": ..., "seed": ...}] per episode index.')
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="evaluations",
                              help_text="The user the episodes run as.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING, db_index=True)
    started_at = models.DateTimeField(default=timezone.now, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    episodes_planned = models.PositiveIntegerField(default=0)
    episodes_done = models.PositiveIntegerField(default=0)
    successes = models.PositiveIntegerField(default=0)
    success_rate = models.FloatField(null=True, blank=True)
    mean_reward = models.FloatField(null=True, blank=True)
    report_path = models.CharField(max_length=500, blank=True,
                                   help_text="Directory holding report.json and report.html.")
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"Evaluation {self.pk} ({self.agent}, {self.status})"


class EvaluationEpisode(models.Model):
    """What one episode of an evaluation came to; the steps stay on the agentenv Episode."""

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="results")
    index = models.PositiveIntegerField()
    # Null when the episode could not be started (no eligible patient left, no database copy).
    episode = models.OneToOneField("agentenv.Episode", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="evaluation_result")
    task_id = models.CharField(max_length=120, db_index=True)
    tier = models.CharField(max_length=10, db_index=True)
    domain = models.CharField(max_length=40, db_index=True)
    seed = models.BigIntegerField()
    patient_mrn = models.CharField(max_length=20, blank=True)
    success = models.BooleanField(default=False, db_index=True)
    score = models.FloatField(null=True, blank=True)
    reward_sum = models.FloatField(default=0.0)
    steps = models.PositiveIntegerField(default=0)
    invalid_actions = models.PositiveIntegerField(default=0)
    # A short category for the report's chart ("step limit reached", "criterion failed: answer_matches"),
    # and the detail an author needs (the criterion's label and what it found).
    failure = models.CharField(max_length=120, blank=True, db_index=True)
    failure_detail = models.TextField(blank=True)
    duration_s = models.FloatField(default=0.0)
    # Exploit agents: which exploit this episode ran (exploit-all takes them in turn).
    exploit = models.CharField(max_length=60, blank=True)

    class Meta:
        ordering = ["evaluation", "index"]
        constraints = [
            models.UniqueConstraint(fields=["evaluation", "index"], name="harness_evaluation_episode_unique_index"),
        ]

    def __str__(self) -> str:
        return f"{self.evaluation_id}#{self.index} {self.task_id}"
