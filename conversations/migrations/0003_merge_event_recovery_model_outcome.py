# Two migrations written at the same time (issue 15: event recovery; issue 17: model outcomes).

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("conversations", "0002_answerlog_model_outcome"),
        ("conversations", "0002_event_recovery"),
    ]

    operations = []
