from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("timeline", "0016_trigram_extension"),
    ]

    operations = [
        migrations.AddField(
            model_name="livesession",
            name="blank_white",
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name="livesession",
            name="moved_seq",
            field=models.PositiveBigIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="livesession",
            name="last_run",
            field=models.JSONField(blank=True, null=True),
        ),
    ]
