"""Running `manage.py evaluate` in tests: the command's JSON last line, with the report it wrote."""

import json
from io import StringIO
from pathlib import Path

from django.core.management import call_command


def evaluate(out_dir: Path, **options) -> dict:
    stdout = StringIO()
    call_command("evaluate", stdout=stdout, stderr=StringIO(), out=str(out_dir), **options)
    summary = json.loads(stdout.getvalue().strip().splitlines()[-1])
    summary["data"] = json.loads(Path(summary["report"]).read_text())
    return summary
