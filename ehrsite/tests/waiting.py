"""Waiting on a process the test started (the entrypoint, ehrsite.serve): for a condition, or for its failure."""

import subprocess
import time
from pathlib import Path

import pytest
import requests


def wait_for(condition, process: subprocess.Popen, log: Path, what: str, seconds: float):
    """condition()'s first truthy value within `seconds`; fails with the log's tail if the process exits first or
    the time runs out."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        assert process.poll() is None, f"the process exited ({process.returncode}) before {what}:\n" \
                                       f"{log.read_text()[-3000:]}"
        time.sleep(0.3)
    pytest.fail(f"no {what} within {seconds} s:\n{log.read_text()[-3000:]}")


def answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=5).ok
    except requests.RequestException:
        return False
