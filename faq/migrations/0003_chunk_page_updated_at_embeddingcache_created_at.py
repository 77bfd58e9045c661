# Chunk.updated_at and Page.updated_at: the search index's version stamp reads them (a bulk update of
# passages or pages is seen). EmbeddingCache.created_at: pruning spares rows written while it runs.
# Existing rows get the time of the migration.

import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("faq", "0002_page_kind_and_labels"),
    ]

    operations = [
        migrations.AddField(
            model_name="chunk",
            name="updated_at",
            field=models.DateTimeField(
                auto_now=True, db_index=True, default=django.utils.timezone.now, verbose_name="updated"
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="page",
            name="updated_at",
            field=models.DateTimeField(
                auto_now=True, db_index=True, default=django.utils.timezone.now, verbose_name="updated"
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="embeddingcache",
            name="created_at",
            field=models.DateTimeField(auto_now_add=True, default=django.utils.timezone.now),
            preserve_default=False,
        ),
    ]
