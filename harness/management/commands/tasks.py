"""`manage.py tasks list | sync | stats | validate`: the task library from the command line."""

import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from harness import selectors, services, stats
from harness.browser_oracles import browser_oracle_names
from harness.instances import GOLDEN


class Command(BaseCommand):
    help = "List, load (sync), count (stats) or validate (run the oracles of) the tasks."

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="command", required=True)
        listing = commands.add_parser("list", help="Every task: id, status, tier, domain, title.")
        listing.add_argument("--published", action="store_true", help="Only published tasks.")
        commands.add_parser("sync", help="Load the library (harness/library) into the database; idempotent.")
        counting = commands.add_parser(
            "stats", help="Templates and distinct instances per tier and domain; the last line is JSON."
        )
        counting.add_argument("--all", action="store_true", help="Count draft tasks too (default: published).")
        checking = commands.add_parser("validate", help="Run each task's oracle on sampled instances.")
        checking.add_argument("task_ids", nargs="*", help="Tasks to validate (default: all).")
        checking.add_argument("--instances", type=int, default=3, help="Instances (seeds 0..n-1) per task.")
        checking.add_argument(
            "--browser", action="store_true",
            help="Run the browser-action oracles (beside their templates in harness/library) instead, on the tasks "
                 "that have one, in real browsers that reach the EHR at EHRGYM_BROWSER_BASE_URL (a server on this data "
                 "directory must be serving there). Results are printed, not recorded on the tasks.",
        )

    def handle(self, *args, command, **options):
        getattr(self, f"_{command}")(**options)

    def _list(self, *, published, **options):
        for task in selectors.task_list(published_only=published):
            self.stdout.write(f"{task.task_id:<60} {task.status:<9} {task.tier:<9} {task.domain:<28} {task.title}")

    def _sync(self, **options):
        try:
            report = services.task_sync()
        except ValidationError as error:
            lines = [f"{field}: {message}" for field, messages in error.message_dict.items() for message in messages]
            raise CommandError("The library breaks the task rules; nothing was loaded:\n" + "\n".join(lines)) from None
        for label, ids in (("created", report.created), ("updated", report.updated)):
            for task_id in ids:
                self.stdout.write(f"{label:<8} {task_id}")
        self.stdout.write(f"{len(report.created)} created, {len(report.updated)} updated, "
                          f"{len(report.unchanged)} unchanged")

    def _stats(self, *, all, **options):
        summary = stats.library_stats(selectors.task_list(published_only=not all), using=GOLDEN)
        self.stdout.write(f"{'task':<60} {'tier':<9} {'variants':>8} {'patients':>8} {'instances':>9} "
                          f"{'held out':>8} {'classes':>7} {'constant':>8}  best constant answer")
        for row in summary["tasks"]:
            share = row["best_constant_share"]
            constant = f"{share:>8.0%}  {row['best_constant']!r}" if share is not None else f"{'—':>8}"
            classes = row["answer_classes"] or "—"
            self.stdout.write(f"{row['task_id']:<60} {row['tier']:<9} {row['variants']:>8} {row['patients']:>8} "
                              f"{row['instances']:>9} {row['heldout']:>8} {classes:>7} {constant}")
        for heading, buckets in (("tier", summary["tiers"]), ("domain", summary["domains"])):
            self.stdout.write("")
            self.stdout.write(f"{heading:<30} {'templates':>9} {'instances':>9}")
            for name, counts in buckets.items():
                self.stdout.write(f"{name:<30} {counts['templates']:>9} {counts['instances']:>9}")
        self.stdout.write("")
        self.stdout.write(f"{summary['templates']} templates, {summary['instances']} distinct instances "
                          f"({summary['heldout']} held out for evaluation)")
        self.stdout.write("classes: distinct expected answers of a question, each drawn equally often; constant: the "
                          "share of a question's instances the best single answer solves.")
        self.stdout.write(json.dumps({
            **{key: summary[key] for key in ("templates", "instances", "heldout", "tiers", "domains")},
            "best_constant_share": {row["task_id"]: row["best_constant_share"] for row in summary["tasks"]
                                    if row["best_constant_share"] is not None},
            "answer_classes": {row["task_id"]: row["answer_classes"] for row in summary["tasks"]
                               if row["answer_classes"]},
        }, sort_keys=True))

    def _validate(self, *, task_ids, instances, browser, **options):
        tasks = selectors.task_list(task_ids=task_ids)
        missing = sorted(set(task_ids) - set(tasks.values_list("task_id", flat=True)))
        if missing:
            raise CommandError(f"No such task: {', '.join(missing)}")
        owner = services.task_validator_user()
        if browser:
            return self._validate_in_browser(task_ids=task_ids, tasks=tasks, owner=owner, instances=instances)
        failed = 0
        for task in tasks.order_by("task_id"):
            task = services.task_validate(task=task, owner=owner, instances=instances)
            summary = task.validation
            failed += summary["solved"] < summary["instances"]
            self.stdout.write(f"{task.task_id:<60} solved {summary['solved']}/{summary['instances']} "
                              f"mean score {summary['mean_score']:.2f}")
            for result in summary["results"]:
                for error in result["errors"]:
                    self.stdout.write(f"    seed {result['seed']} ({result['patient_mrn']}): {error}")
        if failed:
            raise CommandError(f"{failed} task(s) were not solved by their oracle on every instance")

    def _validate_in_browser(self, *, task_ids, tasks, owner, instances):
        from harness.runner import task_run  # the runner drives agentenv, which imports the harness

        in_browser = browser_oracle_names()
        without = sorted(task.task_id for task in tasks if task.oracle not in in_browser)
        if task_ids and without:
            raise CommandError(f"No browser-action oracle for: {', '.join(without)}")
        failed = 0
        for task in tasks.exclude(task_id__in=without).order_by("task_id"):
            runs = [task_run(owner=owner, task_id=task.task_id, seed=seed, mode="browser", allow_draft=True)
                    for seed in range(instances)]
            solved = sum(run.success for run in runs)
            failed += solved < len(runs)
            self.stdout.write(f"{task.task_id:<60} solved {solved}/{len(runs)} in the browser")
            for run in runs:
                for error in run.errors:
                    self.stdout.write(f"    seed {run.seed} ({run.patient_mrn}): {error}")
        if failed:
            raise CommandError(f"{failed} task(s) were not solved by their browser oracle on every instance")
