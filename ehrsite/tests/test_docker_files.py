"""The Dockerfile and docker-compose.yml agree with the code they run (issue 19).

No container engine runs here: both files are read with maintained parsers (dockerfile-parse, PyYAML) and checked
against the entrypoint's roles, the settings' environment variables, the health endpoint and each other. The
entrypoint itself is run on this machine by test_entrypoint.py.
"""

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from django.urls import reverse
from dockerfile_parse import DockerfileParser

ROOT = Path(__file__).resolve().parents[2]
ENTRYPOINT = ROOT / "scripts" / "entrypoint.sh"


@pytest.fixture(scope="module")
def dockerfile() -> DockerfileParser:
    return DockerfileParser(str(ROOT / "Dockerfile"))


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def instructions(dockerfile: DockerfileParser, name: str) -> list[str]:
    return [item["value"] for item in dockerfile.structure if item["instruction"] == name]


def entrypoint_roles() -> set[str]:
    """The roles the entrypoint's `case` answers to."""
    script = ENTRYPOINT.read_text()
    body = script[script.index('case "$role" in'):script.index("esac")]
    return set(re.findall(r"^  ([a-z]+)\)$", body, flags=re.MULTILINE))


def variables_read() -> set[str]:
    """Every environment variable the settings, the demo logins and the entrypoint read."""
    from seeddata.demo import DEMO_PASSWORD_ENV

    settings_source = (ROOT / "ehrsite" / "settings.py").read_text()
    read = set(re.findall(r'env_(?:str|bool|int|list)\(\s*"([A-Z0-9_]+)"', settings_source))
    read |= set(re.findall(r"\$\{([A-Z0-9_]+)", ENTRYPOINT.read_text()))
    return read | {DEMO_PASSWORD_ENV}


def test_the_image_is_a_slim_python_311_running_the_entrypoint_as_a_user_other_than_root(dockerfile):
    assert dockerfile.baseimage == "python:3.11-slim"
    (entrypoint,) = instructions(dockerfile, "ENTRYPOINT")
    assert json.loads(entrypoint) == ["scripts/entrypoint.sh"]
    assert ENTRYPOINT.exists() and os.access(ENTRYPOINT, os.X_OK)
    (cmd,) = instructions(dockerfile, "CMD")
    assert entrypoint_roles() == {"init", "web", "worker", "beat", "manage"}
    assert json.loads(cmd) == ["web"]
    users = instructions(dockerfile, "USER")
    assert users and users[-1] not in {"root", "0"}


def test_dependencies_are_installed_in_a_layer_before_the_source_is_copied(dockerfile):
    steps = [(item["instruction"], item["value"]) for item in dockerfile.structure
             if item["instruction"] in {"COPY", "RUN"}]
    install = steps.index(("RUN", "pip install -r requirements.txt"))
    copy_all = steps.index(("COPY", ". ."))
    copied_before = [value for instruction, value in steps[:install] if instruction == "COPY"]
    assert install < copy_all and any(value.startswith("requirements.txt") for value in copied_before)
    # requirements.txt installs the client from ./client: it must be in the image by then.
    assert "-e ./client" in (ROOT / "requirements.txt").read_text()
    assert any(value.startswith("client/") for value in copied_before)


def test_the_healthcheck_asks_the_health_endpoint_on_the_port_the_image_exposes(dockerfile):
    (healthcheck,) = instructions(dockerfile, "HEALTHCHECK")
    assert reverse("openenv:health") in healthcheck
    assert "EHRGYM_PORT" in healthcheck
    assert instructions(dockerfile, "EXPOSE") == [dockerfile.envs["EHRGYM_PORT"]]
    assert dockerfile.envs["EHRGYM_DATA_DIR"] in instructions(dockerfile, "VOLUME")[0]


def test_compose_runs_every_role_and_the_services_they_need(compose):
    services = compose["services"]
    assert {"web", "worker", "beat", "init", "postgres", "redis", "selenium-hub", "chromium"} <= set(services)
    for name in ("init", "web", "worker", "beat"):
        assert services[name]["build"] == "." and services[name]["command"][0] == name in entrypoint_roles()
    hub, node = services["selenium-hub"]["image"], services["chromium"]["image"]
    assert hub.startswith("selenium/hub:") and node.startswith("selenium/node-chromium:")
    assert hub.split(":")[1] == node.split(":")[1], "the hub and its nodes must run the same Selenium release"
    assert node_environment(compose)["SE_EVENT_BUS_HOST"] == "selenium-hub"


def node_environment(compose) -> dict:
    return compose["services"]["chromium"]["environment"]


def test_compose_names_only_variables_the_code_reads_and_points_them_at_its_services(compose, dockerfile):
    environment = compose["services"]["web"]["environment"]
    unknown = set(environment) - variables_read()
    assert not unknown, f"compose sets variables nothing reads: {sorted(unknown)}"
    services = compose["services"]
    assert urlsplit(environment["DATABASE_URL"]).hostname == "postgres"
    assert urlsplit(environment["DATABASE_URL"]).path == "/" + services["postgres"]["environment"]["POSTGRES_DB"]
    assert urlsplit(environment["REDIS_URL"]).hostname == "redis"
    grid = urlsplit(environment["EHRGYM_SELENIUM_REMOTE_URL"])
    assert (grid.hostname, str(grid.port)) == ("selenium-hub", services["selenium-hub"]["ports"][0].split(":")[1])
    # The grid's browsers reach the EHR by its service name, on the port it serves, and the EHR accepts that host.
    browser_base = urlsplit(environment["EHRGYM_BROWSER_BASE_URL"])
    port = environment["EHRGYM_PORT"]
    assert (browser_base.hostname, str(browser_base.port)) == ("web", port)
    assert "web" in environment["EHRGYM_ALLOWED_HOSTS"].split(",")
    assert port == dockerfile.envs["EHRGYM_PORT"]
    assert services["web"]["ports"] == [f"{port}:{port}"]
    # Only one process runs the migrations; the web processes skip them.
    assert environment["EHRGYM_SKIP_INIT"] == "1"
    assert services["web"]["depends_on"]["init"]["condition"] == "service_completed_successfully"
    for name in ("worker", "beat"):
        assert services[name]["environment"] == {k: v for k, v in environment.items() if k != "EHRGYM_SKIP_INIT"}


def test_the_settings_accept_the_compose_environment(compose, tmp_path):
    """Start Django with exactly the environment compose gives the web process (its ${...} filled in)."""
    environment = {
        name: re.sub(r"\$\{[^}]*\}", "x" * 50 if name == "EHRGYM_SECRET_KEY" else "", str(value))
        for name, value in compose["services"]["web"]["environment"].items()
    }
    probe = ("import django; django.setup(); from django.conf import settings as s; import json; print(json.dumps("
             "[s.DATABASES['default']['ENGINE'], s.CELERY_BROKER_URL, s.CHANNEL_LAYERS['default']['BACKEND'],"
             " s.EHRGYM_SELENIUM_REMOTE_URL, s.EHRGYM_BROWSER_BASE_URL]))")
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={"PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": "ehrsite.settings",
             "EHRGYM_DATA_DIR": str(tmp_path), **environment},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    engine, broker, layer, grid, browser_base = json.loads(done.stdout.strip().splitlines()[-1])
    assert engine == "django.db.backends.postgresql" and broker == "redis://redis:6379/0"
    assert layer == "channels_redis.core.RedisChannelLayer"
    assert (grid, browser_base) == ("http://selenium-hub:4444", "http://web:8000")


def test_worker_commands_are_what_the_entrypoint_passes_to_celery(compose):
    worker = compose["services"]["worker"]
    assert worker["command"][1:] == ["--concurrency=2"]
    assert shlex.join(worker["healthcheck"]["test"][1:]).startswith("python -m celery -A ehrsite inspect ping")
