from django.core.management.base import BaseCommand

from gigaportal.commands import add_format_argument, write_report
from gigaportal.scope import COMMAND_LINE
from support import reports, selectors
from support.rules import tally_by_term


class Command(BaseCommand):
    help = (
        "Support reports. `terms`: records counted by term and kind for a fiscal year "
        "(columns term,kind,count; terms from the fiscal calendar)."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="report", required=True)
        terms = sub.add_parser("terms", help="counts by term and kind")
        terms.add_argument("--fiscal-year", type=int, required=True, help="e.g. 2022")
        add_format_argument(terms)

    def handle(self, *args, **options):
        # The command speaks for the whole center: it counts every school's records,
        # as the leader's page does.
        terms, day_counts = selectors.term_day_counts(
            user=COMMAND_LINE, fiscal_year=options["fiscal_year"]
        )
        report = reports.terms_long(tally_by_term(day_counts, terms))
        write_report(self, report, options["format"])
