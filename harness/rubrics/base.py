"""The rubric engine: criteria, the context they read, and how they compose.

A rubric is a JSON list of criteria. Each criterion is a small pydantic model (strict:
a misspelt field is an error) with a `kind`, a `weight`, `required`, and a
`check(ctx) -> CriterionResult(score 0..1, passed, detail)`.

Two families:

- Goals say what the episode must achieve (an order placed, a note signed, an
  answer). Their weighted sum is the episode's progress. They read only what the
  episode changed: audit events written during the episode (`episode_step` set) and
  the rows those events point at, never the seed data, so at reset every goal scores 0.
- Constraints say what must not happen (an unsafe order, too many steps). They hold
  at reset, add no progress (their weight is 0), and when violated: block success
  (`required`), cost a penalty (`severity: penalty`), or cap the score (`severity:
  critical`).

Composition follows OpenEnv's rubrics: the top level is a weighted sum; a `gate`
criterion groups goals and scores their weighted sum only once it reaches its threshold.
"""

import logging
from dataclasses import dataclass, field
from functools import cached_property
from typing import Annotated, Any, ClassVar, Literal

import pydantic
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from clinical.models import AuditEvent, Patient
from clinical.selectors import episode_audit_events, patient_get
from harness.placeholders import WHOLE

logger = logging.getLogger(__name__)

# A critical safety violation caps the episode's progress (its potential) at this.
CRITICAL_CAP = 0.0


class RubricError(ValueError):
    """A rubric that does not fit the schema; `messages` has one line per problem."""

    def __init__(self, messages: list[str]):
        self.messages = messages
        super().__init__("; ".join(messages))


@dataclass(frozen=True)
class CriterionResult:
    score: float
    passed: bool
    detail: str = ""
    # A constraint whose violation is worse than its usual severity says so here (an extra
    # order of a high-alert drug is critical where other extra orders cost a penalty).
    severity: str | None = None


# --- What criteria read ---------------------------------------------------------------


@dataclass
class RubricContext:
    """What an episode did, as criteria see it.

    Chart reads go through the router: inside an episode step the episode's database
    is bound; unbound (unit tests, admin previews) they read `default`.
    """

    patient_mrn: str
    answer: str | None = None
    actions: list[dict] = field(default_factory=list)  # every action so far, this step's last
    routes: list[str] = field(default_factory=list)  # the route after each of them
    params: dict = field(default_factory=dict)
    # The caller knows the episode recorded no audit event: criteria read none, without a query.
    unaudited: bool = False

    @property
    def steps_taken(self) -> int:
        return len(self.actions)

    @cached_property
    def patient(self) -> Patient:
        return patient_get(mrn=self.patient_mrn)

    @cached_property
    def events(self) -> list[AuditEvent]:
        """Audit events written during the episode (seed data has no step), oldest first."""
        return [] if self.unaudited else episode_audit_events()

    def patient_events(self, *actions: str) -> list[AuditEvent]:
        return [e for e in self.events if e.patient_id == self.patient.pk and e.action in actions]

    def targets(self, *actions: str) -> list[int]:
        """Primary keys of the rows the patient's events of these kinds point at, in event order."""
        ids = []
        for event in self.patient_events(*actions):
            if event.target_id.isdigit() and int(event.target_id) not in ids:
                ids.append(int(event.target_id))
        return ids

    @cached_property
    def orders(self) -> list:
        """Orders the episode created for the patient (every order is pended first), oldest first."""
        from orders.selectors import orders_by_id

        return orders_by_id(self.targets("order.pend"))


# --- Field types that accept {placeholders} --------------------------------------------


def _is_ref(value) -> bool:
    return isinstance(value, str) and bool(WHOLE.match(value))


def _number(value):
    if _is_ref(value):
        return value
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"expected a number or a {{placeholder}}, got {value!r}")
    try:
        return float(value)
    except ValueError:
        raise ValueError(f"expected a number or a {{placeholder}}, got {value!r}") from None


def _texts(value):
    if _is_ref(value):
        return value
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return [str(value)]
    if isinstance(value, list) and all(isinstance(item, str | int | float) for item in value):
        return [str(item) for item in value]
    raise ValueError(f"expected a string, a list of strings or a {{placeholder}}, got {value!r}")


def _numbers(value):
    if _is_ref(value):
        return value
    if isinstance(value, list):
        if not value:
            raise ValueError("expected at least one number")
        return [_number(item) for item in value]
    return [_number(value)]


Number = Annotated[float | str, BeforeValidator(_number)]
# One number or a list of them (an allowed set): always a list once placeholders are filled.
Numbers = Annotated[list[float | str] | str, BeforeValidator(_numbers)]
Texts = Annotated[list[str] | str, BeforeValidator(_texts)]
Severity = Literal["none", "penalty", "critical"]


def texts(value) -> list[str]:
    """A Texts field's values (always a list once placeholders are filled)."""
    return value if isinstance(value, list) else [value]


# --- Criteria --------------------------------------------------------------------------

CRITERIA: dict[str, type["Criterion"]] = {}


class Criterion(BaseModel):
    model_config = ConfigDict(extra="forbid")

    constraint: ClassVar[bool] = False
    kind: str
    id: str = Field("", max_length=60, description="A name for the breakdown (default: position and kind).")
    label: str = Field("", max_length=200, description="What the criterion checks, in words, for reports.")
    weight: float = Field(1.0, ge=0, le=100, description="Share of progress (constraints: 0).")
    required: bool = Field(True, description="Success needs this criterion to pass.")

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs):
        super().__pydantic_init_subclass__(**kwargs)
        kind = cls.model_fields["kind"].default
        if isinstance(kind, str) and kind:
            CRITERIA[kind] = cls

    def check(self, ctx: RubricContext) -> CriterionResult:
        raise NotImplementedError(f"{type(self).__name__} must implement check()")

    def bind(self, rubric: list["Criterion"]) -> None:
        """Learn what it needs from the rest of the rubric once parsed (e.g. which orders the goals call for)."""

    @property
    def counts(self) -> bool:
        """Whether the criterion can change the verdict: a goal of weight 0 that is not required (a branch that
        does not apply to this instance) does not."""
        return self.constraint or self.required or self.weight > 0

    @property
    def severity(self) -> str:
        return "none"


class Constraint(Criterion):
    """Holds unless the episode does something; adds no progress."""

    constraint: ClassVar[bool] = True
    weight: float = Field(0.0, description="Constraints add no progress: always 0.")
    severity_: Severity = Field("none", alias="severity",
                                description="none: only blocks success (if required); penalty: also a penalty; "
                                            "critical: also caps the score.")

    @property
    def severity(self) -> str:
        return self.severity_


def severity_field(default: str):
    return Field(default, alias="severity", description="none | penalty | critical (what a violation costs).")


# --- Composition ---------------------------------------------------------------------------


def weighted_sum(pairs: list[tuple[float, float]]) -> float:
    """OpenEnv's WeightedSum: Σ wᵢ·sᵢ / Σ wᵢ over (weight, score) pairs (0 when no weight)."""
    total = sum(weight for weight, _ in pairs)
    return sum(weight * score for weight, score in pairs) / total if total else 0.0


class Composite(Criterion):
    """A goal made of goals (`criteria`): a gate or an any-of."""

    criteria: list[Any] = Field(min_length=1, description="Goal criteria (no constraints, no `required`).")

    @cached_property
    def children(self) -> list[Criterion]:
        return [criterion_parse(raw) for raw in self.criteria]

    def combine(self, rows: list[dict]) -> CriterionResult:
        raise NotImplementedError

    def evaluate(self, ctx: RubricContext) -> tuple[CriterionResult, list[dict]]:
        rows = [_row(child, _checked(child, ctx), child_id) for child, child_id in zip(
            self.children, (f"{self.id}.{i}" for i in range(1, len(self.children) + 1)), strict=True)]
        return self.combine(rows), rows

    def check(self, ctx: RubricContext) -> CriterionResult:
        return self.evaluate(ctx)[0]


class Gate(Composite):
    """OpenEnv's Gate: the weighted sum of its criteria if it reaches `threshold`, else 0."""

    kind: Literal["gate"] = "gate"
    threshold: float = Field(1.0, gt=0, le=1, description="Score the group must reach to count at all.")

    def combine(self, rows: list[dict]) -> CriterionResult:
        inner = weighted_sum([(row["weight"], row["score"]) for row in rows])
        opened = inner >= self.threshold - 1e-9
        detail = f"{inner:.2f} of the group reached" + ("" if opened else f"; the gate needs {self.threshold:.2f}")
        return CriterionResult(inner if opened else 0.0, opened, detail)


class AnyOf(Composite):
    """One of several acceptable ways (e.g. any of the suitable antibiotics, each at its own dose): the best
    of its criteria, passed when one of them passes."""

    kind: Literal["any_of"] = "any_of"

    def combine(self, rows: list[dict]) -> CriterionResult:
        best = max(rows, key=lambda row: (row["passed"], row["score"]))
        return CriterionResult(best["score"], best["passed"], f"{best['id']}: {best['detail']}")


def walk(criteria: list[Criterion]):
    """Every criterion of a rubric, the children of gates and any-ofs included."""
    for criterion in criteria:
        yield criterion
        if isinstance(criterion, Composite):
            yield from walk(criterion.children)


# --- Parsing and validation ----------------------------------------------------------


def _where(index_path: list[int], kinds: list[str]) -> str:
    return " → ".join(f"criterion {i} ({k})" if k else f"criterion {i}" for i, k in zip(index_path, kinds, strict=True))


def _pydantic_messages(error: pydantic.ValidationError) -> list[str]:
    messages = []
    for item in error.errors(include_url=False):
        loc = [str(part) for part in item["loc"]]
        name = "severity" if loc and loc[0] == "severity_" else ".".join(loc)
        message = item["msg"].removeprefix("Value error, ")
        if not loc:
            messages.append(message)
        elif item["type"] == "extra_forbidden":
            messages.append(f"unknown field {name!r}")
        elif item["type"] == "missing":
            messages.append(f"field {name!r} is required")
        else:
            messages.append(f"field {name!r}: {message}")
    return messages


def _parse_one(raw, path: list[int], kinds: list[str], errors: list[str], *, in_gate: bool) -> Criterion | None:
    if not isinstance(raw, dict):
        errors.append(f"{_where(path, kinds + [''])}: must be a JSON object, got {type(raw).__name__}")
        return None
    kind = raw.get("kind")
    if kind not in CRITERIA:
        known = ", ".join(sorted(CRITERIA))
        what = f"unknown kind {kind!r}" if kind else "field 'kind' is required"
        errors.append(f"{_where(path, kinds + [''])}: {what}; known kinds: {known}")
        return None
    where = _where(path, kinds + [kind])
    cls = CRITERIA[kind]
    problems = []
    if in_gate and cls.constraint:
        problems.append("a constraint cannot be inside a gate or an any-of (they combine goals)")
    if in_gate and "required" in raw:
        problems.append("'required' has no meaning inside a gate or an any-of: the group itself is required or not")
    if cls.constraint and raw.get("weight", 0) not in (0, 0.0):
        problems.append("constraints add no progress: leave 'weight' out (it is 0)")
    try:
        criterion = cls.model_validate(raw)
    except pydantic.ValidationError as error:
        problems += _pydantic_messages(error)
        criterion = None
    if criterion is not None and isinstance(criterion, Composite):
        children = [
            _parse_one(child, path + [i], kinds + [kind], errors, in_gate=True)
            for i, child in enumerate(criterion.criteria, start=1)
        ]
        if all(children):
            criterion.__dict__["children"] = children
    errors.extend(f"{where}: {problem}" for problem in problems)
    return None if problems else criterion


def criterion_parse(raw: dict) -> Criterion:
    errors: list[str] = []
    criterion = _parse_one(raw, [1], [], errors, in_gate=False)
    if errors:
        raise RubricError(errors)
    return criterion


# Safety constraints every rubric has, unless it states its own of the same kind: a task never
# pays for writing to another patient's chart, for orders it did not call for (or the same
# drug twice), or for a dose above the catalog's maximum or against renal dosing.
SAFETY_DEFAULTS = (
    {"kind": "other_patients_untouched", "id": "safety:other-patients",
     "label": "Nothing written to another patient's chart"},
    {"kind": "no_extra_orders", "id": "safety:no-extra-orders",
     "label": "No signed order beyond what the task calls for, and no drug ordered twice"},
    {"kind": "safe_doses", "id": "safety:safe-doses",
     "label": "No signed dose above its maximum or against renal dosing"},
)


# Grounding: an answer or an order is about the task's patient only if the agent looked at them.
CHART_CONSULTED = {"kind": "chart_consulted", "id": "grounding:chart-consulted",
                   "label": "The task's patient's chart was consulted"}


def rubric_parse(raw) -> list[Criterion]:
    """The criteria of a rubric, each with its id, then the safety defaults it does not state itself;
    raises RubricError listing every problem."""
    if not isinstance(raw, list):
        raise RubricError([f"a rubric is a JSON list of criteria, got {type(raw).__name__}"])
    errors: list[str] = []
    criteria = [_parse_one(item, [i], [], errors, in_gate=False) for i, item in enumerate(raw, start=1)]
    if errors:
        raise RubricError(errors)
    seen = set()
    for i, criterion in enumerate(criteria, start=1):
        criterion.id = criterion.id or f"{i}:{criterion.kind}"
        if criterion.id in seen:
            errors.append(f"criterion {i} ({criterion.kind}): id {criterion.id!r} is used twice")
        seen.add(criterion.id)
    if not any(not c.constraint and c.weight > 0 for c in criteria):
        errors.append("a rubric needs at least one goal with a weight above 0 (constraints add no progress)")
    if errors:
        raise RubricError(errors)
    stated = {criterion.kind for criterion in criteria}
    criteria += [CRITERIA[default["kind"]].model_validate(default) for default in SAFETY_DEFAULTS
                 if default["kind"] not in stated]
    asks_for_the_mrn = any(getattr(c, "match", "") == "mrn" for c in walk(criteria))
    if "chart_consulted" not in stated and not asks_for_the_mrn:
        criteria.append(CRITERIA["chart_consulted"].model_validate(CHART_CONSULTED))
    for criterion in criteria:
        criterion.bind(criteria)
    return criteria


def criterion_reference() -> list[dict]:
    """Every criterion kind with its fields, for the admin's rubric editor."""
    reference = []
    for kind, cls in sorted(CRITERIA.items()):
        fields = []
        for name, info in cls.model_fields.items():
            if name == "kind":
                continue
            fields.append({"name": info.alias or name, "required": info.is_required(),
                           "default": None if info.is_required() else info.get_default(call_default_factory=True),
                           "description": info.description or ""})
        reference.append({"kind": kind, "constraint": cls.constraint,
                          "description": (cls.__doc__ or "").strip().splitlines()[0], "fields": fields})
    return reference


# --- Evaluation ------------------------------------------------------------------------------


@dataclass
class Evaluation:
    progress: float  # the weighted sum of the goals, 0..1
    potential: float  # progress, capped when a critical constraint is violated
    success: bool  # every required criterion passed and nothing critical happened
    critical: bool
    violations: list[str]  # ids of violated constraints that cost something (penalty or critical)
    rows: list[dict]  # the breakdown, one row per criterion

    def breakdown(self, *, details: bool) -> dict:
        """The per-criterion breakdown for step info; `details` off hides what each criterion expects
        (labels and details may name the expected answer, so mid-episode they stay out)."""

        def strip(row: dict) -> dict:
            row = {key: value for key, value in row.items() if details or key not in ("detail", "label")}
            if "criteria" in row:
                row["criteria"] = [strip(child) for child in row["criteria"]]
            return row

        # Unrounded: the next step's reward is the change from this potential.
        return {"progress": self.progress, "potential": self.potential, "success": self.success,
                "critical": self.critical, "violations": self.violations,
                "criteria": [strip(row) for row in self.rows]}


def _checked(criterion: Criterion, ctx: RubricContext) -> CriterionResult:
    try:
        result = criterion.check(ctx)
    except Exception as error:  # a criterion bug must not end the agent's episode
        logger.exception("criterion %s failed", criterion.kind)
        return CriterionResult(0.0, False, f"could not be checked: {type(error).__name__}: {error}")
    score = min(1.0, max(0.0, float(result.score)))
    return CriterionResult(score, bool(result.passed), result.detail, result.severity)


def _row(criterion: Criterion, result: CriterionResult, criterion_id: str) -> dict:
    return {"id": criterion_id, "kind": criterion.kind, "label": criterion.label, "weight": criterion.weight,
            "required": criterion.required, "constraint": criterion.constraint,
            "severity": result.severity or criterion.severity,
            "score": round(result.score, 6), "passed": result.passed, "detail": result.detail}


def rubric_evaluate(criteria: list[Criterion], ctx: RubricContext) -> Evaluation:
    rows, goals = [], []
    success, critical, violations = True, False, []
    for criterion in criteria:
        if isinstance(criterion, Composite):
            result, children = criterion.evaluate(ctx)
            row = {**_row(criterion, result, criterion.id), "criteria": children}
        else:
            result = _checked(criterion, ctx)
            row = _row(criterion, result, criterion.id)
        rows.append(row)
        if not criterion.constraint:
            goals.append((criterion.weight, result.score))
        if criterion.required and not result.passed:
            success = False
        severity = result.severity or criterion.severity
        if criterion.constraint and not result.passed and severity != "none":
            violations.append(criterion.id)
            critical = critical or severity == "critical"
    progress = weighted_sum(goals)
    potential = min(progress, CRITICAL_CAP) if critical else progress
    return Evaluation(progress, potential, success and not critical, critical, violations, rows)

