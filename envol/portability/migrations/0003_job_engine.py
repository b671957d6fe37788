"""Archive imports run on the job engine: its columns, and the path of a file imported from the
command line (a worker can then resume it). Imports waiting or running are due at once."""

from django.conf import settings
from django.db import migrations, models
from django.utils import timezone


def due_now(apps, schema_editor):  # type: ignore[no-untyped-def]
    model = apps.get_model("portability", "ArchiveImport")
    model.objects.filter(state__in=("pending", "running")).update(due_at=timezone.now())


class Migration(migrations.Migration):
    dependencies = [
        ("orgs", "0002_mastodonoauthapp"),
        ("portability", "0002_archivedmedia_url_archiveimport_error_fr_and_more"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="archiveimport",
            name="attempts",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="archiveimport",
            name="consecutive_errors",
            field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="archiveimport",
            name="due_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="archiveimport",
            name="last_error",
            field=models.TextField(blank=True),
        ),
        migrations.AddField(
            model_name="archiveimport",
            name="lease_owner",
            field=models.CharField(blank=True, max_length=200),
        ),
        migrations.AddField(
            model_name="archiveimport",
            name="lease_until",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="archiveimport",
            name="source_file",
            field=models.CharField(blank=True, max_length=1000),
        ),
        migrations.AddField(
            model_name="archiveimport",
            name="state_changed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name="archiveimport",
            name="state",
            field=models.CharField(
                choices=[
                    ("pending", "Waiting"),
                    ("running", "Importing"),
                    ("done", "Done"),
                    ("failed", "Failed"),
                ],
                default="pending",
                max_length=20,
            ),
        ),
        migrations.RunPython(due_now, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="archiveimport",
            index=models.Index(
                condition=models.Q(("due_at__isnull", False)),
                fields=["due_at"],
                name="portability_archiveimport_due",
            ),
        ),
    ]
