# Machine translations that fail the check are flagged for editors and never served (issue 17).

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("languages", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="cachedtranslation",
            name="check_failed",
            field=models.CharField(
                blank=True,
                help_text=(
                    "Why this machine translation failed the check (wrong language, a lost phone number or date, the "
                    "translator's own words...). It is not shown to residents; correct it to use it."
                ),
                max_length=200,
                verbose_name="failed check",
            ),
        ),
        migrations.AddField(
            model_name="cachedtranslation",
            name="checked_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="checked"),
        ),
    ]
