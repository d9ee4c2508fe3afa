from devices.services import DEVICE_COLUMNS, device_import
from gigaportal.commands import ImportCommand


class Command(ImportCommand):
    help = (
        "Create or update devices by serial from a CSV ("
        + ", ".join(c.key for c in DEVICE_COLUMNS)
        + "): the state at deployment. A bad file changes nothing."
    )

    def import_file(self, binary):
        return device_import(file=binary)

    def describe(self, result):
        return f"{result.created} devices created, {result.updated} updated"
