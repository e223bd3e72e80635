import pytest
from django.urls import reverse

from clinical.tests import factories
from clinical.tests.factories import ALICE_MRN, BOB_MRN

pytestmark = pytest.mark.django_db
URL = reverse("clinical:patient_lookup")


@pytest.mark.parametrize(
    "query", [ALICE_MRN, "e1001", "Walker", "alice walker", "Walker, Alice", "1967-03-14", "03/14/1967"]
)
def test_it_opens_the_chart_when_exactly_one_patient_matches(client_in, alice, bob, query):
    response = client_in.get(URL, {"q": query})
    assert response.status_code == 302
    assert response.url == reverse("clinical:chart_summary", args=[ALICE_MRN])


def test_it_lists_several_matches(client_in, alice, bob):
    twin = factories.make_patient(
        mrn="E2001", given="Alan", family="Walker", birth_date=factories.ALICE_DOB, sex="male"
    )
    html = client_in.get(URL, {"q": "03/14/1967"}).content.decode()
    assert 'data-testid="lookup-results"' in html
    assert f'data-testid="patient-link-{ALICE_MRN}"' in html and f'data-testid="patient-link-{twin.mrn}"' in html
    assert f"patient-link-{BOB_MRN}" not in html


def test_it_says_clearly_when_nothing_matches(client_in, alice):
    html = client_in.get(URL, {"q": "01/01/1901"}).content.decode()
    assert 'data-testid="lookup-no-match"' in html and "No patient matches" in html


def test_it_explains_itself_without_a_query(client_in):
    html = client_in.get(URL).content.decode()
    assert 'data-testid="lookup-hint"' in html and html.count("<h1") == 1


def test_it_treats_an_impossible_date_as_text(client_in, alice):
    assert client_in.get(URL, {"q": "02/31/1967"}).status_code == 200
