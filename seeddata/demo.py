"""Demo logins for a local EHRGym: a clinician and an admin, and the clinician's chart identity.

Fixed passwords are deliberate: this is a local demo on synthetic data. Set
EHRGYM_DEMO_PASSWORD to use another password for both accounts.
"""

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from clinical.models import Patient, Practitioner
from ehrsite.env import env_str

DEMO_PASSWORD_ENV = "EHRGYM_DEMO_PASSWORD"


@dataclass(frozen=True)
class DemoClinician:
    """A practitioner who can log in; fhir_id is ours, never a Synthea id."""

    username: str
    fhir_id: str
    prefix: str
    given_name: str
    family_name: str
    specialty: str


DEMO_CLINICIANS = (
    DemoClinician(
        username="clinician",
        fhir_id="ehrgym-demo-clinician",
        prefix="Dr.",
        given_name="Alex",
        family_name="Morgan",
        specialty="Internal Medicine",
    ),
)
CLINICIAN_USERNAME = "clinician"
ADMIN_USERNAME = "admin"
DEFAULT_PASSWORDS = {CLINICIAN_USERNAME: "ehrgym-clinician", ADMIN_USERNAME: "ehrgym-admin"}


@dataclass(frozen=True)
class DemoSetup:
    imported_patients: int
    credentials: dict[str, str]
    import_errors: list[str]


def demo_password(username: str) -> str:
    return env_str(DEMO_PASSWORD_ENV) or DEFAULT_PASSWORDS[username]


def demo_practitioners_ensure(*, using: str) -> list[Practitioner]:
    """The demo clinicians' Practitioner rows, created or brought back to their definition."""
    practitioners = []
    for clinician in DEMO_CLINICIANS:
        practitioner, _ = Practitioner.objects.using(using).update_or_create(
            fhir_id=clinician.fhir_id,
            defaults={
                "username": clinician.username,
                "prefix": clinician.prefix,
                "given_name": clinician.given_name,
                "family_name": clinician.family_name,
                "specialty": clinician.specialty,
            },
        )
        practitioners.append(practitioner)
    return practitioners


def _user_reset(*, username: str, password: str, superuser: bool, using: str):
    user, _ = get_user_model().objects.db_manager(using).get_or_create(username=username)
    user.is_active = True
    user.is_staff = superuser
    user.is_superuser = superuser
    user.set_password(password)
    user.save(using=using)
    return user


def demo_users_reset(*, using: str = "default") -> dict[str, str]:
    """Create or reset the demo accounts; returns username -> password."""
    credentials = {username: demo_password(username) for username in (CLINICIAN_USERNAME, ADMIN_USERNAME)}
    with transaction.atomic(using=using):
        _user_reset(username=CLINICIAN_USERNAME, password=credentials[CLINICIAN_USERNAME], superuser=False, using=using)
        _user_reset(username=ADMIN_USERNAME, password=credentials[ADMIN_USERNAME], superuser=True, using=using)
    return credentials


def demo_population_ensure(
    *, using: str, population_dir: Path | None = None, progress: bool = False
) -> tuple[int, list[str]]:
    """Import the default population into an empty database: (patients imported, failed bundles).

    A database that already has patients is someone's working data: it is left as it is.
    The authored scenario overlay is added as in the golden database, so a clinician
    browsing by hand sees the same charts the agents' tasks are built on.
    """
    if Patient.objects.using(using).exists():
        return 0, []
    from seeddata.fhir.importer import import_paths
    from seeddata.population import population_bundles_path, verify_population
    from seeddata.scenarios import scenarios_apply

    population_dir = Path(population_dir or settings.EHRGYM_POPULATION_DIR)
    manifest = verify_population(population_dir)
    summary = import_paths([population_bundles_path(population_dir)], using=using, progress=progress)
    if manifest.get("reference_date") and not summary.errors:
        scenarios_apply(using=using, reference_date=date.fromisoformat(manifest["reference_date"]))
    return Patient.objects.using(using).count(), [str(error) for error in summary.errors]


def demo_setup(*, using: str = "default", population_dir: Path | None = None, progress: bool = False) -> DemoSetup:
    imported, errors = demo_population_ensure(using=using, population_dir=population_dir, progress=progress)
    with transaction.atomic(using=using):
        demo_practitioners_ensure(using=using)
    return DemoSetup(imported_patients=imported, credentials=demo_users_reset(using=using), import_errors=errors)
