"""`manage.py evaluate --agent {oracle,random,llm,exploit-<name>,exploit-all} [--interface tools|medagentbench]`:
run an agent on sampled task instances (the held-out split by default) and report.

The last stdout line is one JSON object: episodes, success_rate, mean_reward, report
(report.json's path), report_html, evaluation (the run's id).
"""

import json
import secrets
import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from tqdm import tqdm

from harness import evaluation as evaluations
from harness.agents import AGENT_NAMES, INTERFACES, AgentUnavailable, agent_get
from harness.models import Evaluation, Task


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise ValueError(text)
    return value


class Command(BaseCommand):
    help = ("Evaluate an agent (oracle, random, llm, or an exploit that must fail) on a seeded sample of published "
            "task instances.")

    def add_arguments(self, parser):
        parser.add_argument("--agent", required=True, choices=AGENT_NAMES)
        parser.add_argument("--interface", default="tools", choices=sorted(INTERFACES),
                            help="How the llm agent acts: tools (the semantic actions as function calls, default) or "
                                 "medagentbench (MedAgentBench's GET/POST/FINISH text protocol on the episode's FHIR "
                                 "API).")
        parser.add_argument("--tier", default="", choices=["", *Task.Tier.values])
        parser.add_argument("--domain", default="", choices=["", *Task.Domain.values])
        parser.add_argument("--task", default="", help="One task id (default: every published task that matches).")
        parser.add_argument("--episodes", type=_positive, default=10, help="Episodes to run, spread over the tasks.")
        parser.add_argument("--workers", type=_positive, default=1, help="Episodes run at once.")
        parser.add_argument("--seed", type=int, default=None, help="Seed of the sample (default: random, reported).")
        parser.add_argument("--split", default="heldout", choices=["heldout", "train", "all"],
                            help="Which instances: the held-out split (default; never in a training set), the "
                                 "train split, or all.")
        parser.add_argument("--out", default="", help="Report directory (default: var/reports/<timestamp>-<agent>/).")
        parser.add_argument("--backend", default="auto", choices=["auto", *Evaluation.Backend.values],
                            help="threads, or celery (needs a broker, REDIS_URL); auto: celery when a broker is set.")

    def handle(self, *args, agent, tier, domain, task, episodes, workers, seed, out, backend, split, interface,
               **options):
        if interface != "tools":
            if agent != "llm":
                raise CommandError(f"--interface {interface} is a way for the llm agent to act: use --agent llm.")
            agent = INTERFACES[interface]
        try:
            chosen = agent_get(agent)
        except AgentUnavailable as error:
            raise CommandError(str(error)) from None
        if backend == "auto":
            backend = Evaluation.Backend.THREADS if settings.CELERY_TASK_ALWAYS_EAGER else Evaluation.Backend.CELERY
        if backend == Evaluation.Backend.CELERY and settings.CELERY_TASK_ALWAYS_EAGER:
            raise CommandError("--backend celery needs a broker: set REDIS_URL.")
        seed = secrets.randbits(31) if seed is None else seed
        try:
            run = evaluations.evaluation_create(agent=agent, episodes=episodes, seed=seed, workers=workers,
                                                backend=backend, tier=tier, domain=domain, task_id=task,
                                                split="" if split == "all" else split)
        except evaluations.EvaluationError as error:
            raise CommandError(str(error)) from None
        stamp = timezone.localtime(run.started_at).strftime("%Y%m%d-%H%M%S")
        out_dir = Path(out) if out else Path(settings.DATA_DIR) / "reports" / f"{stamp}-{agent}"
        self.stderr.write(f"evaluation {run.pk}: {agent} agent, {episodes} episodes over "
                          f"{len({item['task_id'] for item in run.plan})} tasks, seed {seed}, {backend}")
        progress = tqdm(total=episodes, desc=f"evaluate {agent}", unit="ep", file=sys.stderr, dynamic_ncols=True)
        successes = 0

        def on_result(result):
            nonlocal successes
            successes += result.success
            progress.update(1)
            progress.set_postfix(success=f"{successes}/{progress.n}")

        error = ""
        try:
            if backend == Evaluation.Backend.CELERY:
                evaluations.evaluation_run_celery(evaluation=run, on_result=on_result,
                                                  idle_timeout_s=settings.CELERY_TASK_TIME_LIMIT + 60)
            else:
                evaluations.evaluation_run_threads(evaluation=run, agent=chosen, workers=workers, on_result=on_result)
        except KeyboardInterrupt:
            error = "interrupted"
        finally:
            progress.close()
            run = evaluations.evaluation_finish(evaluation=run, out_dir=out_dir, error=error)
        report = Path(run.report_path)
        self.stdout.write(f"report: {report / 'report.html'}")
        self.stdout.write(json.dumps({
            "evaluation": run.pk, "episodes": run.episodes_done, "success_rate": run.success_rate,
            "mean_reward": run.mean_reward, "report": str(report / "report.json"),
            "report_html": str(report / "report.html"),
        }))
        if error:
            raise CommandError(f"evaluation {run.pk} {error}; the report covers the episodes that finished")
