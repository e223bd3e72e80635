"""The task library: templates written in Python, each beside its oracle.

A module per clinical domain or task family calls `template(...)` (or a builder of
harness.library.builders) for each task and registers the task's oracle with `@oracle(...)`,
and its browser-action oracle, if any, with `@browser_oracle(...)`. `manage.py tasks sync`
loads every template into the database (tasks live there; admins author more in Django
admin). Adding a module here is adding one line to LIBRARY_MODULES.
"""

from dataclasses import asdict, dataclass, field
from functools import cache
from importlib import import_module

LIBRARY_MODULES = (
    "harness.library.laboratory_medicine",
    "harness.library.medication_safety",
    "harness.library.endocrinology",
    "harness.library.emergency_care",
    "harness.library.pulmonology",
    "harness.library.medagentbench",
    "harness.library.electrolyte_replacement",
    "harness.library.navigation",
    "harness.library.cardiology",
    "harness.library.nephrology",
    "harness.library.infectious_disease",
    "harness.library.preventive_care",
    "harness.library.documentation",
    "harness.library.workflows",
    "harness.library.behavioral_health",
    "harness.library.inbasket",
)


@dataclass(frozen=True)
class TaskTemplate:
    """A task as the library defines it; the fields of harness.models.Task."""

    task_id: str
    title: str
    tier: str
    domain: str
    instruction: str
    rubric: list
    oracle: str
    patient_selector: dict = field(default_factory=dict)
    variants: list = field(default_factory=list)
    facts: dict = field(default_factory=dict)
    allowed_actions: str = "both"
    step_limit: int = 30
    description: str = ""
    status: str = "published"

    def task_fields(self) -> dict:
        return asdict(self)


TEMPLATES: dict[str, TaskTemplate] = {}


def template(**fields) -> TaskTemplate:
    """Define a library task (checked against the Task rules when `tasks sync` loads it)."""
    task = TaskTemplate(**fields)
    if task.task_id in TEMPLATES and TEMPLATES[task.task_id] != task:
        raise ValueError(f"task {task.task_id} is defined twice")
    TEMPLATES[task.task_id] = task
    return task


def answered_from(section: str, *answers: dict, weight: float = 1, label: str = "") -> dict:
    """A gate: the answer criteria count only if the agent opened this section of the task's patient's chart
    (read_chart_section, get_observations for "results", or the page). The same answer read off another
    patient's chart, or guessed, earns nothing, however often two patients' answers coincide (-1, "none",
    a count, a category)."""
    return {"kind": "gate", "weight": weight, "label": label or answers[0].get("label", ""),
            "criteria": [{"kind": "section_visited", "section": section}, *answers]}


@cache
def library_load() -> dict[str, TaskTemplate]:
    """Import every library module (registering its templates and oracles)."""
    for module in LIBRARY_MODULES:
        import_module(module)
    return TEMPLATES
