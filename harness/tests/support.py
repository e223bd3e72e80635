"""Helpers for criterion unit tests: chart writes made "during an episode", and checking one criterion.

Unit tests write to the main test database through the real services. Inside
`episode(step)` their audit events carry an episode step, as the environment records
them; outside it they are seed data, which no criterion may credit.
"""

from contextlib import contextmanager

from clinical.audit import episode_step_context
from harness.rubrics import CriterionResult, RubricContext
from harness.rubrics.base import criterion_parse
from orders import lifecycle, signing
from orders.models import Order

ACTOR = "agent"


@contextmanager
def episode(step: int = 1):
    with episode_step_context(step):
        yield


def check(raw: dict, patient=None, **context) -> CriterionResult:
    context.setdefault("patient_mrn", patient.mrn if patient else "E0000")
    ctx = RubricContext(**context)
    return criterion_parse(raw).check(ctx)


def answer_alerts(patient, reason: str = "Benefit outweighs the risk; will monitor closely") -> None:
    for alert in signing.order_alerts_check(patient=patient, actor=ACTOR):
        if alert.is_open and alert.is_high:
            signing.alert_override(alert=alert, actor=ACTOR, reason=reason)
        elif alert.is_open:
            signing.alert_acknowledge(alert=alert, actor=ACTOR)


def pend(patient, ref: str, **fields) -> Order:
    return lifecycle.order_pend(patient=patient, orderable=ref, actor=ACTOR, **fields)


def sign(patient, *orders: Order) -> list[Order]:
    answer_alerts(patient)
    signed = signing.orders_sign(patient=patient, actor=ACTOR, orders=list(orders) or None)
    for order in orders:
        order.refresh_from_db()
    return signed
