"""Generate the synthetic population with Synthea and write it compacted.

    manage.py generate_population --patients 120 --seed 42 --reference-date 20261101
"""

import time
from datetime import date, datetime
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from seeddata.population import PopulationError, population_generate


def _reference_date(text: str) -> date:
    try:
        return datetime.strptime(text, "%Y%m%d").date()
    except ValueError:
        raise CommandError(f"--reference-date must be YYYYMMDD; got {text!r}") from None


class Command(BaseCommand):
    help = "Generate living Synthea patients and write a compact bundles.ndjson.gz + manifest.json."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--patients", type=int, required=True, help="Living patients to keep.")
        parser.add_argument("--seed", type=int, required=True, help="Synthea seed: the same seed gives the same bytes.")
        parser.add_argument(
            "--reference-date",
            help="Synthea's 'today' as YYYYMMDD (default: today). Fix it to make runs reproducible.",
        )
        parser.add_argument("--out", type=Path, default=settings.EHRGYM_POPULATION_DIR, help="Output folder.")

    def handle(self, *args, patients: int, seed: int, reference_date: str | None, out: Path, **options) -> None:
        as_of = _reference_date(reference_date) if reference_date else date.today()
        started = time.monotonic()
        try:
            result = population_generate(
                patients=patients,
                seed=seed,
                reference_date=as_of,
                out_dir=out,
                progress=options["verbosity"] > 0,
                echo=self.stdout.write,
            )
        except PopulationError as error:
            raise CommandError(str(error)) from error
        manifest = result.manifest
        self.stdout.write(self.style.SUCCESS(
            f"Wrote {manifest['patients']} patients to {out} "
            f"({manifest['bundles']['bytes'] / 1e6:.1f} MB, sha256 {manifest['bundles']['sha256'][:12]}) "
            f"in {time.monotonic() - started:.0f} s"
        ))
        self.stdout.write("Resources: " + ", ".join(f"{k} {v}" for k, v in manifest["resources"].items()))
        self.stdout.write("Cohort: " + ", ".join(f"{k} {v}" for k, v in manifest["cohort"].items()))
