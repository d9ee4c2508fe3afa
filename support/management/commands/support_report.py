from django.core.management.base import BaseCommand

from gigaportal import reports
from gigaportal.commands import add_format_argument, fiscal_year_argument, write_report
from gigaportal.reports import Period
from gigaportal.scope import COMMAND_LINE


class Command(BaseCommand):
    help = (
        "Support reports. `terms`: records counted by term and kind for a fiscal year "
        "(columns term,kind,count; terms from the fiscal calendar)."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="report", required=True)
        terms = sub.add_parser("terms", help="counts by term and kind")
        terms.add_argument(
            "--fiscal-year", type=fiscal_year_argument, required=True, help="e.g. 2022"
        )
        add_format_argument(terms)

    def handle(self, *args, **options):
        # The command speaks for the whole center: it counts every school's records,
        # as the leader's page does.
        report = reports.get("support.terms_long").run(
            user=COMMAND_LINE, period=Period.fiscal(options["fiscal_year"])
        )
        write_report(self, report, options["format"])
