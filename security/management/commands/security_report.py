from django.core.management.base import BaseCommand, CommandError
from django.http import Http404

from gigaportal import reports
from gigaportal.commands import (
    add_format_argument,
    day_argument,
    fiscal_year_argument,
    write_report,
)
from gigaportal.reports import Period
from gigaportal.scope import COMMAND_LINE


class Command(BaseCommand):
    help = (
        "Security reports, the same rows as the pages. `policy`: the version of each "
        "document in force on a day (document,version,effective_from,status). "
        "`orgchart`: a chart in force on a day (depth,position,holders,parent; depth 1 at "
        "the top, holders joined with 、). `topics`: the working groups' topics of a "
        "fiscal year."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="report", required=True)
        policy = sub.add_parser("policy", help="the policy in force on a day")
        policy.add_argument("--on", type=day_argument, help="YYYY-MM-DD (default: today)")
        add_format_argument(policy)
        chart = sub.add_parser("orgchart", help="an organisation chart in force on a day")
        chart.add_argument("--chart", required=True, metavar="SLUG", help="security, csirt, …")
        chart.add_argument("--on", type=day_argument, help="YYYY-MM-DD (default: today)")
        add_format_argument(chart)
        topics = sub.add_parser("topics", help="the working groups' topics")
        topics.add_argument(
            "--fiscal-year", type=fiscal_year_argument, required=True, help="e.g. 2022"
        )
        add_format_argument(topics)

    def handle(self, *args, **options):
        # The command speaks for the whole center, as the leader's pages do.
        name = options["report"]
        if name == "policy":
            report = reports.get("security.policy").run(user=COMMAND_LINE, on=options["on"])
        elif name == "orgchart":
            try:
                report = reports.get("security.orgchart").run(
                    user=COMMAND_LINE, slug=options["chart"], on=options["on"]
                )
            except Http404:
                raise CommandError(f"no chart has the slug {options['chart']!r}") from None
        else:
            report = reports.get("security.topics").run(
                user=COMMAND_LINE, period=Period.fiscal(options["fiscal_year"])
            )
        for note in report.notes:
            self.stderr.write(str(note))
        write_report(self, report, options["format"])
