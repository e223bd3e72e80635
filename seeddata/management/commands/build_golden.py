"""Build the golden database that every episode database is copied from.

It holds the Synthea population (fixtures/population) and, on top of it, the authored
clinical scenario overlay (fixtures/scenarios.json, applied by seeddata/scenarios.py):
a few dozen results that Synthea does not produce (low potassium, low and normal
magnesium, recent creatinine and eGFR) so that tasks' rarer branches have instances.
The overlay is not Synthea output: each of its resources is tagged authored-scenario and
its id starts with `ehrgym-scenario-`. `--no-scenarios` builds the population alone.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from seeddata.golden import GoldenBuildError, golden_build
from seeddata.population import PopulationError


class Command(BaseCommand):
    help = ("Build the golden database (migrations + default population + authored scenario overlay + "
            "demo clinicians).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true", help="Rebuild even if a golden database exists.")
        parser.add_argument("--no-scenarios", action="store_true",
                            help="Leave out the authored scenario overlay (fixtures/scenarios.json): "
                                 "Synthea data only.")
        parser.add_argument("--scenarios", type=Path, default=None, metavar="FILE",
                            help="Apply this scenario file instead of fixtures/scenarios.json.")

    def handle(self, *args, force: bool, no_scenarios: bool, scenarios: Path | None, **options) -> None:
        verbose = options["verbosity"] > 0
        try:
            build = golden_build(force=force, progress=verbose, echo=self.stdout.write if verbose else lambda m: None,
                                 scenarios=not no_scenarios, scenarios_path=scenarios)
        except (GoldenBuildError, PopulationError) as error:
            raise CommandError(f"{error}\nThe previous golden database, if any, is unchanged.") from error
        if build.skipped:
            self.stdout.write(f"The golden database {build.target} exists; left as it is (use --force to rebuild).")
            return
        overlay = (f" + {build.scenario_resources} authored scenario resources on {build.scenario_patients} patients"
                   if build.scenario_resources else " (no scenario overlay)")
        self.stdout.write(self.style.SUCCESS(
            f"Built the golden database {build.target}: {build.patients} patients, "
            f"{build.resources} resources{overlay} in {build.seconds:.1f} s"
        ))
