from django.core.management.base import BaseCommand, CommandError

from gigaportal import reports
from gigaportal.commands import add_format_argument, month_argument, write_report
from gigaportal.reports import Period
from gigaportal.scope import COMMAND_LINE

# The command's report names and the registered reports they print.
REPORTS = {
    "usage": "traffic.usage",
    "escalation-flow": "traffic.flow_long",
    "cases": "traffic.cases_of_month",
}


class Command(BaseCommand):
    help = (
        "Traffic reports: usage (month,total_gb,lines,capacity_gb,usage_rate_pct), "
        "escalation-flow (cohort_month,month,status,count), cases (line_number,cohort_month,status)."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="report", required=True)
        for name in ("usage", "escalation-flow"):
            p = sub.add_parser(name)
            p.add_argument("--from", dest="start", type=month_argument, required=True)
            p.add_argument("--to", dest="end", type=month_argument, required=True)
            add_format_argument(p)
        p = sub.add_parser("cases")
        p.add_argument("--month", type=month_argument, required=True)
        add_format_argument(p)

    def handle(self, *args, **options):
        name = options["report"]
        if name == "cases":
            period = Period.month(options["month"])
        else:
            if options["start"] > options["end"]:
                raise CommandError("--from must not be after --to")
            period = Period.range(options["start"], options["end"])
        report = reports.get(REPORTS[name]).run(user=COMMAND_LINE, period=period)
        write_report(self, report, options["format"])
