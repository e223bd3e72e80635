"""`manage.py export_trajectories --run ID --out file.jsonl`: an evaluation's trajectories as JSONL.

One JSON object per line per episode (its metadata, result and steps); see harness/trajectories.py.
"""

import uuid
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from agentenv.models import Episode
from harness import trajectories
from harness.models import Evaluation


class Command(BaseCommand):
    help = "Write an evaluation run's (or one episode's) trajectories as JSONL: one episode per line."

    def add_arguments(self, parser):
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--run", type=int, help="Evaluation id (manage.py evaluate prints it).")
        which.add_argument("--episode", help="One episode's id.")
        parser.add_argument("--out", required=True, help="The .jsonl file to write ('-': stdout).")

    def handle(self, *args, run, episode, out, **options):
        if run is not None:
            evaluation = Evaluation.objects.filter(pk=run).first()
            if evaluation is None:
                raise CommandError(f"No evaluation {run}.")
            lines = trajectories.evaluation_jsonl(evaluation)
        else:
            found = Episode.objects.filter(pk=episode).first() if _is_uuid(episode) else None
            if found is None:
                raise CommandError(f"No episode {episode}.")
            lines = trajectories.episode_jsonl(found)
        if out == "-":
            for line in lines:
                self.stdout.write(line, ending="")
            return
        path = Path(out)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w") as handle:
            count = sum(1 for line in lines if handle.write(line))
        self.stdout.write(f"{count} episode(s) written to {path}")


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True
