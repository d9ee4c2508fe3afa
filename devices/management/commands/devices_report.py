from django.core.management.base import BaseCommand, CommandError

from devices import reports, selectors
from gigaportal.commands import add_format_argument, month_argument, write_report


class Command(BaseCommand):
    help = (
        "Device reports. `breakage --from YYYY-MM --to YYYY-MM`: per model and month, "
        "breakages plus failures and the spares left at the month's end."
    )

    def add_arguments(self, parser):
        parser.add_argument("report", choices=["breakage"])
        parser.add_argument("--from", dest="start", type=month_argument, required=True)
        parser.add_argument("--to", dest="end", type=month_argument, required=True)
        add_format_argument(parser)

    def handle(self, *args, **options):
        start, end = options["start"], options["end"]
        if end < start:
            raise CommandError("--to is before --from")
        figures = selectors.breakage_figures(start=start, end=end)
        write_report(self, reports.breakage_report(figures), options["format"])
