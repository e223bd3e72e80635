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
