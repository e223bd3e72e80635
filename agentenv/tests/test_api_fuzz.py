"""Schemathesis against the project's own OpenAPI document, through a real server (issue 16).

It generates requests from the schema (valid ones, and ones the schema forbids), follows the
links between operations (reset, then step, state, trajectory, close), and checks every answer:
no 5xx, every status code and body as documented, forbidden requests refused, no operation
reachable without the token. One check is left out, with its reason: `positive_data_acceptance`
expects every schema-valid request to succeed, but a schema cannot say that an MRN must exist in
the chart or that screenshots need browser mode; those are refused with a 400 that names the field.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from agentenv.models import Episode
from agentenv.tests.browser_support import asgi_server  # noqa: F401
from agentenv.tests.conftest import EPISODE_DBS
from conftest import require_service

pytestmark = [EPISODE_DBS, pytest.mark.slow, pytest.mark.usefixtures("golden")]
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")


def test_schemathesis_finds_no_server_error_and_no_departure_from_the_schema(asgi_server, alice, tmp_path):
    require_service(SCHEMATHESIS.exists() or shutil.which("schemathesis") is not None,
                    "schemathesis (pip install -r requirements-dev.txt)")
    run = subprocess.run(
        [str(SCHEMATHESIS), "run", f"{asgi_server}/api/schema/?format=json",
         "--header", f"Authorization: Bearer {alice.auth_token.key}",
         "--checks", "all", "--exclude-checks", "positive_data_acceptance",
         "--phases", "coverage,fuzzing,stateful", "--max-examples", "10", "--seed", "1", "--workers", "1",
         "--report", "junit", "--report-dir", str(tmp_path)],
        cwd=tmp_path, capture_output=True, text=True, timeout=600,
    )
    assert run.returncode == 0, run.stdout[-8000:] + run.stderr[-2000:]
    assert "Tested: 13" in run.stdout  # every operation of the document was reached
    # The episodes it started hold their databases until closed: the stateful phase closes some; none is stuck.
    assert not Episode.objects.filter(status=Episode.Status.CREATED).exists()
