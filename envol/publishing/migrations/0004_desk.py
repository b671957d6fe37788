"""The publishing desk: workflow states, targets, overrides, link card, planned time, review,
urgent publication, comments and calendar feeds."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def targets_from_rows(apps, schema_editor):  # type: ignore[no-untyped-def]
    """Posts made before the desk: their targets are the accounts of their publication rows."""
    post_model = apps.get_model("publishing", "Post")
    row_model = apps.get_model("publishing", "Publication")
    through = post_model.targets.through
    pairs = set(row_model.objects.values_list("post_id", "account_id"))
    through.objects.bulk_create(
        [through(post_id=p, connectedaccount_id=a) for p, a in sorted(pairs)],
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("orgs", "0003_organisation_brand"),
        ("publishing", "0003_job_engine"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="CalendarFeed",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("token_digest", models.CharField(max_length=64, unique=True)),
                ("created_at", models.DateTimeField()),
                ("revoked_at", models.DateTimeField(blank=True, null=True)),
            ],
        ),
        migrations.CreateModel(
            name="PostComment",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("body", models.TextField(verbose_name="comment")),
                ("rejection", models.BooleanField(default=False)),
                ("created_at", models.DateTimeField()),
            ],
            options={
                "ordering": ["created_at", "pk"],
            },
        ),
        migrations.AddField(
            model_name="post",
            name="last_edited_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="post",
            name="link_card",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AddField(
            model_name="post",
            name="note",
            field=models.CharField(
                blank=True,
                choices=[
                    ("", ""),
                    (
                        "missed",
                        "Its planned time passed before it could be published: not published.",
                    ),
                    ("expired", "Pending for too long: it expired."),
                    ("urgent", "Published urgently, without approval."),
                ],
                default="",
                max_length=20,
            ),
        ),
        migrations.AddField(
            model_name="post",
            name="numbering",
            field=models.BooleanField(default=True),
        ),
        migrations.AddField(
            model_name="post",
            name="overrides",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AddField(
            model_name="post",
            name="planned_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="planned time"),
        ),
        migrations.AddField(
            model_name="post",
            name="reviewed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="post",
            name="reviewed_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="post",
            name="targets",
            field=models.ManyToManyField(
                blank=True, related_name="desk_posts", to="orgs.connectedaccount"
            ),
        ),
        migrations.AddField(
            model_name="post",
            name="urgent_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="post",
            name="urgent_confirmed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="post",
            name="urgent_confirmed_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="post",
            name="urgent_reason",
            field=models.TextField(blank=True),
        ),
        migrations.AddField(
            model_name="post",
            name="use_short_links",
            field=models.BooleanField(default=False),
        ),
        migrations.AlterField(
            model_name="post",
            name="state",
            field=models.CharField(
                choices=[
                    ("draft", "Draft"),
                    ("in_review", "In review"),
                    ("approved", "Approved"),
                    ("rejected", "Rejected"),
                    ("scheduled", "Scheduled"),
                    ("publishing", "Publishing"),
                    ("done", "Published"),
                    ("partial", "Partly published"),
                    ("failed", "Failed"),
                    ("cancelled", "Cancelled"),
                ],
                default="draft",
                max_length=20,
            ),
        ),
        migrations.AlterField(
            model_name="post",
            name="text",
            field=models.TextField(blank=True, verbose_name="text"),
        ),
        migrations.AddIndex(
            model_name="post",
            index=models.Index(fields=["organisation", "planned_at"], name="post_by_planned_time"),
        ),
        migrations.AddIndex(
            model_name="post",
            index=models.Index(fields=["organisation", "state"], name="post_by_state"),
        ),
        migrations.AddField(
            model_name="calendarfeed",
            name="organisation",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="calendar_feeds",
                to="orgs.organisation",
            ),
        ),
        migrations.AddField(
            model_name="calendarfeed",
            name="user",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="calendar_feeds",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="postcomment",
            name="author",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="postcomment",
            name="post",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="comments",
                to="publishing.post",
            ),
        ),
        migrations.AddField(
            model_name="postcomment",
            name="reply_to",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="replies",
                to="publishing.postcomment",
            ),
        ),
        migrations.AddConstraint(
            model_name="calendarfeed",
            constraint=models.UniqueConstraint(
                condition=models.Q(("revoked_at__isnull", True)),
                fields=("user", "organisation"),
                name="one_live_feed_per_member",
            ),
        ),
        migrations.RunPython(targets_from_rows, migrations.RunPython.noop),
    ]
