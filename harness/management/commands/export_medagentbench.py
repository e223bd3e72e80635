"""`manage.py export_medagentbench [--out DIR] [--per-category N] [--seed S]`: MedAgentBench's task file (and its
functions file) for this population, to run MedAgentBench's own harness against this EHR's FHIR base."""

import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

from harness.agents.medagentbench import functions
from harness.medagentbench_export import category_tasks, medagentbench_tasks


class Command(BaseCommand):
    help = ("Write MedAgentBench's task file (test_data.json) and functions file (funcs.json) for this population's "
            "ten MedAgentBench-category tasks.")

    def add_arguments(self, parser):
        parser.add_argument("--out", default="", help="Directory to write (default: <data dir>/medagentbench/).")
        parser.add_argument("--per-category", type=int, default=30, help="Instances of each category (default 30, "
                                                                          "as MedAgentBench v2).")
        parser.add_argument("--seed", type=int, default=0, help="First instance seed.")

    def handle(self, *args, out, per_category, seed, **options):
        if per_category < 1:
            raise CommandError("--per-category must be at least 1.")
        categories = category_tasks()
        if not categories:
            raise CommandError("No published MedAgentBench-category task: run `manage.py tasks sync` first.")
        folder = Path(out) if out else Path(settings.DATA_DIR) / "medagentbench"
        folder.mkdir(parents=True, exist_ok=True)
        tasks = list(medagentbench_tasks(per_category=per_category, seed=seed))
        (folder / "test_data.json").write_text(json.dumps(tasks, indent=1))
        (folder / "funcs.json").write_text(json.dumps(functions("{api_base}"), indent=1))
        base = settings.EHRGYM_BROWSER_BASE_URL.rstrip("/") + reverse("fhir:base")
        short = {number: sum(task["id"].startswith(f"task{number}_") for task in tasks) for number in categories}
        missing = [f"category {number}: {count}" for number, count in short.items() if count < per_category]
        self.stdout.write(f"Wrote {len(tasks)} tasks of {len(categories)} categories and the functions to {folder}.")
        if missing:
            self.stdout.write(f"Fewer instances than asked where the population has fewer ({', '.join(missing)}).")
        self.stdout.write(f"Point MedAgentBench's fhir_api_base at {base} (set EHRGYM_FHIR_PUBLIC_READS=true on a "
                          "loopback server: its harness sends no token).")
        self.stdout.write(json.dumps({"tasks": len(tasks), "categories": len(categories), "out": str(folder),
                                      "fhir_api_base": base}))
