import pytest

from clinical.tests import factories
from orders.catalog import catalog_load
from orders.models import Orderable, OrderSet, OrderSetItem


@pytest.fixture
def catalog(db):
    """The orderable catalog, reloaded if a transactional test flushed the database."""
    if not Orderable.objects.exists():
        catalog_load(
            orderable_model=Orderable, order_set_model=OrderSet, order_set_item_model=OrderSetItem, using="default"
        )
    return Orderable.objects.all()


@pytest.fixture
def clinician(db):
    return factories.make_user()


@pytest.fixture
def client_in(client, clinician):
    """A browser session signed in as Dr. Dana Smith (not staff)."""
    client.force_login(clinician)
    return client


@pytest.fixture
def lab_tech(db):
    user = factories.make_user("labtech", first="Lee", last="Lab")
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    return user


@pytest.fixture
def alice(catalog):
    """58-year-old woman, penicillin and peanut allergies, on metformin, lisinopril, atorvastatin."""
    return factories.make_alice()


@pytest.fixture
def bob(catalog):
    """80-year-old man with CKD 3 (creatinine 1.9) on furosemide, no allergies."""
    return factories.make_bob()


@pytest.fixture
def charlie(catalog):
    """8-year-old boy with asthma, no allergies, no labs."""
    return factories.make_charlie()
