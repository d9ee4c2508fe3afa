from devices.services import DEVICE_COLUMNS
from gigaportal.commands import ImportCommand


class Command(ImportCommand):
    help = (
        "Create or update devices by serial from a CSV ("
        + ", ".join(c.key for c in DEVICE_COLUMNS)
        + "): the state at deployment. Models the file names are registered (kind from "
        "the kind/種別 column or the model's name). A bad file changes nothing."
    )
    kind = "devices"
