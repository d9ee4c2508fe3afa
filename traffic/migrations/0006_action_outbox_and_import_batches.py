"""Actions move onto the one outbox (gigaportal.outbox: `status` becomes `state`), and
the usage imports onto the one ImportBatch (traffic's ImportJob rows are carried over)."""

from django.conf import settings
from django.db import migrations, models


def jobs_to_batches(apps, schema_editor):
    ImportJob = apps.get_model("traffic", "ImportJob")
    ImportBatch = apps.get_model("gigaportal", "ImportBatch")
    status = {"queued": "queued", "running": "running", "done": "done", "failed": "failed"}
    ImportBatch.objects.bulk_create(
        ImportBatch(
            kind="traffic_usage",
            file_name=job.original_name,
            size=job.size,
            file=job.file.name if job.status in ("queued", "running") else "",
            status=status.get(job.status, "failed"),
            by_id=job.created_by_id,
            by_name=(job.created_by.full_name or job.created_by.username) if job.created_by else "",
            created_at=job.created_at,
            started_at=job.started_at,
            finished_at=job.finished_at,
            rows_read=job.rows,
            bytes_read=job.bytes_read,
            created=job.rows if job.status == "done" else 0,
            errors=job.errors,
            details={"months": job.months},
        )
        for job in ImportJob.objects.select_related("created_by")
    )


class Migration(migrations.Migration):

    dependencies = [
        ("traffic", "0005_import_job_started_at"),
        ("gigaportal", "0003_changelog_and_import_batches"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(model_name="action", name="traffic_action_due"),
        migrations.RenameField(model_name="action", old_name="status", new_name="state"),
        migrations.AlterField(
            model_name="action",
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
        migrations.AddIndex(
            model_name="action",
            index=models.Index(fields=["state", "next_attempt_at"], name="traffic_action_due"),
        ),
        migrations.RemoveConstraint(model_name="policy", name="traffic_policy_positive"),
        migrations.AddConstraint(
            model_name="policy",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("consecutive_gb__gt", 0), ("gb_per_line__gt", 0), ("single_gb__gt", 0)
                ),
                name="traffic_policy_positive",
                violation_error_message="The thresholds and the GB per line must be greater than 0.",
            ),
        ),
        migrations.RunPython(jobs_to_batches, migrations.RunPython.noop),
        migrations.DeleteModel(name="ImportJob"),
    ]
