from gigaportal.commands import ImportCommand
from gigaportal.services import user_import, user_send_set_password_links


class Command(ImportCommand):
    help = (
        "Create or update accounts from a CSV (username, full_name/氏名, email, role, "
        "school_code). New users are e-mailed a set-password link; no password is printed."
    )

    def import_file(self, binary):
        # user_import has committed when it returns: the links point at real accounts.
        result, created = user_import(file=binary)
        self.sent = user_send_set_password_links(users=created)
        return result

    def describe(self, result):
        return (
            f"{result.created} users created, {result.updated} updated; "
            f"{self.sent} set-password links e-mailed"
        )
