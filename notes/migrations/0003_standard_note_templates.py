from django.db import migrations

from notes import standard_templates


def install_standard_templates(apps, schema_editor):
    standard_templates.install(apps.get_model("notes", "NoteTemplate"), using=schema_editor.connection.alias)


def remove_standard_templates(apps, schema_editor):
    keys = [t.key for t in standard_templates.STANDARD_TEMPLATES]
    apps.get_model("notes", "NoteTemplate").objects.using(schema_editor.connection.alias).filter(key__in=keys).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("notes", "0002_note_addenda_and_templates"),
    ]

    operations = [
        migrations.RunPython(install_standard_templates, remove_standard_templates),
    ]
