from gigaportal.commands import ImportCommand


class Command(ImportCommand):
    help = (
        "Create or update accounts from a CSV (username, full_name/氏名, email, role, "
        "school_code). New users are e-mailed a set-password link; no password is printed."
    )
    kind = "users"
