"""Precomputed vectors (the demo city ships them) load into the cache and spare the embedding."""

import numpy as np

from faq.models import EmbeddingCache
from faq.search import embed


def test_export_then_import_restores_the_same_vectors(db, tmp_path):
    store = embed.VectorStore()
    items = [("query", "粗大ごみの出し方"), ("passage", "住民票の写しは市民課で取れます。")]
    original = store.vectors(items)
    path = tmp_path / "cache.npz"
    assert embed.export_cache(path) == 2
    EmbeddingCache.objects.all().delete()
    assert embed.import_cache(path) == 2
    again = embed.VectorStore()
    restored = again.vectors(items)
    assert again.embedded == 0 and again.from_db == 2  # nothing embedded: all from the file
    np.testing.assert_array_equal(original, restored)


def test_a_file_of_another_shape_is_ignored(db, tmp_path):
    path = tmp_path / "bad.npz"
    np.savez_compressed(path, hashes=np.array(["a"]), vectors=np.zeros((1, 3), dtype=np.float32))
    assert embed.import_cache(path) == 0
    assert not EmbeddingCache.objects.exists()
