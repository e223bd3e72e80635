"""Test-wide fixtures and the rule for tests that need real services.

Tests that need PostgreSQL, Redis or Chromium skip with a clear message when the
service is absent, unless EHRGYM_REQUIRE_SERVICES=1 (as in CI), where they fail.
"""

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent
SYNTHEA_DIR = ROOT.parent / "shared" / "synthea"
ARTIFACTS_DIR = Path(os.environ.get("EHRGYM_ARTIFACTS_DIR", ROOT / "artifacts"))


def require_service(available: bool, what: str) -> None:
    """Skip (or, with EHRGYM_REQUIRE_SERVICES=1, fail) when a real service is missing."""
    if available:
        return
    if os.environ.get("EHRGYM_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{what} is required (EHRGYM_REQUIRE_SERVICES=1) but not available")
    pytest.skip(f"{what} not available on this machine")


@pytest.fixture
def synthea_bundles() -> list[Path]:
    """The twenty real Synthea bundles in ../shared/synthea (skips when absent)."""
    files = sorted(SYNTHEA_DIR.glob("*.json"))
    if not files:
        pytest.skip(f"real Synthea bundles not found in {SYNTHEA_DIR}")
    return files


@pytest.fixture
def artifacts_dir() -> Path:
    ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS_DIR
