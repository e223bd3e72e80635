"""FHIR tests talk HTTP to a real server (pytest-django's live server) with fhirclient, the FHIR client the
project already uses for import. Episodes run on the harness's golden database (the Synthea population, the
task library loaded); the main database gets a few factory patients for /fhir/r4/ itself."""

from dataclasses import dataclass

import pytest
import requests
from django.contrib.auth import get_user_model
from fhirclient.server import FHIRServer
from rest_framework.authtoken.models import Token

from agentenv.models import Episode
from harness.tests.conftest import alice, chart, harness_golden  # noqa: F401 (fixtures)


def fhir_server(base_url: str, token: str | None) -> FHIRServer:
    """fhirclient's server for a FHIR base, sending the API token on every request."""
    server = FHIRServer(None, base_uri=base_url)
    if token:
        server.session.headers["Authorization"] = f"Bearer {token}"
    return server


@dataclass
class EpisodeBase:
    """An episode started through the REST API, and fhirclient pointed at its FHIR base."""

    episode: Episode
    base_url: str
    server: FHIRServer
    token: str

    @property
    def mrn(self) -> str:
        return self.episode.task_instance.get("patient_mrn") or self.episode.patient_mrn

    def refreshed(self) -> Episode:
        self.episode.refresh_from_db()
        return self.episode


def episode_started(live_server_url: str, token: str, **reset) -> EpisodeBase:
    answer = requests.post(f"{live_server_url}/api/v1/episodes", json=reset,
                           headers={"Authorization": f"Bearer {token}"}, timeout=60)
    assert answer.status_code == 201, answer.text
    body = answer.json()
    base_url = body["info"]["fhir_base_url"]
    return EpisodeBase(Episode.objects.get(pk=body["episode_id"]), base_url, fhir_server(base_url, token), token)


@pytest.fixture
def staff(db):
    user = get_user_model().objects.create_user("sam", is_staff=True)
    return user, Token.objects.create(user=user).key


@pytest.fixture
def reader(db):
    user = get_user_model().objects.create_user("rita")
    return user, Token.objects.create(user=user).key


def busiest_patient(loinc_category: str = "laboratory") -> tuple[str, str]:
    """(MRN, LOINC) of the golden patient with the most results of one test: the richest chart to page through."""
    from django.db import connections
    from django.db.models import Count

    from clinical.models import Observation

    row = (Observation.objects.using("golden").filter(category=loinc_category, value_num__isnull=False)
           .values("patient__mrn", "loinc").annotate(n=Count("id")).order_by("-n", "patient__mrn").first())
    # On PostgreSQL an idle connection to the golden database blocks every copy of it (CREATE DATABASE ...
    # TEMPLATE waits for it): a reset would hang.
    connections["golden"].close()
    return row["patient__mrn"], row["loinc"]


@pytest.fixture
def chart_episode(chart, live_server, alice):  # noqa: F811
    """A free-form episode (no task) on the busiest patient's chart, read through its FHIR base (every read of a
    patient's chart is a step: room for the many the tests make)."""
    mrn, _ = busiest_patient()
    return episode_started(live_server.url, alice.auth_token.key, patient_mrn=mrn,
                           instruction="Review the chart.", step_limit=1000)
