"""manage.py report_pack --fiscal-year 2022 --to 2022-12 --pdf pack.pdf --xlsx pack.xlsx"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from dashboard import services
from dashboard.models import ReportPack
from gigaportal.calendar import Month, fiscal_months
from gigaportal.commands import fiscal_year_argument
from gigaportal.scope import COMMAND_LINE


class Command(BaseCommand):
    help = (
        "Make the committee's report pack (PDF and Excel) for a fiscal year up to a month, "
        "from the same registered reports the pages show; the pack is kept in the portal."
    )

    def add_arguments(self, parser):
        parser.add_argument("--fiscal-year", type=fiscal_year_argument, required=True)
        parser.add_argument("--to", help="last month, YYYY-MM (default: the year's last)")
        parser.add_argument("--pdf", type=Path)
        parser.add_argument("--xlsx", type=Path)

    def handle(self, *args, fiscal_year, to, pdf, xlsx, **options):
        try:
            end = Month.parse(to) if to else fiscal_months(fiscal_year)[-1]
            pack = services.pack_request(
                by=COMMAND_LINE, fiscal_year=fiscal_year, end=end, enqueue=False
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        services.pack_make(pack_id=pack.pk, operator=COMMAND_LINE)
        pack.refresh_from_db()
        if pack.status != ReportPack.Status.DONE:
            raise CommandError(pack.error)
        for target, stored in ((pdf, pack.pdf), (xlsx, pack.xlsx)):
            if target:
                with stored.open("rb") as source:
                    target.write_bytes(source.read())
                self.stdout.write(f"{target}")
        self.stdout.write(f"pack #{pack.pk}: {pack.period_label}")
