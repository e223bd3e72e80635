"""`manage.py export_trajectories --run ID --out file.jsonl`: an evaluation's trajectories as JSONL.

One JSON object per line per episode (its metadata, result and steps); see harness/trajectories.py.
`--format sft` writes each episode as a TRL conversational tool-calling example instead
(`messages` with `tool_calls`, and `tools`), which TRL's SFTTrainer reads as it is.
"""

import uuid
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from agentenv.models import Episode
from harness import trajectories
from harness.selectors import evaluation_find


class Command(BaseCommand):
    help = "Write an evaluation run's (or one episode's) trajectories as JSONL: one episode per line."

    def add_arguments(self, parser):
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--run", type=int, help="Evaluation id (manage.py evaluate prints it).")
        which.add_argument("--episode", help="One episode's id.")
        parser.add_argument("--out", required=True, help="The .jsonl file to write ('-': stdout).")
        parser.add_argument("--format", dest="output_format", default="jsonl", choices=["jsonl", "sft"],
                            help="jsonl: the trajectories; sft: tool-calling conversations for TRL's SFTTrainer.")
        parser.add_argument("--successful-only", action="store_true",
                            help="(--format sft) Only the episodes that succeeded.")

    def handle(self, *args, run, episode, out, output_format, successful_only, **options):
        evaluation, found = None, None
        if run is not None:
            evaluation = evaluation_find(evaluation_id=run)
            if evaluation is None:
                raise CommandError(f"No evaluation {run}.")
        else:
            found = Episode.objects.filter(pk=episode).first() if _is_uuid(episode) else None
            if found is None:
                raise CommandError(f"No episode {episode}.")
        skipped = []
        if output_format == "sft":
            episodes = trajectories.evaluation_episodes(evaluation) if evaluation else [found]
            lines = trajectories.sft_jsonl(episodes, successful_only=successful_only, skipped=skipped)
        else:
            lines = trajectories.evaluation_jsonl(evaluation) if evaluation else trajectories.episode_jsonl(found)
        if out == "-":
            for line in lines:
                self.stdout.write(line, ending="")
            return
        path = Path(out)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w") as handle:
            count = sum(1 for line in lines if handle.write(line))
        unit = "conversation(s)" if output_format == "sft" else "episode(s)"
        left_out = f"; {len(skipped)} left out ({_reasons(skipped)})" if skipped else ""
        self.stdout.write(f"{count} {unit} written to {path}{left_out}")


def _reasons(skipped: list) -> str:
    counts = {}
    for _, reason in skipped:
        counts[reason] = counts.get(reason, 0) + 1
    return ", ".join(f"{n} {reason}" for reason, n in counts.items())


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True
