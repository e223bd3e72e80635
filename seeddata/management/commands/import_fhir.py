"""manage.py import_fhir PATH... : import FHIR R4 bundles (Synthea output) into the chart."""

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections

from seeddata.fhir.importer import import_paths


class Command(BaseCommand):
    help = (
        "Import FHIR R4 bundles into the chart: .json (one Bundle), .ndjson (one Bundle per line),"
        " either gzipped, or folders of them. Each bundle is one transaction; importing again"
        " updates instead of duplicating."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("paths", nargs="+", metavar="PATH", help="bundle files or folders")
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help="database alias to import into")

    def handle(self, *args, paths: list[str], database: str, verbosity: int, **options) -> None:
        if database not in connections:
            raise CommandError(f"unknown database alias {database!r} (known: {', '.join(connections)})")
        summary = import_paths(paths, using=database, progress=verbosity >= 1)
        self.stdout.write(summary.as_table())
        for failure in summary.errors:
            self.stderr.write(f"error: {failure}")
        if summary.errors:
            raise CommandError(f"{summary.failed} failed (see above); {summary.bundles} bundle(s) imported")
