# A ticket can be opened because a message could not be processed (issue 15).

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("handoff", "0003_conversation_moved"),
    ]

    operations = [
        migrations.AlterField(
            model_name="ticket",
            name="reason",
            field=models.CharField(
                choices=[
                    ("low_confidence", "bot not confident"),
                    ("asked_for_person", "resident asked for a person"),
                    ("sensitive", "sensitive topic"),
                    ("repeated_failure", "two unhelpful answers"),
                    ("failed", "message could not be processed"),
                ],
                max_length=24,
                verbose_name="reason",
            ),
        ),
    ]
