"""Serials in the one stored form (devices.serials.normalize_serial: NFKC, no spaces,
upper case). Imports used to keep a serial's case while the forms upper-cased what was
typed, so a serial imported in lower case was suggested but could not be recorded.

A serial whose normal form is already another device's serial ('ab1' next to 'AB1')
is left as it is and listed: which of the two rows is the real device (and what
happens to its events) is a person's decision, not a migration's. Everything else is
rewritten, so the migration never fails on existing data.
"""

import re
import unicodedata

from django.db import migrations

_SPACES = re.compile(r"\s+")


def _normal(value):
    # A copy of devices.serials.normalize_serial as of this migration.
    return _SPACES.sub("", unicodedata.normalize("NFKC", value or "")).upper()


def normalize_serials(apps, schema_editor):
    Device = apps.get_model("devices", "Device")
    rows = list(Device.objects.values_list("pk", "serial"))
    taken = {serial for _pk, serial in rows}
    changes, skipped = [], []
    for pk, serial in rows:
        normal = _normal(serial)
        if normal == serial:
            continue
        if normal in taken or not normal:
            skipped.append(serial)
            continue
        taken.discard(serial)
        taken.add(normal)
        changes.append(Device(pk=pk, serial=normal))
    Device.objects.bulk_update(changes, ["serial"], batch_size=1000)
    if skipped:
        print(
            f"\n  devices: {len(skipped)} serial(s) left unchanged, their normal form is "
            f"another device's serial: {', '.join(sorted(skipped)[:50])}"
        )


class Migration(migrations.Migration):
    dependencies = [("devices", "0001_initial")]

    operations = [migrations.RunPython(normalize_serials, migrations.RunPython.noop)]
