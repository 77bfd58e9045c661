"""Search speed on a large synthetic index: build time, memory, query latency percentiles.

The synthetic city is made from the demo FAQ by recombination: every entry takes its question
from one demo entry with a clause of another, phrasings from others, and an answer from
sentences of several answers, so the vocabulary and lengths are real Japanese municipal text.
Vectors are mixtures of the real vectors of the source texts (embedding 10,000 entries would
measure the model, not the index); queries are the demo query set, embedded for real, so the
latency is the whole request path of ``SearchIndex.search``. Nothing is written to the database
except cached vectors of the demo texts; nothing is downloaded.
"""

from __future__ import annotations

import glob
import json
import random
import re
import resource
import time
from pathlib import Path

import numpy as np
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from faq import importing
from faq.search import embed, runtime
from faq.search.index import Entry, SearchIndex
from faq.search.score import Params
from faq.search.text import analyzer

DEMO = Path(settings.BASE_DIR) / "faq" / "demo"
SENTENCE = re.compile(r"(?<=[。！？])")
CLAUSE = re.compile(r"(?<=[、。？])")


def rss_mb() -> float:
    """Current resident set size (Linux /proc; peak RSS elsewhere)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
        return pages * resource.getpagesize() / 2**20
    except (OSError, ValueError, IndexError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def percentile(values: list[float], q: float) -> float:
    return round(float(np.percentile(values, q)), 1) if values else 0.0


class Command(BaseCommand):
    help = "Build a synthetic index (default 10,000 entries) and print build time, memory and query latency."

    def add_arguments(self, parser):
        parser.add_argument("--entries", type=int, default=10_000)
        parser.add_argument("--queries", type=int, default=300, help="how many queries to time")
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument(
            "--embed-sample",
            type=int,
            default=0,
            help="also embed this many synthetic FAQ entries for real (no cache) and extrapolate to 1,800",
        )

    def handle(self, *args, **opts):
        rng = random.Random(opts["seed"])
        rows = [r for path in sorted((DEMO / "faq").glob("*.jsonl")) for _n, r, _e in importing.read_rows(path) if r]
        if not rows:
            raise CommandError(f"no demo FAQ under {DEMO / 'faq'}")
        params = Params()
        queries = self._queries(rng, opts["queries"])
        self.stdout.write(f"Source: {len(rows)} demo FAQ entries, {len(queries)} queries")

        started = time.perf_counter()
        source_vectors = self._source_vectors(rows, params)
        self.stdout.write(f"Source vectors (cached after the first run): {time.perf_counter() - started:.1f} s")

        entries, phrasing_vectors, body_vectors = self._synthesise(rows, source_vectors, opts["entries"], rng)
        # load the model and Sudachi's dictionary first: every index of the process shares them
        embed.embed_query("準備")
        analyzer.terms("準備")
        before = rss_mb()
        started = time.perf_counter()
        index = SearchIndex(entries, phrasing_vectors, body_vectors, params)
        build_s = time.perf_counter() - started
        runtime.trim_memory()
        after = rss_mb()
        del phrasing_vectors, body_vectors

        embed.clear_query_cache()
        latencies, embedding = [], []
        for text in queries:
            t0 = time.perf_counter()
            vector = embed.embed_query(text)
            t1 = time.perf_counter()
            index.search(text, k=10, query_vector=vector)
            t2 = time.perf_counter()
            embedding.append((t1 - t0) * 1000)
            latencies.append((t2 - t0) * 1000)
        result = {
            "entries": index.n,
            "phrasings": int(len(index.phr_owner)),
            "build_s": round(build_s, 2),
            "rss_delta_mb": round(after - before, 1),
            "index_arrays_mb": round(index.nbytes / 2**20, 1),
            "queries": len(queries),
            "latency_ms_p50": percentile(latencies, 50),
            "latency_ms_p95": percentile(latencies, 95),
            "query_embedding_ms_p50": percentile(embedding, 50),
            "query_embedding_ms_p95": percentile(embedding, 95),
        }
        if opts["embed_sample"]:
            result.update(self._embed_sample(entries[: opts["embed_sample"]], params))
        self.stdout.write(json.dumps(result, ensure_ascii=False))

    # --- synthetic data -------------------------------------------------------------------------

    def _queries(self, rng: random.Random, n: int) -> list[str]:
        texts: list[str] = []
        for path in sorted(glob.glob(str(DEMO / "queries" / "*.jsonl"))):
            for line in Path(path).read_text(encoding="utf-8").splitlines():
                if line.strip():
                    texts.append(json.loads(line)["query"])
        if not texts:
            texts = ["粗大ごみの出し方", "住民票を取りたい", "保育園の申し込み"]
        texts = list(dict.fromkeys(texts))
        rng.shuffle(texts)
        return (texts * (n // len(texts) + 1))[:n]

    def _source_vectors(self, rows: list[dict], params: Params) -> dict[str, np.ndarray]:
        items = []
        for row in rows:
            entry = _entry(row, 0)
            phrasings, head = entry.dense_items(params)
            items.extend([*phrasings, head])
        items = list(dict.fromkeys(items))
        vectors = embed.VectorStore().vectors(items, progress=True, desc="demo texts")
        return {text: vec for (_kind, text), vec in zip(items, vectors, strict=True)}

    def _synthesise(self, rows, source_vectors, n: int, rng: random.Random):
        entries: list[Entry] = []
        phrasing_vectors: list[np.ndarray] = []
        body_vectors: list[np.ndarray] = []
        noise = np.random.default_rng(rng.randrange(2**32))
        for i in range(n):
            a, b, c = rng.sample(rows, 3)
            qa = [p for p in CLAUSE.split(a["question"]) if p]
            qb = [p for p in CLAUSE.split(b["question"]) if p]
            question = "".join(qa[:-1] + qb[-1:]) if len(qa) > 1 else qa[0] + qb[-1]
            alts = [q for q in (a.get("alt_questions") or []) + (c.get("alt_questions") or []) if q]
            alts = rng.sample(alts, min(len(alts), rng.choice([0, 1, 2, 3])))
            sentences = [s for row in (a, b, c) for s in SENTENCE.split(row["answer"]) if s]
            answer = "".join(rng.sample(sentences, min(len(sentences), rng.randint(3, 6))))
            entry = Entry(
                kind="faq",
                id=i + 1,
                external_id=f"bench-{i + 1:05d}",
                title=question,
                text=answer,
                phrasings=[question, *alts],
                body=answer,
            )
            entries.append(entry)
            src = {row["question"]: row for row in (a, b, c)}
            mix_q = _unit(source_vectors[_head(a["question"])] + source_vectors[_head(b["question"])])
            for phrasing in entry.phrasings:
                vec = source_vectors.get(_head(phrasing))
                base = mix_q if vec is None or phrasing in src else vec
                phrasing_vectors.append(_unit(base + noise.normal(0, 0.01, base.shape).astype(np.float32)))
            limit = Params().answer_head_chars
            heads = [source_vectors[_head(row["answer"], limit)] for row in (a, b, c)]
            body = _unit(np.sum(heads, axis=0)) if heads else mix_q
            body_vectors.append(body)
        return entries, np.stack(phrasing_vectors).astype(np.float32), np.stack(body_vectors).astype(np.float32)

    def _embed_sample(self, entries: list[Entry], params: Params) -> dict:
        started = time.perf_counter()
        items = []
        for entry in entries:
            phrasings, head = entry.dense_items(params)
            items.extend([*phrasings, head])
        for kind in ("query", "passage"):
            texts = sorted((t for k, t in items if k == kind), key=len)
            for start in range(0, len(texts), embed.BATCH):
                embed.embed_texts(kind, texts[start : start + embed.BATCH])
        seconds = time.perf_counter() - started
        return {
            "embed_sample_entries": len(entries),
            "embed_sample_texts": len(items),
            "embed_sample_s": round(seconds, 1),
            "embed_1800_faq_estimate_s": round(seconds / max(len(entries), 1) * 1800, 1),
        }


def _entry(row: dict, pk: int) -> Entry:
    alts = row.get("alt_questions") or []
    if isinstance(alts, str):
        alts = [a for a in alts.split("|") if a]
    return Entry(
        kind="faq",
        id=pk,
        external_id=row.get("external_id", ""),
        title=row["question"],
        text=row["answer"],
        phrasings=[row["question"], *alts],
        body=row["answer"],
    )


def _head(text: str, limit: int | None = None) -> str:
    params = Params()
    return text[: limit or params.phrasing_chars]


def _unit(vec: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vec))
    return (vec / norm).astype(np.float32) if norm else vec.astype(np.float32)
