from django.core.management.base import BaseCommand, CommandError

from gigaportal import reports
from gigaportal.commands import add_format_argument, month_argument, write_report
from gigaportal.reports import Period
from gigaportal.scope import COMMAND_LINE


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
        report = reports.get("devices.breakage_long").run(
            user=COMMAND_LINE, period=Period.range(start, end)
        )
        write_report(self, report, options["format"])
