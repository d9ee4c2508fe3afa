"""Shared pieces for management commands: file imports and report output."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from gigaportal.calendar import Month
from gigaportal.reports import FORMATS, Report, render_for_command
from gigaportal.tabular import TabularError


class ImportCommand(BaseCommand):
    """`manage.py import_x FILE`: runs `import_file(binary)` and reports every
    row-numbered error; a bad file is refused whole (exit status 1)."""

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", metavar="FILE", help="CSV file(s)")

    def import_file(self, binary):  # pragma: no cover - subclasses override
        raise NotImplementedError

    def describe(self, result) -> str:
        return f"{result}"

    def handle(self, *args, **options):
        for name in options["files"]:
            path = Path(name)
            if not path.is_file():
                raise CommandError(f"{name}: no such file")
            with path.open("rb") as binary:
                try:
                    result = self.import_file(binary)
                except TabularError as exc:
                    raise CommandError(
                        f"{name}: not imported, nothing changed.\n" + "\n".join(exc.messages())
                    ) from None
            self.stdout.write(self.style.SUCCESS(f"{name}: {self.describe(result)}"))


def month_argument(text: str) -> Month:
    try:
        return Month.parse(text)
    except ValueError:
        raise CommandError(f"{text!r} is not a month (YYYY-MM)") from None


def add_format_argument(parser, default: str = "table") -> None:
    parser.add_argument("--format", choices=FORMATS, default=default)


def write_report(command: BaseCommand, report: Report, fmt: str) -> None:
    command.stdout.write(render_for_command(report, fmt), ending="")
