from django.core.management.base import CommandError

from gigaportal.commands import WritingCommand, acting_user, month_argument
from traffic import services


class Command(WritingCommand):
    help = (
        "Evaluate the heavy-usage ladder for a month (months are evaluated in order, and "
        "only once confirmed: see /traffic/months/; a month already evaluated is left as "
        "it is). Without --month: every confirmed month due."
    )

    def add_arguments(self, parser):
        parser.add_argument("--month", type=month_argument, metavar="YYYY-MM")
        super().add_arguments(parser)

    def handle(self, *args, **options):
        by = acting_user(options)
        month = options["month"]
        if month is None:
            results = services.evaluate_pending_months(by=by)
        else:
            try:
                results = [services.evaluation_run(month=month, by=by)]
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
