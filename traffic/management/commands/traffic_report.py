from django.core.management.base import BaseCommand, CommandError

from gigaportal.commands import add_format_argument, month_argument, write_report
from gigaportal.scope import COMMAND_LINE
from traffic import reports, selectors


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
        user = COMMAND_LINE
        name = options["report"]
        if name in ("usage", "escalation-flow") and options["start"] > options["end"]:
            raise CommandError("--from must not be after --to")
        if name == "usage":
            rows = selectors.usage_by_month(user=user, start=options["start"], end=options["end"])
            capacity = selectors.gb_per_line_by_month(r.month for r in rows)
            report = reports.usage_report(reports.usage_lines(rows, capacity))
        elif name == "escalation-flow":
            report = reports.flow_report(
                selectors.flow_counts(user=user, start=options["start"], end=options["end"])
            )
        else:
            report = reports.cases_report(
                selectors.case_steps_in_month(user=user, month=options["month"])
            )
        write_report(self, report, options["format"])
