"""Follow migrations run on the job engine: a due time and the engine's columns replace the task
chain (task_id), the job's own rate state (the budget is the account's, in jobs.AccountBudget)
and resume_at (the due time of a waiting job)."""

from django.db import migrations, models
from django.db.models import F
from django.utils import timezone

ACTIVE = ("pending", "running", "waiting_rate_limit")


def due_times(apps, schema_editor):  # type: ignore[no-untyped-def]
    job = apps.get_model("migration", "MigrationJob")
    job.objects.filter(state="waiting_rate_limit", resume_at__isnull=False).update(
        due_at=F("resume_at")
    )
    job.objects.filter(state__in=ACTIVE, due_at__isnull=True).update(due_at=timezone.now())


class Migration(migrations.Migration):
    dependencies = [
        ("migration", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="migrationjob",
            name="attempts",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="migrationjob",
            name="due_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="migrationjob",
            name="state_changed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(due_times, migrations.RunPython.noop),
        migrations.RemoveField(model_name="migrationjob", name="rate_state"),
        migrations.RemoveField(model_name="migrationjob", name="resume_at"),
        migrations.RemoveField(model_name="migrationjob", name="task_id"),
        migrations.AddIndex(
            model_name="migrationjob",
            index=models.Index(
                condition=models.Q(("due_at__isnull", False)),
                fields=["due_at"],
                name="migration_migrationjob_due",
            ),
        ),
    ]
