import pytest

from clinical.tests import factories


@pytest.fixture
def clinician(db):
    return factories.make_user()


@pytest.fixture
def client_in(client, clinician):
    """A browser session signed in as Dr. Dana Smith."""
    client.force_login(clinician)
    return client


@pytest.fixture
def alice(db):
    return factories.make_alice()


@pytest.fixture
def bob(db):
    return factories.make_bob()


@pytest.fixture
def charlie(db):
    return factories.make_charlie()


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Real hashing costs ~0.3 s per user; page tests only need a valid login."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
