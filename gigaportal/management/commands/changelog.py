from django.contrib.contenttypes.models import ContentType
from django.core.management.base import BaseCommand, CommandError

from gigaportal import reports
from gigaportal.commands import add_format_argument, write_report
from gigaportal.params import date_param
from gigaportal.scope import COMMAND_LINE


class Command(BaseCommand):
    help = (
        "Print the change log: time,user,action,object_type,object_id,object,changes "
        '(changes as JSON {"field": [before, after]}), newest first.'
    )

    def add_arguments(self, parser):
        parser.add_argument("--since", metavar="YYYY-MM-DD", help="changes from this day on")
        parser.add_argument("--model", metavar="APP.MODEL", help="e.g. devices.device")
        add_format_argument(parser)

    def handle(self, *args, **options):
        filters = {}
        if options["since"]:
            since = date_param({"since": options["since"]}, "since")
            if since is None:
                raise CommandError(f"--since {options['since']!r} is not a date (YYYY-MM-DD)")
            filters["since"] = since
        if options["model"]:
            label = options["model"].lower()
            app_label, _dot, model = label.partition(".")
            content_type = ContentType.objects.filter(app_label=app_label, model=model).first()
            if content_type is None:
                raise CommandError(f"--model {options['model']!r}: no such model (app.Model)")
            filters["model"] = content_type
        report = reports.get("gigaportal.changes").run(user=COMMAND_LINE, **filters)
        write_report(self, report, options["format"])
