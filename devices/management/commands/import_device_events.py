from devices.services import EVENT_COLUMNS, device_event_import
from gigaportal.commands import ImportCommand


class Command(ImportCommand):
    help = (
        "Apply breakage/failure/issue/repair/retire events from a CSV ("
        + ", ".join(c.key for c in EVENT_COLUMNS)
        + ") in date order. A file that breaks a rule changes nothing."
    )

    def import_file(self, binary):
        return device_event_import(file=binary)

    def describe(self, result):
        return f"{result.created} events recorded"
