"""Consent levels (private, followers, public) replace the shared / not shared tick. A link
shared before was shared with this instance only: it becomes `followers`, never wider. And an
index to find a person's `self` assertions set aside among the observations."""

from django.db import migrations, models


def shared_becomes_followers(apps, schema_editor):  # type: ignore[no-untyped-def]
    consent = apps.get_model("crosswalk", "SelfLinkConsent")
    consent.objects.filter(shared=True).update(level="followers")


class Migration(migrations.Migration):
    dependencies = [("crosswalk", "0005_match_page_indexes_and_tallies")]

    operations = [
        migrations.AddField(
            model_name="selflinkconsent",
            name="level",
            field=models.CharField(
                choices=[
                    ("private", "Only me"),
                    ("followers", "The people who followed me on X"),
                    ("public", "Everyone, and the public dataset shared with other instances"),
                ],
                default="private",
                max_length=10,
                verbose_name="who may find this link",
            ),
        ),
        migrations.RunPython(shared_becomes_followers, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="linkobservation",
            index=models.Index(
                condition=models.Q(organisation__isnull=False),
                fields=["organisation"],
                name="observation_self_organisation",
            ),
        ),
    ]
