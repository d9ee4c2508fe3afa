from django.core.management.base import BaseCommand, CommandError

from gigaportal.commands import month_argument
from traffic import services


class Command(BaseCommand):
    help = (
        "Evaluate the heavy-usage ladder for a month (months are evaluated in order; a "
        "month already evaluated is left as it is). Without --month: every month due."
    )

    def add_arguments(self, parser):
        parser.add_argument("--month", type=month_argument, metavar="YYYY-MM")

    def handle(self, *args, **options):
        month = options["month"]
        if month is None:
            results = services.evaluate_pending_months(by="manage.py run_escalation")
        else:
            try:
                results = [services.evaluation_run(month=month, by="manage.py run_escalation")]
            except services.EvaluationRefused as exc:
                raise CommandError(str(exc)) from None
        if not results:
            self.stdout.write("nothing to evaluate")
        for result in results:
            if not result.created:
                self.stdout.write(f"{result.month}: already evaluated; nothing changed")
                continue
            self.stdout.write(
                f"{result.month}: opened {result.opened}, escalated {result.escalated}, "
                f"continued {result.continued}, improved {result.improved}, "
                f"{len(result.action_ids)} actions queued"
            )
