from gigaportal.commands import ImportCommand
from traffic import services


class Command(ImportCommand):
    help = (
        "Import the carrier's monthly usage CSV(s). A bad file is refused whole with "
        "row-numbered reasons; importing a month again replaces it. The months now due "
        "are evaluated afterwards (as a task)."
    )

    def import_file(self, binary):
        return services.usage_import_file(file=binary)

    def describe(self, result) -> str:
        months = ", ".join(str(m) for m in result.months)
        return f"{result.rows} rows imported for {months} ({result.lines_created} new lines)"
