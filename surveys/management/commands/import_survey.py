from django.core.management.base import CommandError

from gigaportal.commands import ImportCommand, fiscal_year_argument
from surveys import services


class Command(ImportCommand):
    help = (
        "Import one respondent group's answers from a Google Forms export (the response "
        "sheet as CSV or .xlsx, or the Forms CSV download). The first import creates the "
        "survey; importing a group again replaces its answers; the same file again changes "
        "nothing; a file with any bad row is refused whole."
    )
    kind = services.IMPORT_KIND

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--survey", required=True, metavar="SLUG", help="short name, e.g. ict-2022"
        )
        parser.add_argument("--title", default="", help="title of a new survey")
        parser.add_argument(
            "--fiscal-year", type=fiscal_year_argument, default=None, help="e.g. 2022"
        )
        parser.add_argument("--group", default="", help="respondent group, e.g. 小学生")

    def options_for(self, options: dict) -> dict:
        from pathlib import Path

        try:
            services.ImportOptions.parse(
                {"survey": options["survey"], "fiscal_year": options["fiscal_year"]}
            )
        except Exception as exc:  # TabularError: say it before reading any file
            raise CommandError(str(exc)) from None
        first = Path(options["files"][0]).name
        return {
            "survey": options["survey"],
            "title": options["title"] or services.title_from_file_name(first),
            "fiscal_year": options["fiscal_year"],
            "group": options["group"],
            "file_name": first,
        }
