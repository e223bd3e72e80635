"""`openenv validate --url .../openenv`, OpenEnv's own conformance check of a running server, passes against
the server `make run` starts: every criterion (OpenAPI version and paths, health, metadata, schema, MCP, mode)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from agentenv.tests.browser_support import asgi_server  # noqa: F401
from agentenv.tests.conftest import EPISODE_DBS

pytestmark = [EPISODE_DBS]

OPENENV = Path(sys.executable).with_name("openenv")


def test_openenv_validate_passes_every_criterion(asgi_server):
    done = subprocess.run([str(OPENENV), "validate", "--url", f"{asgi_server}/openenv", "--json"],
                          capture_output=True, text=True, timeout=120)

    report = json.loads(done.stdout)
    failed = [criterion for criterion in report["criteria"] if not criterion["passed"]]
    assert not failed, json.dumps(failed, indent=2)
    assert done.returncode == 0 and report["passed"] is True
    ids = {criterion["id"] for criterion in report["criteria"]}
    assert {"openapi_version_available", "mcp_endpoint", "mode_endpoint_consistency"} <= ids
    assert report["mode"] == "simulation" and report["standard_profile"] == "openenv-http/1.x"


@pytest.fixture(autouse=True)
def _openenv_cli():
    if not OPENENV.exists():
        pytest.fail(f"the openenv CLI ({OPENENV}) is missing: pip install -r requirements-dev.txt")
