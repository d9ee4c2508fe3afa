from django.core.management.base import BaseCommand, CommandError

from gigaportal.models import User
from gigaportal.services import user_send_set_password_links


class Command(BaseCommand):
    help = (
        "E-mail a new set-password link to these users (e.g. when a link expired or mail failed)."
    )

    def add_arguments(self, parser):
        parser.add_argument("usernames", nargs="+", metavar="USERNAME")

    def handle(self, *args, **options):
        names = options["usernames"]
        users = list(User.objects.filter(username__in=names, is_active=True))
        unknown = sorted(set(names) - {u.username for u in users})
        if unknown:
            raise CommandError(f"no active user: {', '.join(unknown)}")
        without_email = [u.username for u in users if not u.email]
        sent = user_send_set_password_links(users=users)
        self.stdout.write(self.style.SUCCESS(f"{sent} set-password links e-mailed"))
        if without_email:
            self.stdout.write(self.style.WARNING(f"no e-mail address: {', '.join(without_email)}"))
