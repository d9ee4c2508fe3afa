from django.core.management.base import CommandError

from gigaportal.commands import ImportCommand
from gigaportal.models import User
from gigaportal.roles import LEADER_ROLES
from support.services import record_import


class Command(ImportCommand):
    help = (
        "Import an existing support log (CSV: 日付, 学校コード, 区分, 担当, optional 内容, 備考). "
        "A file with any bad row is refused whole."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--as",
            dest="username",
            default="leader",
            help="the leader account recorded as having logged the rows (default: leader)",
        )

    def handle(self, *args, **options):
        user = User.objects.filter(username=options["username"], role__in=LEADER_ROLES).first()
        if user is None:
            raise CommandError(f"{options['username']!r} is not a leader or admin account")
        self.actor = user
        return super().handle(*args, **options)

    def import_file(self, binary):
        return record_import(file=binary, actor=self.actor)

    def describe(self, result) -> str:
        return f"{result.created} support records imported"
