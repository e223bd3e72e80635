#!/usr/bin/env python
import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ehrsite.settings")
    # A command needs one connection, not a pool (EHRGYM_DB_POOL_SIZE, for the server's many requests); and a pool
    # would answer an unreachable PostgreSQL with a 30 s wait instead of the error below.
    os.environ.setdefault("EHRGYM_DB_POOL_SIZE", "0")
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
