"""Build the golden database that every episode database is copied from."""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from clinical.golden import GoldenBuildError, golden_build
from clinical.population import PopulationError


class Command(BaseCommand):
    help = "Build the golden database (migrations + default population + demo clinicians)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true", help="Rebuild even if a golden database exists.")

    def handle(self, *args, force: bool, **options) -> None:
        verbose = options["verbosity"] > 0
        try:
            build = golden_build(force=force, progress=verbose, echo=self.stdout.write if verbose else lambda m: None)
        except (GoldenBuildError, PopulationError) as error:
            raise CommandError(f"{error}\nThe previous golden database, if any, is unchanged.") from error
        if build.skipped:
            self.stdout.write(f"The golden database {build.target} exists; left as it is (use --force to rebuild).")
            return
        self.stdout.write(self.style.SUCCESS(
            f"Built the golden database {build.target}: {build.patients} patients, "
            f"{build.resources} resources in {build.seconds:.1f} s"
        ))
