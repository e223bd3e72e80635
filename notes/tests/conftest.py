"""Personas for the notes tests.

- dana (drsmith, Dana Smith): Alice's PCP; author of her "Diabetes follow-up" (signed)
  and "Telephone follow-up" (draft) notes.
- lee (drjones, Lee Jones): another clinician; author of Alice's signed H&P.
- alice: the richly charted patient of clinical/tests/factories.py; bob: heart failure,
  no allergies; charlie: a child with nothing but asthma (no vitals, labs or allergies).
"""

import pytest

from clinical.tests import factories
from notes import standard_templates
from notes.models import Note, NoteTemplate


@pytest.fixture
def dana(db):
    return factories.make_user("drsmith", first="Dana", last="Smith")


@pytest.fixture
def lee(db):
    return factories.make_user("drjones", first="Lee", last="Jones")


@pytest.fixture
def client_dana(client, dana):
    client.force_login(dana)
    return client


@pytest.fixture
def client_lee(client, lee):
    client.force_login(lee)
    return client


@pytest.fixture
def templates(db):
    """The shipped templates (installed by migration 0003; reinstalled in case a
    transactional test flushed the tables)."""
    standard_templates.install(NoteTemplate, using="default")
    return {t.key: t for t in NoteTemplate.objects.all()}


@pytest.fixture
def alice_draft(alice) -> Note:
    """Dana's draft telephone note on Alice."""
    return Note.objects.get(patient=alice, title="Telephone follow-up")


@pytest.fixture
def alice_signed(alice) -> Note:
    """Dana's signed diabetes follow-up on Alice."""
    return Note.objects.get(patient=alice, title="Diabetes follow-up")
