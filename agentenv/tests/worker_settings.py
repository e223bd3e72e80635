"""Settings for a Celery worker started by a test: the test's own databases.

The test runner renames the databases (test_*) inside the test process only; a
worker started from the test reads the names it must use from the environment.
"""

import os

from ehrsite.settings import *  # noqa: F403
from ehrsite.settings import DATABASES

DATABASES["default"]["NAME"] = os.environ["EHRGYM_WORKER_DEFAULT_NAME"]
DATABASES["golden"]["NAME"] = os.environ["EHRGYM_WORKER_GOLDEN_NAME"]
