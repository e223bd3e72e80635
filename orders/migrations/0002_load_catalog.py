"""Load the orderable catalog and order sets (orders/catalog.json) into this database.

A data migration, so the main database, the golden database (built by `migrate`) and
every episode copy of it share one catalog. Later catalog changes are applied with
`manage.py orders_load_catalog` or a further migration calling the same loader.
"""

from django.db import migrations

from orders.catalog import catalog_load


def load(apps, schema_editor):
    catalog_load(
        orderable_model=apps.get_model("orders", "Orderable"),
        order_set_model=apps.get_model("orders", "OrderSet"),
        order_set_item_model=apps.get_model("orders", "OrderSetItem"),
        using=schema_editor.connection.alias,
    )


def unload(apps, schema_editor):
    alias = schema_editor.connection.alias
    apps.get_model("orders", "OrderSet").objects.using(alias).all().delete()
    apps.get_model("orders", "Orderable").objects.using(alias).filter(orders__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("orders", "0001_initial")]

    operations = [migrations.RunPython(load, unload)]
