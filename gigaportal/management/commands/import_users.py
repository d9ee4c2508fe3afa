from django.utils.translation import gettext as _

from gigaportal.commands import ImportCommand
from gigaportal.services import user_import_preview
from gigaportal.tabular import TabularError


class Command(ImportCommand):
    help = (
        "Create or update accounts from a CSV (username, full_name/氏名, email, role, "
        "school_code). New users are e-mailed a set-password link; no password is printed. "
        "A change of an existing account's role, e-mail or school is printed and applied "
        "only with --apply."
    )
    kind = "users"

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--apply",
            action="store_true",
            help="apply changes to existing accounts' role, e-mail or school (printed first)",
        )

    def options_for(self, options: dict) -> dict:
        return {"apply": True} if options["apply"] else {}

    def ready_to_import(self, *, name: str, path, options: dict) -> bool:
        """Prints what the file changes on existing accounts; without --apply a file
        that changes a role, an e-mail or a school is not imported at all (exit 0)."""
        try:
            with path.open("rb") as file:
                plan = user_import_preview(file=file)
        except TabularError:
            return True  # the import refuses it, naming every problem, as for any file
        for line in plan.lines():
            self.stdout.write(f"{name}: {line}")
        if plan.guarded and not options["apply"]:
            self.stdout.write(
                self.style.WARNING(
                    _(
                        "%(name)s: not imported, nothing changed. The changes above to "
                        "existing accounts are applied with --apply."
                    )
                    % {"name": name}
                )
            )
            return False
        return True
