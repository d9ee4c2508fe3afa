from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from gigaportal.models import Heartbeat


class Command(BaseCommand):
    help = "Exit non-zero unless beat's heartbeat reached a worker within --max-age seconds."

    def add_arguments(self, parser):
        parser.add_argument("--max-age", type=int, default=900)
        parser.add_argument("--name", default="beat")

    def handle(self, *args, **options):
        seen = (
            Heartbeat.objects.filter(name=options["name"]).values_list("seen_at", flat=True).first()
        )
        if seen is None:
            raise CommandError("no heartbeat recorded yet")
        age = timezone.now() - seen
        if age > timedelta(seconds=options["max_age"]):
            raise CommandError(f"last heartbeat {int(age.total_seconds())} s ago")
        self.stdout.write(f"heartbeat {int(age.total_seconds())} s ago")
