from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("timeline", "0017_live_last_run"),
    ]

    operations = [
        migrations.AddField(
            model_name="livesession",
            name="timer_banked_ms",
            field=models.PositiveBigIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="livesession",
            name="timer_started_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
