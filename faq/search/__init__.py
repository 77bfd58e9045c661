"""Hybrid FAQ and homepage search: Sudachi BM25 + multilingual-e5, fused and calibrated.

Modules: ``text`` (normalisation, Sudachi terms), ``bm25`` (inverted index), ``embed`` (e5 vectors
with the hash cache), ``index`` (one municipality's in-memory index), ``score`` (fusion and
confidence), ``loader`` (database to entries, version stamp), ``service`` (per-process registry,
``search``), ``metrics`` (evaluation maths). The engine uses ``faq.retrieval.search``.
"""
