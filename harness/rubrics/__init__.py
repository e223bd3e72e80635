"""The rubric engine: criteria (one module per area) registered by kind, parsed from JSON, evaluated.

Importing this package registers every criterion kind.
"""

from harness.rubrics import answers, chart, inbasket, medications, notes, orders, trajectory  # noqa: F401  (registers the kinds)
from harness.rubrics.base import (  # noqa: F401
    CRITERIA,
    CRITICAL_CAP,
    SAFETY_DEFAULTS,
    AnyOf,
    Composite,
    Constraint,
    Criterion,
    CriterionResult,
    Evaluation,
    Gate,
    RubricContext,
    RubricError,
    criterion_reference,
    rubric_evaluate,
    rubric_parse,
    walk,
    weighted_sum,
)
