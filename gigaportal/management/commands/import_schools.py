from gigaportal.commands import ImportCommand


class Command(ImportCommand):
    help = "Create or update schools from a CSV (school_code/学校コード, name/学校名, kind/校種, email/メール)."
    kind = "schools"
