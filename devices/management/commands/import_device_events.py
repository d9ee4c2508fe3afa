from devices.services import EVENT_COLUMNS
from gigaportal.commands import ImportCommand


class Command(ImportCommand):
    help = (
        "Apply breakage/failure/issue/repair/retire events from a CSV ("
        + ", ".join(c.key for c in EVENT_COLUMNS)
        + ") in date order. A file that breaks a rule changes nothing."
    )
    kind = "device_events"
