"""Posts are published by the job engine: its columns; a post being published is due at once."""

from django.conf import settings
from django.db import migrations, models
from django.utils import timezone


def due_now(apps, schema_editor):  # type: ignore[no-untyped-def]
    model = apps.get_model("publishing", "Post")
    model.objects.filter(state__in=("publishing",)).update(due_at=timezone.now())


class Migration(migrations.Migration):
    dependencies = [
        ("orgs", "0002_mastodonoauthapp"),
        ("publishing", "0002_post_origin_post_one_post_per_origin"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="post",
            name="attempts",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="post",
            name="consecutive_errors",
            field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="post",
            name="due_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="post",
            name="finished_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="post",
            name="last_error",
            field=models.TextField(blank=True),
        ),
        migrations.AddField(
            model_name="post",
            name="lease_owner",
            field=models.CharField(blank=True, max_length=200),
        ),
        migrations.AddField(
            model_name="post",
            name="lease_until",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="post",
            name="started_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="post",
            name="state_changed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name="post",
            name="state",
            field=models.CharField(
                choices=[
                    ("draft", "Draft"),
                    ("publishing", "Publishing"),
                    ("done", "Published"),
                    ("partial", "Partly published"),
                    ("failed", "Failed"),
                ],
                default="draft",
                max_length=20,
            ),
        ),
        migrations.RunPython(due_now, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="post",
            index=models.Index(
                condition=models.Q(("due_at__isnull", False)),
                fields=["due_at"],
                name="publishing_post_due",
            ),
        ),
    ]
