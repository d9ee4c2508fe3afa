import importlib

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from gigaportal import changelog
from gigaportal.demo import DemoRefused, demo_check, print_logins


class Command(BaseCommand):
    help = (
        "Load the demo data: 70 schools, one login per role, and each app's records "
        "reproducing the committee papers. Safe to run again: a second run changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="Load even with DEBUG off (demo accounts have a published password).",
        )

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["allow_production"]:
            raise CommandError(
                "Refusing to load demo accounts with DEBUG off; pass --allow-production "
                "for a demonstration server."
            )
        try:
            demo_check()
        except DemoRefused as exc:
            raise CommandError(str(exc)) from None
        # Each app with a demo.py module contributes `load(*, stdout)`, in the order of
        # INSTALLED_APPS (gigaportal first: schools and users come before everything).
        with changelog.context(via=changelog.Via.COMMAND):
            self._load_apps()
        print_logins(stdout=self.stdout)

    def _load_apps(self) -> None:
        for config in apps.get_app_configs():
            try:
                module = importlib.import_module(f"{config.name}.demo")
            except ModuleNotFoundError as exc:
                if exc.name != f"{config.name}.demo":
                    raise
                continue
            with transaction.atomic():
                module.load(stdout=self.stdout)
