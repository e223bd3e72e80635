"""Make a fresh EHRGym usable by hand: a population to browse and two logins."""

from django.core.management.base import BaseCommand, CommandError

from seeddata.demo import DEMO_PASSWORD_ENV, demo_setup
from seeddata.population import PopulationError


class Command(BaseCommand):
    help = "Import the default population into an empty main database and create/reset the demo logins."

    def handle(self, *args, **options) -> None:
        try:
            setup = demo_setup(progress=options["verbosity"] > 0)
        except PopulationError as error:
            raise CommandError(str(error)) from error
        for error in setup.import_errors:
            self.stderr.write(self.style.WARNING(f"Not imported: {error}"))
        if setup.imported_patients:
            self.stdout.write(f"Imported {setup.imported_patients} patients into the main database.")
        else:
            self.stdout.write("The main database already has patients; population left as it is.")
        self.stdout.write(self.style.SUCCESS("Demo logins (local use only):"))
        for username, password in setup.credentials.items():
            self.stdout.write(f"  username {username:<10} password {password}")
        self.stdout.write(f"Set {DEMO_PASSWORD_ENV} to choose another password.")
