from gigaportal.commands import ImportCommand


class Command(ImportCommand):
    help = (
        "Import the carrier's monthly usage CSV(s). A bad file is refused whole with "
        "row-numbered reasons; importing a month again replaces it. The months now due "
        "are evaluated afterwards (as a task)."
    )
    kind = "traffic_usage"
