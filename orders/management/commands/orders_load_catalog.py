"""Apply orders/catalog.json to a database after the catalog changes (idempotent)."""

from django.core.management.base import BaseCommand
from django.db import DEFAULT_DB_ALIAS, transaction

from orders.catalog import catalog_load
from orders.models import Orderable, OrderSet, OrderSetItem


class Command(BaseCommand):
    help = "Insert or update the orderable catalog and order sets from orders/catalog.json."

    def add_arguments(self, parser):
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help="Database alias (default: default).")

    def handle(self, *args, database, **options):
        with transaction.atomic(using=database):
            orderables, sets = catalog_load(
                orderable_model=Orderable, order_set_model=OrderSet, order_set_item_model=OrderSetItem, using=database
            )
        self.stdout.write(f"Loaded {orderables} orderables and {sets} order sets into {database!r}.")
