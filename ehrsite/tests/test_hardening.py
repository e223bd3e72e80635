"""Hardening (issue 16, item 8): HTTPS settings from the environment, security headers, a sign-in guard,
API tokens never shown whole in admin, and an OpenAPI document without warnings that says what it needs."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client
from rest_framework.authtoken.models import Token

ROOT = Path(__file__).resolve().parents[2]
DEPLOY_ENV = {
    "EHRGYM_DEBUG": "0", "EHRGYM_ALLOWED_HOSTS": "ehr.example.org", "EHRGYM_SSL_REDIRECT": "1",
    "EHRGYM_SECURE_COOKIES": "1", "EHRGYM_HSTS_SECONDS": "31536000", "EHRGYM_HSTS_INCLUDE_SUBDOMAINS": "1",
    "EHRGYM_HSTS_PRELOAD": "1", "EHRGYM_SECRET_KEY": "x" * 20 + "-deploy-check-" + "k8Qz" * 10,
}


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()  # failed sign-ins are counted in the cache
    yield
    cache.clear()


def test_check_deploy_is_clean_with_the_https_settings_on():
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"} | DEPLOY_ENV
    run = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "no issues" in run.stdout


def test_the_https_settings_are_off_by_default_and_read_from_the_environment():
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    show = ("from django.conf import settings as s; print(s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, "
            "s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS)")
    command = [sys.executable, "manage.py", "shell", "--no-imports", "-c", show]
    default = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert default.stdout.split() == ["False", "False", "False", "0"], default.stderr
    deployed = subprocess.run(command, cwd=ROOT, env=env | DEPLOY_ENV, capture_output=True, text=True, timeout=120)
    assert deployed.stdout.split() == ["True", "True", "True", "31536000"], deployed.stderr


@pytest.mark.django_db
def test_pages_and_the_api_carry_a_content_security_policy_and_a_permissions_policy(client):
    for path in ["/accounts/login/", "/api/v1/actions"]:
        response = client.get(path)
        policy = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "object-src 'none'" in policy and "frame-ancestors 'none'" in policy
        assert "camera=()" in response.headers["Permissions-Policy"]


def test_no_template_has_an_inline_script():
    """Scripts come from static files only, so the policy's script-src 'self' refuses any injected one."""
    inline = []
    for template in sorted((ROOT / "templates").rglob("*.html")):
        for tag in re.findall(r"<script\b[^>]*>", template.read_text()):
            if "src=" not in tag:
                inline.append(f"{template.relative_to(ROOT)}: {tag}")
    assert not inline, "\n".join(inline)


def _sign_in(client: Client, path: str, username: str, password: str):
    return client.post(path, {"username": username, "password": password})


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/accounts/login/", "/admin/login/"])
def test_sign_ins_are_refused_after_five_failures_even_with_the_right_password(client, django_user_model, path):
    django_user_model.objects.create_user("dana", password="right-horse-battery", is_staff=True)
    for _ in range(5):
        assert _sign_in(client, path, "dana", "wrong").status_code == 200  # the form again, with its error
    refused = _sign_in(client, path, "dana", "right-horse-battery")
    assert refused.status_code == 200 and "_auth_user_id" not in client.session
    assert "Too many failed sign-ins for &#x27;dana&#x27; from this address" in refused.content.decode()
    cache.clear()  # the lockout window has passed
    assert _sign_in(client, path, "dana", "right-horse-battery").status_code == 302


@pytest.mark.django_db
def test_a_successful_sign_in_clears_the_count_of_failures(client, django_user_model):
    django_user_model.objects.create_user("erin", password="right-horse-battery")
    for _ in range(4):
        _sign_in(client, "/accounts/login/", "erin", "wrong")
    assert _sign_in(client, "/accounts/login/", "erin", "right-horse-battery").status_code == 302
    client.logout()
    for _ in range(4):
        _sign_in(client, "/accounts/login/", "erin", "wrong")
    assert _sign_in(client, "/accounts/login/", "erin", "right-horse-battery").status_code == 302


@pytest.mark.django_db
def test_the_published_demo_password_is_refused_where_the_server_is_reachable_from_elsewhere(
        client, django_user_model, settings):
    django_user_model.objects.create_superuser("admin", password="ehrgym-admin")
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = ["ehr.example.org", "testserver"]
    refused = _sign_in(client, "/admin/login/", "admin", "ehrgym-admin")
    assert "still has the published demo password" in refused.content.decode()
    assert "_auth_user_id" not in client.session
    settings.EHRGYM_ALLOW_DEMO_PASSWORDS = True  # chosen on purpose
    assert _sign_in(client, "/admin/login/", "admin", "ehrgym-admin").status_code == 302


@pytest.mark.django_db
def test_the_published_demo_password_works_on_a_local_demo(client, django_user_model, settings):
    django_user_model.objects.create_user("clinician", password="ehrgym-clinician")
    settings.DEBUG = False
    assert _sign_in(client, "/accounts/login/", "clinician", "ehrgym-clinician").status_code == 302


@pytest.mark.django_db
def test_admin_never_shows_an_api_token_whole(client, django_user_model):
    admin = django_user_model.objects.create_superuser("root", password="root-horse-battery")
    token = Token.objects.create(user=admin)
    client.force_login(admin)
    listing = client.get("/admin/agentenv/apitoken/")
    assert listing.status_code == 200 and token.key[:6] in listing.content.decode()
    change = client.get(f"/admin/agentenv/apitoken/{admin.pk}/change/")
    assert change.status_code == 200
    for page in (listing, change):
        assert token.key not in page.content.decode()
    assert client.get("/admin/authtoken/tokenproxy/").status_code == 404  # DRF's own listing is gone


def test_the_openapi_document_has_no_warnings_and_states_auth_and_the_reset_rule(tmp_path):
    out = tmp_path / "schema.json"
    call_command("spectacular", "--validate", "--fail-on-warn", "--format", "openapi-json", "--file", str(out))
    schema = json.loads(out.read_text())
    reset = schema["paths"]["/api/v1/episodes"]["post"]
    assert "401" in reset["responses"] and "503" in reset["responses"]
    rule = schema["components"]["schemas"]["ResetRequest"]["anyOf"]
    assert [option["required"] for option in rule] == [["task_id"], ["patient_mrn", "instruction"]]
    assert "401" in schema["paths"]["/openenv/step"]["post"]["responses"]


@pytest.mark.django_db
def test_an_unexpected_error_on_the_api_is_json_and_on_a_page_the_ehrs_error_page(monkeypatch, django_user_model):
    from rest_framework.test import APIClient

    def broken():
        raise RuntimeError("a bug")

    monkeypatch.setattr("agentenv.apis.action_schemas", broken)
    api = APIClient(raise_request_exception=False)
    api.force_authenticate(django_user_model.objects.create_user("fay"))
    response = api.get("/api/v1/actions")
    assert response.status_code == 500 and response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Internal server error: the server's log has the details."}

    monkeypatch.setattr("clinical.views.chart_patient", lambda mrn: broken())
    browser = Client(raise_request_exception=False)
    browser.force_login(django_user_model.objects.get(username="fay"))
    page = browser.get("/patients/E1000001/")
    assert page.status_code == 500 and page["Content-Type"].startswith("text/html")
    assert 'data-testid="server-error"' in page.content.decode()
