import pytest

from clinical.tests import factories
from orders.tests.conftest import catalog  # noqa: F401  (the orderable catalog, for resulting orders)


@pytest.fixture
def clinician(db):
    return factories.make_user()


@pytest.fixture
def client_in(client, clinician):
    client.force_login(clinician)
    return client
