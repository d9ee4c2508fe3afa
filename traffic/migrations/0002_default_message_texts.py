from django.db import migrations


def add_defaults(apps, schema_editor):
    # The defaults of today, so that admin shows editable rows from the start.
    from traffic.texts import DEFAULT_TEXTS

    MessageText = apps.get_model("traffic", "MessageText")
    for kind, text in DEFAULT_TEXTS.items():
        MessageText.objects.get_or_create(
            kind=kind.value, defaults={"subject": text.subject, "body": text.body}
        )


class Migration(migrations.Migration):
    dependencies = [("traffic", "0001_initial")]

    operations = [migrations.RunPython(add_defaults, migrations.RunPython.noop)]
