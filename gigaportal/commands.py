"""Shared pieces for management commands: who a command acts as, file imports and
report output.

Every command that writes acts as the command-line operator (recorded in the change
log as the command line and the login that ran it), or as a portal user given with
`--as USERNAME`, in every app alike.
"""

from __future__ import annotations

import datetime as dt
from importlib import import_module
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from gigaportal import changelog, imports
from gigaportal.calendar import Month, YearOutOfRange
from gigaportal.dates import date_window
from gigaportal.models import ImportBatch, User
from gigaportal.reports import FORMATS, Report, render_for_command
from gigaportal.scope import COMMAND_LINE


def add_as_argument(parser) -> None:
    parser.add_argument(
        "--as",
        dest="as_user",
        metavar="USERNAME",
        help="the portal user recorded as having made the change (default: the command line)",
    )


def acting_user(options: dict):
    """COMMAND_LINE, or the active user named by --as."""
    name = options.get("as_user")
    if not name:
        return COMMAND_LINE
    user = User.objects.filter(username=name, is_active=True).first()
    if user is None:
        raise CommandError(f"--as {name}: no active user has this username")
    return user


class WritingCommand(BaseCommand):
    """A command whose writes are recorded as coming from the command line."""

    def add_arguments(self, parser):
        add_as_argument(parser)

    def execute(self, *args, **options):
        with changelog.context(via=changelog.Via.COMMAND):
            return super().execute(*args, **options)


class ImportCommand(WritingCommand):
    """`manage.py import_x FILE [FILE …] [--as USERNAME]`: imports each file as an import
    batch of `kind` (gigaportal.imports), reporting every row-numbered error; a bad
    file is refused whole (exit status 1) and the same file again changes nothing."""

    kind = ""
    # An import needs the models and the database, not the URL conf, templates or admin
    # that the system checks load (about a second of start-up, measured by
    # benchmarks/startup.py); `manage.py check` and every server start still run them.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", metavar="FILE", help="CSV file(s)")
        super().add_arguments(parser)

    def options_for(self, options: dict) -> dict:
        """The importer's options (a survey's slug, …); none by default."""
        return {}

    def ready_to_import(self, *, name: str, path: Path, options: dict) -> bool:
        """Whether to import this file now; a command that shows what a file would
        change first (import_users) says False to stop there."""
        return True

    def handle(self, *args, **options):
        # Each app registers its importers in its services module: importing the
        # command's own app's alone spares the start-up every other app's services
        # (gigaportal.imports discovers them all only for a kind not found).
        import_module(f"{type(self).__module__.split('.')[0]}.services")
        by = acting_user(options)
        for name in options["files"]:
            path = Path(name)
            if not path.is_file():
                raise CommandError(f"{name}: no such file")
            if not self.ready_to_import(name=name, path=path, options=options):
                continue
            with path.open("rb") as binary:
                batch = imports.batch_import(
                    kind=self.kind,
                    file=binary,
                    by=by,
                    name=path.name,
                    options=self.options_for(options),
                )
            if batch.status == ImportBatch.Status.FAILED:
                raise CommandError(
                    f"{name}: not imported, nothing changed.\n" + "\n".join(batch.errors)
                )
            style = (
                self.style.SUCCESS
                if batch.status == ImportBatch.Status.DONE
                else self.style.WARNING
            )
            self.stdout.write(style(f"{name}: {imports.describe(batch)}"))


def month_argument(text: str) -> Month:
    """A month inside the date window (gigaportal.dates), as the pages take it."""
    window = date_window()
    try:
        month = Month.parse(text)
    except YearOutOfRange:
        month = None
    except ValueError:
        raise CommandError(f"{text!r} is not a month (YYYY-MM)") from None
    if month is None or not window.has_month(month):
        raise CommandError(f"{text}: the months accepted are {_window_range(window)}")
    return month


def fiscal_year_argument(text: str) -> int:
    """A fiscal year that begins inside the date window (2000 to next year by default)."""
    years = date_window().fiscal_years
    try:
        year = int(text)
    except ValueError:
        raise CommandError(f"{text!r} is not a fiscal year (e.g. 2022)") from None
    if year not in years:
        raise CommandError(f"{text}: the fiscal years accepted are {years.start} to {years[-1]}")
    return year


def day_argument(text: str) -> dt.date:
    """A day YYYY-MM-DD inside the date window."""
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"{text!r} is not a date (YYYY-MM-DD)") from None
    window = date_window()
    if day not in window:
        raise CommandError(f"{text}: the dates accepted are {_window_range(window)}")
    return day


def _window_range(window) -> str:
    return f"{window.start.isoformat()} to {window.end.isoformat()}"


def add_format_argument(parser, default: str = "table") -> None:
    parser.add_argument("--format", choices=FORMATS, default=default)


def write_report(command: BaseCommand, report: Report, fmt: str) -> None:
    command.stdout.write(render_for_command(report, fmt), ending="")
