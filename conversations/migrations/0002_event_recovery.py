# Stored means answered (issue 15): events given up after the last attempt, queued again by beat;
# the LINE bot user ID that webhook destinations are checked against; 'null' as an allowed origin.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("conversations", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="inboundevent",
            name="given_up_at",
            field=models.DateTimeField(
                blank=True,
                help_text="Every attempt failed: the resident was told and a ticket opened. Retry from the list.",
                null=True,
                verbose_name="given up",
            ),
        ),
        migrations.AddField(
            model_name="inboundevent",
            name="requeued_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="queued again"),
        ),
        migrations.AlterField(
            model_name="inboundevent",
            name="attempts",
            field=models.PositiveSmallIntegerField(default=0, verbose_name="attempts"),
        ),
        migrations.AlterField(
            model_name="inboundevent",
            name="last_error",
            field=models.TextField(blank=True, verbose_name="last error"),
        ),
        migrations.AlterField(
            model_name="inboundevent",
            name="lease_until",
            field=models.DateTimeField(blank=True, null=True, verbose_name="leased until"),
        ),
        migrations.AddField(
            model_name="municipality",
            name="line_bot_user_id",
            field=models.CharField(
                blank=True,
                help_text="Read from LINE with the access token. Webhook requests for another bot are refused.",
                max_length=64,
                verbose_name="LINE bot user ID",
            ),
        ),
        migrations.AlterField(
            model_name="municipality",
            name="allowed_web_origins",
            field=models.TextField(
                blank=True,
                help_text=(
                    "One origin per line, e.g. https://www.city.example.jp. The web widget answers only these. "
                    "A line 'null' also admits pages without an origin (sandboxed frames, local files): only if "
                    "you need it."
                ),
                verbose_name="allowed web origins",
            ),
        ),
    ]
