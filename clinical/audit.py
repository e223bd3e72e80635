"""Audit events: every service records one, inside its own transaction.

The environment (agentenv) sets the current episode step around each action with
`episode_step_context`, so the EHR apps record it without knowing about episodes.
"""

from contextlib import contextmanager
from contextvars import ContextVar

from django.db import models

from clinical.models import AuditEvent, Patient

_episode_step: ContextVar[int | None] = ContextVar("episode_step", default=None)


@contextmanager
def episode_step_context(step: int):
    token = _episode_step.set(step)
    try:
        yield
    finally:
        _episode_step.reset(token)


def audit_record(
    *,
    actor: str,
    action: str,
    target: models.Model,
    patient: Patient | None = None,
    details: dict | None = None,
) -> AuditEvent:
    return AuditEvent.objects.using(target._state.db or "default").create(
        actor=actor or "system",
        action=action,
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
        patient=patient,
        details=details or {},
        episode_step=_episode_step.get(),
    )
