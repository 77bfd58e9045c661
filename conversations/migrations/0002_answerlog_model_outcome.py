# What the language model did for each question: its outcome, tokens and latency (issue 17).

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("conversations", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="answerlog",
            name="model_outcome",
            field=models.CharField(
                blank=True,
                choices=[
                    ("accepted", "accepted"),
                    ("cut_off", "cut off at the token cap"),
                    ("invalid_citation", "missing or unknown citation"),
                    ("leak", "leaked its instructions"),
                    ("refused", "refused by an output check"),
                    ("unanswerable", "model said unanswerable"),
                    ("timeout", "timed out"),
                    ("error", "error"),
                ],
                db_index=True,
                default="",
                max_length=20,
                verbose_name="model outcome",
            ),
        ),
        migrations.AddField(
            model_name="answerlog",
            name="model_detail",
            field=models.CharField(blank=True, default="", max_length=200, verbose_name="model outcome detail"),
        ),
        migrations.AddField(
            model_name="answerlog",
            name="model_latency_ms",
            field=models.FloatField(blank=True, null=True, verbose_name="model latency (ms)"),
        ),
        migrations.AddField(
            model_name="answerlog",
            name="model_tokens",
            field=models.PositiveIntegerField(default=0, verbose_name="model tokens"),
        ),
    ]
