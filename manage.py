#!/usr/bin/env python
import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ehrsite.settings")
    from django.conf import settings
    from django.core.management import execute_from_command_line
    from django.db.utils import OperationalError

    from ehrsite.databases import unreachable_database_message

    try:
        execute_from_command_line(sys.argv)
    except OperationalError as error:
        # A missing or unreachable PostgreSQL database is a setup step, not a crash: say which step.
        message = unreachable_database_message(error, settings.DATABASES)
        if not message:
            raise
        sys.exit(f"Error: {message}")


if __name__ == "__main__":
    main()
