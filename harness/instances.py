"""Instances: a task template asked of one patient with one variant, under a seed.

Sampling happens before the episode's database exists: the instance space (every
variant × every patient its selector admits, in the golden database) is listed in a
stable order, grouped by answer class, and the seed picks a class and then an instance
with `random.Random(seed)` (harness.sampling), so the same task and seed give the same
instance. Rendering happens at reset on the episode's fresh copy
(the caller binds it): patient fields and facts are read from the chart there, the
instruction and the rubric's placeholders filled, and the whole instance kept on the
episode so scoring never depends on the task being edited later.
"""

import secrets
from dataclasses import asdict, dataclass

from django.core.exceptions import ValidationError

from clinical.models import Patient
from clinical.selectors import patient_get
from harness import facts as fact_registry
from harness import sampling
from harness.cohorts import cohort, selector_parse
from harness.models import Task
from harness.placeholders import PlaceholderError, fill
from harness.rubrics import RubricError, rubric_parse
from harness.selectors import task_find

GOLDEN = "golden"
MODES_FOR_ACTIONS = {
    Task.ActionSet.SEMANTIC: {"api"},
    Task.ActionSet.BROWSER: {"browser"},
    Task.ActionSet.BOTH: {"api", "browser"},
}


class InstanceError(Exception):
    """The chart does not support the instance (a fact cannot be read, a placeholder has no value)."""


@dataclass(frozen=True)
class Plan:
    task: Task
    seed: int
    variant: int  # index into task.variant_list
    patient_mrn: str

    @property
    def title(self) -> str:
        return self.task.title

    @property
    def step_limit(self) -> int:
        return self.task.step_limit


@dataclass
class Instance:
    """What an episode is asked and how it is scored; stored as JSON on the episode."""

    task_id: str
    title: str
    tier: str
    domain: str
    seed: int
    variant: int
    patient_mrn: str
    params: dict  # every placeholder's value: patient fields, variant keys, facts
    facts: dict  # each fact as computed: {"answer": ..., field: ...}
    instruction: str
    rubric: list  # the task's rubric with placeholders filled
    allowed_actions: str
    step_limit: int
    oracle: str

    def as_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> "Instance":
        return cls(**data)

    def expected(self, fact: str):
        """The answer a fact computed at reset (what an answer criterion compares with)."""
        return self.facts[fact]["answer"]


def variant_selector(task: Task, variant: dict):
    return selector_parse(fill(task.patient_selector or {}, variant))


def instance_space(task: Task, *, using: str = GOLDEN) -> list[tuple[int, str]]:
    """Every (variant index, MRN) the task can be asked with, in a stable order."""
    space = []
    for index, variant in enumerate(task.variant_list):
        patients = cohort(variant_selector(task, variant), using=using)
        space += [(index, mrn) for mrn in patients.values_list("mrn", flat=True)]
    return space


def task_plan(*, task: Task, seed: int | None = None, patient_mrn: str = "", split: str = "",
              using: str = GOLDEN) -> Plan:
    """The instance of `task` that `seed` names (optionally among one patient's instances, or one split's):
    an answer class chosen uniformly, then an instance of it (harness.sampling)."""
    seed = seed if seed is not None else secrets.randbits(31)
    try:
        candidates = sampling.entries(task, using=using)
    except sampling.NoInstance as error:
        raise ValidationError({"task_id": str(error)}) from None
    if split:
        candidates = sampling.in_split(task.task_id, candidates, split)
        if not candidates:
            raise ValidationError({"split": f"Task {task.task_id} has no instance in the {split} split."})
    if patient_mrn:
        candidates = [entry for entry in candidates if entry.mrn == patient_mrn]
        if not candidates:
            where = f" in the {split} split" if split else ""
            raise ValidationError({"patient_mrn": f"Patient {patient_mrn!r} is not eligible for task "
                                                  f"{task.task_id}{where}."})
    if not candidates:
        raise ValidationError({"task_id": f"No patient in the golden database is eligible for task {task.task_id}."})
    chosen = sampling.pick(candidates, seed)
    return Plan(task=task, seed=seed, variant=chosen.variant, patient_mrn=chosen.mrn)


def instance_plan(*, task_id: str, seed: int | None = None, patient_mrn: str = "", mode: str = "api",
                  split: str = "", allow_draft: bool = False, using: str = GOLDEN) -> Plan:
    """Pick the instance of the task `task_id` that `seed` names, for a reset in `mode`.

    Raises ValidationError with a message for the client: unknown or unpublished task,
    a mode the task does not allow, no eligible patient.
    """
    task = task_find(task_id=task_id, published_only=not allow_draft)
    if task is None:
        raise ValidationError({"task_id": f"No published task {task_id!r}; GET /api/v1/tasks lists them."})
    if mode not in MODES_FOR_ACTIONS[task.allowed_actions]:
        modes = " or ".join(sorted(MODES_FOR_ACTIONS[task.allowed_actions]))
        raise ValidationError({"mode": f"Task {task_id} allows {task.get_allowed_actions_display().lower()}: "
                                       f"reset with mode {modes}."})
    if split and split not in sampling.SPLITS:
        raise ValidationError({"split": f"Unknown split {split!r}: choose {' or '.join(sampling.SPLITS)}."})
    return task_plan(task=task, seed=seed, patient_mrn=patient_mrn, split=split, using=using)


def patient_params(patient: Patient) -> dict:
    return {
        "mrn": patient.mrn,
        "patient_name": patient.chart_name,
        "given_name": patient.given_name,
        "family_name": patient.family_name,
        "full_name": patient.full_name,
        "dob": patient.birth_date.isoformat(),
        "age": patient.age,
        "sex": patient.sex,
    }


def instance_render(*, plan: Plan) -> Instance:
    """The instance as the chart holds it now (read through the router: bind the episode's copy)."""
    task, variant = plan.task, plan.task.variant_list[plan.variant]
    try:
        patient = patient_get(mrn=plan.patient_mrn)
    except Patient.DoesNotExist:
        raise InstanceError(f"no patient {plan.patient_mrn} in this database") from None
    params = {**patient_params(patient), **variant}
    facts = {}
    try:
        for name, spec in (task.facts or {}).items():
            value = fact_registry.fact_compute(fill(spec, variant), patient)
            facts[name] = value
            params[name] = value["answer"]
            params.update({f"{name}_{field}": value.get(field) for field in fact_registry.FACTS[spec["fact"]].fields})
        instruction = fill(task.instruction, params)
        rubric = fill(task.rubric, params)
        rubric_parse(rubric)
    except (fact_registry.FactError, PlaceholderError, RubricError) as error:
        raise InstanceError(f"task {task.task_id} cannot be asked of patient {plan.patient_mrn}: {error}") from None
    return Instance(
        task_id=task.task_id, title=task.title, tier=task.tier, domain=task.domain, seed=plan.seed,
        variant=plan.variant, patient_mrn=plan.patient_mrn, params=params, facts=facts, instruction=instruction,
        rubric=rubric, allowed_actions=task.allowed_actions, step_limit=task.step_limit, oracle=task.oracle,
    )


def instance_preview(*, task: Task, seed: int = 0) -> Instance:
    """The instance `seed` names, rendered from the golden database itself (read only): what
    an author previews in admin. Raises ValidationError or InstanceError as a reset would."""
    from agentenv.routing import bind_alias  # the episode router owns database binding
    from agentenv.snapshots import golden_name

    plan = task_plan(task=task, seed=seed)
    with bind_alias(GOLDEN, golden_name()):
        return instance_render(plan=plan)
