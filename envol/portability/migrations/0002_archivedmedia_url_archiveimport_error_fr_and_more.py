# Import results (French error, top mentions, media URL); no redundant source-account indexes.

import django.db.models.deletion
from django.db import migrations, models


def _source_account(related_name: str) -> models.ForeignKey:  # type: ignore[type-arg]
    return models.ForeignKey(
        db_index=False,
        on_delete=django.db.models.deletion.CASCADE,
        related_name=related_name,
        to="portability.sourceaccount",
    )


class Migration(migrations.Migration):
    dependencies = [
        ("portability", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="archivedmedia",
            name="url",
            field=models.URLField(blank=True, max_length=500),
        ),
        migrations.AddField(
            model_name="archiveimport",
            name="error_fr",
            field=models.TextField(blank=True),
        ),
        migrations.AddField(
            model_name="archiveimport",
            name="top_mentions",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.AlterField(
            model_name="archivedmedia", name="source_account", field=_source_account("media")
        ),
        migrations.AlterField(
            model_name="archivedpost", name="source_account", field=_source_account("posts")
        ),
        migrations.AlterField(
            model_name="relation", name="source_account", field=_source_account("relations")
        ),
    ]
