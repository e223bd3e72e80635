"""A small golden database, users with API tokens, and a guarantee that no episode
database outlives its test."""

from datetime import UTC, date, datetime

import pytest
from django.contrib.auth import get_user_model
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from agentenv import snapshots
from agentenv.models import Episode
from agentenv.reset import ResetParameters, episode_reset
from agentenv.step import episode_step
from clinical.models import Allergy, Condition, Observation, Patient
from conftest import episodes_close_all

EPISODE_DBS = pytest.mark.django_db(databases=["default", "golden"], transaction=True)

MARIA_MRN = "E1000001"
JAMES_MRN = "E1000002"


@pytest.fixture(autouse=True)
def _agentenv_settings(settings, tmp_path):
    # Tests that use the pool turn it on themselves; a reset must not refill behind their back.
    settings.EHRGYM_POOL_SIZE = 0
    settings.EHRGYM_POOL_REFILL_IN_BACKGROUND = False
    settings.EHRGYM_EPISODE_DIR = tmp_path / "episodes"


def _allow_episode_aliases(monkeypatch):
    """Let the test open connections to episode aliases.

    Django's test case refuses connections to any configured alias its `databases` do
    not list, and episode aliases are configured at run time, after the test case
    was set up. Its guard keeps the real method in its closure; episode aliases go
    straight to it, every other alias still goes through the guard.
    """
    guarded = BaseDatabaseWrapper.ensure_connection
    cells = dict(zip(guarded.__code__.co_freevars, (cell.cell_contents for cell in guarded.__closure__ or ()),
                     strict=True))
    real = cells.get("real_ensure_connection")
    if real is None:
        return

    def ensure_connection(self, *args, **kwargs):
        if self.alias.startswith(snapshots.ALIAS_PREFIX):
            return real(self, *args, **kwargs)
        return guarded(self, *args, **kwargs)

    monkeypatch.setattr(BaseDatabaseWrapper, "ensure_connection", ensure_connection)


@pytest.fixture
def golden(monkeypatch):
    """The golden database with two patients (the test runner migrated it)."""
    _allow_episode_aliases(monkeypatch)
    maria = Patient.objects.using("golden").create(
        mrn=MARIA_MRN, fhir_id="maria", given_name="Maria", family_name="Garcia",
        birth_date=date(1958, 6, 2), sex=Patient.Sex.FEMALE,
    )
    Patient.objects.using("golden").create(
        mrn=JAMES_MRN, fhir_id="james", given_name="James", family_name="Okafor",
        birth_date=date(1971, 11, 20), sex=Patient.Sex.MALE,
    )
    Condition.objects.using("golden").create(
        fhir_id="maria-dm", patient=maria, code="44054006", display="Diabetes mellitus type 2",
        category="problem-list-item", onset=datetime(2015, 3, 1, tzinfo=UTC),
    )
    Allergy.objects.using("golden").create(fhir_id="maria-pcn", patient=maria, substance="Penicillin V",
                                           reaction="Hives")
    for fhir_id, value, day in (("a1c-1", 8.1, 1), ("a1c-2", 7.4, 2), ("a1c-3", 6.9, 3)):
        Observation.objects.using("golden").create(
            fhir_id=fhir_id, patient=maria, loinc="4548-4", display="Hemoglobin A1c", value_num=value, unit="%",
            ref_high=5.7, flag="H", effective_at=datetime(2023, day, 15, 9, tzinfo=UTC),
        )
    # PostgreSQL copies the golden database as a template: nobody may be connected to it.
    connections["golden"].close()
    yield
    episodes_close_all()


def _user_with_token(username: str):
    user = get_user_model().objects.create_user(username=username)
    return user, Token.objects.create(user=user).key


@pytest.fixture
def alice():
    """An agent developer with an API token."""
    return _user_with_token("alice")[0]


@pytest.fixture
def bob():
    """Another agent developer: must never see alice's episodes."""
    return _user_with_token("bob")[0]


def client_for(user, keyword: str = "Token") -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"{keyword} {user.auth_token.key}")
    return client


@pytest.fixture
def alice_api(alice) -> APIClient:
    return client_for(alice)


@pytest.fixture
def bob_api(bob) -> APIClient:
    return client_for(bob)


def start(owner, mrn: str = MARIA_MRN, instruction: str = "Review the chart.") -> Episode:
    return episode_reset(owner=owner, parameters=ResetParameters(patient_mrn=mrn, instruction=instruction))


def act(episode: Episode, **action):
    episode.refresh_from_db()
    return episode_step(episode=episode, action=action)
