"""setup_demo: a fresh main database gets patients and two logins, however often it runs."""

from datetime import date
from io import StringIO

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command

from clinical.models import Observation, Patient, Practitioner
from seeddata.population import population_slice
from seeddata.scenarios import is_scenario_id

PATIENTS = 2
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def small_population(tmp_path, settings):
    """Two patients of the shipped population stand in for all of it."""
    out = tmp_path / "population"
    population_slice(source_dir=settings.EHRGYM_POPULATION_DIR, out_dir=out, patients=PATIENTS)
    settings.EHRGYM_POPULATION_DIR = out
    return out


@pytest.fixture(autouse=True)
def default_passwords(monkeypatch):
    monkeypatch.delenv("EHRGYM_DEMO_PASSWORD", raising=False)


def setup_demo() -> str:
    out = StringIO()
    call_command("setup_demo", stdout=out, verbosity=0)
    return out.getvalue()


def test_it_imports_the_population_into_an_empty_database():
    output = setup_demo()

    assert Patient.objects.count() == PATIENTS
    assert f"Imported {PATIENTS} patients" in output


def test_it_creates_a_clinician_and_an_admin_and_prints_their_credentials():
    output = setup_demo()

    clinician = authenticate(username="clinician", password="ehrgym-clinician")
    admin = authenticate(username="admin", password="ehrgym-admin")
    assert clinician and not clinician.is_staff and not clinician.is_superuser
    assert admin and admin.is_superuser and admin.is_staff
    assert "clinician" in output and "ehrgym-clinician" in output
    assert "admin" in output and "ehrgym-admin" in output
    practitioner = Practitioner.objects.get(username="clinician")
    assert practitioner.display_name == "Dr. Alex Morgan"


def test_it_is_idempotent_and_resets_the_demo_logins():
    setup_demo()
    clinician = get_user_model().objects.get(username="clinician")
    clinician.set_password("changed-by-hand")
    clinician.is_active = False
    clinician.save()

    output = setup_demo()

    assert Patient.objects.count() == PATIENTS
    assert get_user_model().objects.count() == 2
    assert Practitioner.objects.filter(username="clinician").count() == 1
    assert authenticate(username="clinician", password="ehrgym-clinician")
    assert "already has patients" in output


def test_it_leaves_a_database_with_patients_alone():
    Patient.objects.create(mrn="X1", fhir_id="charlie", given_name="Charlie", family_name="Existing",
                           birth_date=date(1980, 1, 1))

    setup_demo()

    assert list(Patient.objects.values_list("fhir_id", flat=True)) == ["charlie"]


def test_the_demo_password_can_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("EHRGYM_DEMO_PASSWORD", "local-secret")

    output = setup_demo()

    assert authenticate(username="clinician", password="local-secret")
    assert authenticate(username="admin", password="local-secret")
    assert "local-secret" in output


def test_it_adds_the_scenario_overlay_the_golden_database_has():
    setup_demo()

    added = [fhir_id for fhir_id in Observation.objects.values_list("fhir_id", flat=True) if is_scenario_id(fhir_id)]
    assert added, "the overlay's labs should be in the main database too"
