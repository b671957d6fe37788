"""Follow-migration items carry the number of the batch that sent them: two batches may be `sent`
at once (the next one begun while a call is out), each reconciled on its own."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("migration", "0002_job_engine"),
    ]

    operations = [
        migrations.AddField(
            model_name="migrationitem",
            name="batch",
            field=models.PositiveIntegerField(default=0),
        ),
    ]
