"""What the environment needs from a task library, and the one library it uses.

agentenv runs episodes; which tasks exist, how an instance is drawn from the chart and
how a trajectory is scored belong to the task library (the harness app). agentenv names
the three things it asks of one here and imports nothing from it: the harness registers
its implementation when Django starts (harness.apps), so the dependency points one way,
harness → agentenv.

    plan(...)      at reset, before the episode's database exists: pick the instance
                   (patient, variant, seed) or say why the request cannot be served
    render(plan)   with the episode's copy bound: the instance as this chart holds it
    evaluate(...)  after each step: the rubric's verdict on the trajectory so far
"""

from typing import Any, Protocol


class TaskUnavailable(Exception):
    """The chart cannot support the task's instance (a fact cannot be read); the message says why."""


class TaskPlan(Protocol):
    """An instance picked at reset: who it is about, and the task's own defaults."""

    patient_mrn: str
    seed: int

    @property
    def title(self) -> str: ...

    @property
    def step_limit(self) -> int: ...


class RenderedTask(Protocol):
    """An instance read from the episode's chart, stored on the episode as JSON."""

    task_id: str
    instruction: str

    def as_json(self) -> dict: ...


class TaskVerdict(Protocol):
    """The rubric's verdict after a step."""

    potential: float  # progress in [0, 1], capped while a critical constraint is violated
    success: bool
    violations: list[str]  # ids of violated constraints that cost something

    def breakdown(self, *, details: bool) -> dict: ...


class TaskSource(Protocol):
    def plan(self, *, task_id: str, seed: int | None, patient_mrn: str, mode: str, split: str,
             allow_draft: bool) -> TaskPlan:
        """Raises django.core.exceptions.ValidationError with a message for the client."""

    def render(self, *, plan: Any) -> RenderedTask:
        """Raises TaskUnavailable when the chart does not support the instance."""

    def evaluate(self, *, instance: dict, answer: str | None, actions: list[dict], routes: list[str],
                 unaudited: bool = False) -> TaskVerdict:
        """`instance`: what render's as_json() gave (Episode.task_instance). `unaudited`: the episode recorded no
        audit event (the environment knows it): none need be read."""


_source: TaskSource | None = None


def task_source_register(source: TaskSource) -> None:
    """Make `source` the library task episodes use (the harness app does this in ready())."""
    global _source
    _source = source


def task_source() -> TaskSource:
    if _source is None:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured("No task library is registered: add 'harness' to INSTALLED_APPS to run task "
                                   "episodes.")
    return _source
