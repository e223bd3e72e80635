"""Audit events: every service records one, inside its own transaction.

The environment (agentenv) sets the current episode step around each action with
`episode_step_context`, so the EHR apps record it without knowing about episodes.
"""

from contextlib import contextmanager
from contextvars import ContextVar

from django.db import models

from clinical.models import AuditEvent, Patient

_episode_step: ContextVar[int | None] = ContextVar("episode_step", default=None)
# How many audit events the current step context recorded (a list: one counter, shared by copies of the context).
_step_recorded: ContextVar[list[int] | None] = ContextVar("step_recorded", default=None)


@contextmanager
def episode_step_context(step: int):
    tokens = _episode_step.set(step), _step_recorded.set([0])
    try:
        yield
    finally:
        _step_recorded.reset(tokens[1])
        _episode_step.reset(tokens[0])


def step_recorded() -> int | None:
    """Audit events recorded so far in this step context, rolled back or not (None outside one)."""
    recorded = _step_recorded.get()
    return None if recorded is None else recorded[0]


def audit_record(
    *,
    actor: str,
    action: str,
    target: models.Model,
    patient: Patient | None = None,
    details: dict | None = None,
) -> AuditEvent:
    event = AuditEvent.objects.using(target._state.db or "default").create(
        actor=actor or "system",
        action=action,
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
        patient=patient,
        details=details or {},
        episode_step=_episode_step.get(),
    )
    recorded = _step_recorded.get()
    if recorded is not None:
        recorded[0] += 1
    return event
