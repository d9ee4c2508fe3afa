"""The school e-mails move onto the one outbox (RequestNotice becomes RequestEmail, with
a next attempt time), a request event's actor becomes `by` (the one name for who did
it), records and campaigns may come from the command line, and the support-log imports
are carried over into ImportBatch so the same file stays a no-op."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def log_imports_to_batches(apps, schema_editor):
    SupportLogImport = apps.get_model("support", "SupportLogImport")
    ImportBatch = apps.get_model("gigaportal", "ImportBatch")
    ImportBatch.objects.bulk_create(
        ImportBatch(
            kind="support_log",
            additive=True,
            file_name=row.file_name,
            sha256=row.sha256,
            status="done",
            by_id=row.created_by_id,
            by_name=row.created_by.full_name or row.created_by.username,
            created_at=row.created_at,
            started_at=row.created_at,
            finished_at=row.created_at,
            created=row.rows,
        )
        for row in SupportLogImport.objects.select_related("created_by")
    )


class Migration(migrations.Migration):

    dependencies = [
        ("support", "0005_center_staff_choices"),
        ("gigaportal", "0003_changelog_and_import_batches"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # The e-mails: the outbox's columns.
        migrations.RemoveIndex(model_name="requestnotice", name="support_notice_due"),
        migrations.RenameModel(old_name="RequestNotice", new_name="RequestEmail"),
        migrations.AlterModelOptions(
            name="requestemail",
            options={
                "ordering": ["created_at", "id"],
                "verbose_name": "e-mail to a school",
                "verbose_name_plural": "e-mails to schools",
            },
        ),
        migrations.AlterField(
            model_name="requestemail",
            name="request",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="emails",
                to="support.supportrequest",
            ),
        ),
        migrations.AlterField(
            model_name="requestemail",
            name="recipient",
            field=models.EmailField(max_length=254, verbose_name="to"),
        ),
        migrations.AlterField(
            model_name="requestemail",
            name="subject",
            field=models.CharField(max_length=300, verbose_name="subject"),
        ),
        migrations.AlterField(
            model_name="requestemail",
            name="body",
            field=models.TextField(verbose_name="body"),
        ),
        migrations.AlterField(
            model_name="requestemail",
            name="created_at",
            field=models.DateTimeField(auto_now_add=True, verbose_name="created at"),
        ),
        migrations.AlterField(
            model_name="requestemail",
            name="state",
            field=models.CharField(
                choices=[
                    ("pending", "waiting to be sent"),
                    ("sending", "sending"),
                    ("sent", "sent"),
                    ("failed", "failed"),
                ],
                default="pending",
                max_length=10,
                verbose_name="status",
            ),
        ),
        migrations.AlterField(
            model_name="requestemail",
            name="sent_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="sent at"),
        ),
        migrations.AlterField(
            model_name="requestemail",
            name="attempts",
            field=models.PositiveSmallIntegerField(default=0, verbose_name="attempts"),
        ),
        migrations.AlterField(
            model_name="requestemail",
            name="last_error",
            field=models.TextField(blank=True, verbose_name="last error"),
        ),
        migrations.AddField(
            model_name="requestemail",
            name="next_attempt_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="next attempt"),
        ),
        migrations.AddIndex(
            model_name="requestemail",
            index=models.Index(
                fields=["state", "next_attempt_at"], name="support_requestemail_due"
            ),
        ),
        # Who did it: one name.
        migrations.RenameField(model_name="requestevent", old_name="actor", new_name="by"),
        migrations.AlterField(
            model_name="requestevent",
            name="by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="by",
            ),
        ),
        migrations.AlterField(
            model_name="campaign",
            name="created_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="created by",
            ),
        ),
        migrations.AlterField(
            model_name="supportrecord",
            name="created_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="logged by",
            ),
        ),
        # The imports: one ImportBatch.
        migrations.RunPython(log_imports_to_batches, migrations.RunPython.noop),
        migrations.DeleteModel(name="SupportLogImport"),
    ]
