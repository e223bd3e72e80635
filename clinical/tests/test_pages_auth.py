import pytest
from django.urls import reverse

from clinical.tests.factories import ALICE_MRN

pytestmark = pytest.mark.django_db

PROTECTED = [
    "/",
    "/patients/",
    "/lookup/?q=x",
    f"/patients/{ALICE_MRN}/",
    f"/patients/{ALICE_MRN}/results/",
    f"/patients/{ALICE_MRN}/notes/",
]


@pytest.mark.parametrize("url", PROTECTED)
def test_it_sends_anonymous_users_to_the_login_page(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_it_shows_a_sign_in_form(client):
    html = client.get(reverse("login")).content.decode()
    for testid in ("login-username", "login-password", "login-submit"):
        assert f'data-testid="{testid}"' in html
    assert "Sign in to EHRGym" in html
    assert 'role="banner"' in html and "<main" in html


def test_it_signs_in_and_lands_on_my_patients(client, clinician):
    response = client.post(reverse("login"), {"username": "drsmith", "password": "secret-pass-123"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("clinical:patient_list")
    html = response.content.decode()
    assert "Dana Smith" in html and 'data-testid="logout"' in html


def test_it_rejects_a_wrong_password(client, clinician):
    response = client.post(reverse("login"), {"username": "drsmith", "password": "nope"})
    assert response.status_code == 200
    assert 'data-testid="login-error"' in response.content.decode()


def test_it_returns_to_the_requested_page_after_sign_in(client, clinician, alice):
    chart = f"/patients/{ALICE_MRN}/"
    credentials = {"username": "drsmith", "password": "secret-pass-123", "next": chart}
    response = client.post(f"{reverse('login')}?next={chart}", credentials)
    assert response.url == chart


def test_it_logs_out_with_a_post(client_in):
    response = client_in.post(reverse("logout"))
    assert response.status_code == 302
    assert client_in.get("/patients/").status_code == 302
