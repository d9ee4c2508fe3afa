from gigaportal.commands import ImportCommand
from gigaportal.services import school_import


class Command(ImportCommand):
    help = "Create or update schools from a CSV (school_code/学校コード, name/学校名, kind/校種, email/メール)."

    def import_file(self, binary):
        return school_import(file=binary)

    def describe(self, result):
        return f"{result.created} schools created, {result.updated} updated"
