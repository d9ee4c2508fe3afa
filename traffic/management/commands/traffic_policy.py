from decimal import Decimal, InvalidOperation

from django.core.management.base import CommandError

from gigaportal.commands import WritingCommand, acting_user, month_argument
from traffic import services
from traffic.models import Policy


def gb_argument(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise CommandError(f"{text!r} is not a number of GB") from None
    if not value.is_finite() or value <= 0:
        raise CommandError(f"{text!r} must be a positive number of GB")
    return value


class Command(WritingCommand):
    help = "Record the heavy-usage policy in force from a month (or list the versions)."

    def add_arguments(self, parser):
        parser.add_argument("--effective-from", type=month_argument, metavar="YYYY-MM")
        parser.add_argument("--single-gb", type=gb_argument, default=Decimal(200))
        parser.add_argument("--consecutive-gb", type=gb_argument, default=Decimal(100))
        parser.add_argument("--gb-per-line", type=gb_argument, default=Decimal(5))
        parser.add_argument("--note", default="")
        super().add_arguments(parser)

    def handle(self, *args, **options):
        if options["effective_from"]:
            try:
                services.policy_set(
                    by=acting_user(options),
                    effective_from=options["effective_from"],
                    single_gb=options["single_gb"],
                    consecutive_gb=options["consecutive_gb"],
                    gb_per_line=options["gb_per_line"],
                    note=options["note"],
                )
            except services.PolicyRefused as exc:
                raise CommandError(str(exc)) from None
        for policy in Policy.objects.order_by("effective_from"):
            self.stdout.write(
                f"{policy.effective_from:%Y-%m}  single {policy.single_gb} GB, "
                f"consecutive {policy.consecutive_gb} GB, {policy.gb_per_line} GB per line"
            )
