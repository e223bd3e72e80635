"""Writes to tasks: loading the library, recording oracle validations."""

import json
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from harness.library import TaskTemplate, library_load
from harness.models import Task

VALIDATOR_USERNAME = "task-validator"
SYNCED_FIELDS = ("title", "tier", "domain", "description", "instruction", "patient_selector", "variants", "facts",
                 "allowed_actions", "step_limit", "rubric", "oracle", "status")


@dataclass
class SyncReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


# Each template's synced fields as JSON text, made once per process: asdict() deep-copies every rubric, and with the
# fingerprint below that cost about 120 ms of CPU a sync of the library, which every test running episodes does.
_field_texts: dict[int, tuple[TaskTemplate, str]] = {}


def _fields(template: TaskTemplate) -> tuple[dict, str]:
    """(the task's synced fields, a fresh copy the caller may keep; their JSON text)."""
    cached = _field_texts.get(id(template))
    if cached is None or cached[0] is not template:
        values = template.task_fields()
        cached = (template, json.dumps({name: values[name] for name in SYNCED_FIELDS}, sort_keys=True))
        _field_texts[id(template)] = cached
    return json.loads(cached[1]), cached[1]


# Library tasks this process has already validated (their rules depend on their fields alone): a sync into a fresh
# database, as every test that runs episodes does, then costs a third of the time.
_validated: set[str] = set()


@transaction.atomic(using="default")
def task_sync(*, templates: dict[str, TaskTemplate] | None = None) -> SyncReport:
    """Load the library's templates into the database; running it again changes nothing.

    The library is the source of truth for its tasks: a library task edited in admin
    is put back as the library defines it. Tasks authored in admin are left alone.
    All or nothing: one template breaking the task rules rolls the whole sync back.
    """
    templates = library_load() if templates is None else templates
    report = SyncReport()
    existing = Task.objects.in_bulk(list(templates), field_name="task_id")
    for task_id, template in sorted(templates.items()):
        values, text = _fields(template)
        task = existing.get(task_id)
        if task is not None and task.source == Task.Source.LIBRARY and all(
            getattr(task, name) == value for name, value in values.items()
        ):
            report.unchanged.append(task_id)
            continue
        created = task is None
        task = task or Task(task_id=task_id)
        for name, value in values.items():
            setattr(task, name, value)
        task.source = Task.Source.LIBRARY
        task.updated_at = timezone.now()
        fingerprint = f"{task_id}:{text}"
        if fingerprint not in _validated:
            try:
                task.full_clean()
            except ValidationError as error:
                raise ValidationError(
                    {f"{task_id}: {name}": messages for name, messages in error.message_dict.items()}
                ) from None
            _validated.add(fingerprint)
        task.save()
        (report.created if created else report.updated).append(task_id)
    return report


def task_validation_record(*, task: Task, results: list[dict]) -> Task:
    """Keep the outcome of an oracle validation on the task, for authors and the admin list."""
    solved = sum(1 for result in results if result["success"])
    task.validated_at = timezone.now()
    task.validation = {
        "instances": len(results),
        "solved": solved,
        "mean_score": round(sum(result["score"] or 0.0 for result in results) / len(results), 4) if results else 0.0,
        "results": results,
    }
    task.save(update_fields=["validated_at", "validation"])
    return task


def task_validator_user():
    """The user oracle validations run as (made on first use)."""
    return get_user_model().objects.get_or_create(username=VALIDATOR_USERNAME)[0]


def task_validate(*, task: Task, owner, instances: int = 3) -> Task:
    """Run the task's oracle on `instances` sampled instances (seeds 0..n-1), in-process, and record the scores."""
    from harness.runner import task_run  # the runner drives episodes: not needed to sync or list tasks

    results = []
    for seed in range(instances):
        try:
            run = task_run(owner=owner, task_id=task.task_id, seed=seed, allow_draft=True)
        except ValidationError as error:
            results.append({"seed": seed, "patient_mrn": "", "score": 0.0, "success": False, "steps": 0,
                            "total_reward": 0.0, "errors": [" ".join(error.messages)]})
            continue
        results.append({"seed": seed, "patient_mrn": run.patient_mrn, "score": run.score, "success": run.success,
                        "steps": run.steps, "total_reward": round(run.total_reward, 4), "errors": run.errors})
    return task_validation_record(task=task, results=results)
