"""The semantic layer: encoder quality and cost, stories with and without embeddings, judging and ingest cost.

- Encoders (each in a fresh child process, one thread): load time, sentences per second on the corpus's
  own sentences, peak memory; cosine of the labelled zh<->en translation pairs (title and lead) against
  zh<->en pairs of different articles (same labelled event; unrelated).
- Stories on the hand-labelled events of `../shared/corpus/news/deepseek_stargate` (chrome removed, as
  `dedup_real` does) and on WikiRef220: B-cubed P / R for `none` (today's streaming rules) and each
  backend (the re-clustering pass, `crawler.judge.story_clusters`), and whether five arrival orders give
  the same stories.
- Judging time per article through `Judge` with `none` and each backend in one run (encoding included),
  with how many texts each backend encoded: `e5-small` has no sentence thresholds, so it encodes title
  and lead only (`crawler.judge.embedding.sentence_budget`), which is what makes it measurable here.
- Ingest: full pipeline with `none` and with the default backend against the bare spider
  (`benchmarks.ingest`), alternating.

    python -m benchmarks semantic [--rounds 2] [--skip-ingest] [--backends use-multilingual,e5-small]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import numpy as np

from benchmarks._results import write_section
from benchmarks.dedup_real import (
    Labelled,
    bcubed,
    deepseek_corpus,
    judge_all,
    shared_dir,
    wikiref_docs,
    without_chrome,
)
from crawler.config import JudgeSettings
from crawler.judge.core import Judge
from crawler.judge.embedding import Encoder, gist_texts, load_encoder, story_threshold
from crawler.judge.story_clusters import StoryItem, cluster_stories
from crawler.judge.text import split_sentences
from crawler.judge.types import StoredArticle

ONE_THREAD = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def _child_cost(backend: str, sentences_file: str) -> dict[str, Any]:
    import resource

    with open(sentences_file, encoding="utf-8") as found:
        sentences = json.load(found)
    started = time.perf_counter()
    encoder = load_encoder(backend)
    assert encoder is not None
    loaded = time.perf_counter() - started
    started = time.perf_counter()
    encoder.encode(sentences)
    rate = len(sentences) / (time.perf_counter() - started)
    return {"load": loaded, "rate": rate, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def encoder_cost(backend: str, sentences_file: str) -> dict[str, Any]:
    """Load time, sentences/s and peak memory of a backend, in a fresh one-thread child process."""
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.semantic", "--child", backend, sentences_file],
        capture_output=True,
        text=True,
        check=True,
        timeout=1800,
        env={**os.environ, **ONE_THREAD, "HF_HUB_OFFLINE": "1"},
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def gists(backend: str, docs: Sequence[StoredArticle]) -> list[np.ndarray]:
    """Each article's title-and-lead embedding, as the judge computes it."""
    encoder = load_encoder(backend)
    assert encoder is not None
    out = []
    for doc in docs:
        rows = encoder.encode(list(gist_texts(doc.title, split_sentences(doc.text))))
        both = rows[0] + rows[1]
        out.append(both / np.linalg.norm(both))
    return out


def translation_figures(items: Sequence[Labelled], vectors: dict[str, np.ndarray], pairs: Any) -> str:
    """Cosines of zh<->en pairs: labelled translations, same event, unrelated."""
    by_id = {i.record["id"]: i for i in items}
    translations = [
        (p["a"], p["b"]) for p in pairs if p["kind"] == "cross_lingual_translation" and p["a"] in vectors
    ]
    labelled = {frozenset(p) for p in translations}
    same_event, unrelated = [], []
    for a, b in itertools.combinations(sorted(vectors), 2):
        ra, rb = by_id[a].record, by_id[b].record
        if {ra["lang"], rb["lang"]} != {"zh", "en"} or frozenset((a, b)) in labelled:
            continue
        cos = float(vectors[a] @ vectors[b])
        if ra.get("story_event") and ra.get("story_event") == rb.get("story_event"):
            same_event.append(cos)
        elif not (ra.get("dup_group") and ra.get("dup_group") == rb.get("dup_group")):
            unrelated.append(cos)
    shown = ", ".join(f"{a}/{b} {float(vectors[a] @ vectors[b]):.2f}" for a, b in translations)
    return (
        f"translations {shown}; same event (n={len(same_event)}) mean {statistics.mean(same_event):.2f}, "
        f"unrelated (n={len(unrelated)}) mean {statistics.mean(unrelated):.2f}, "
        f"95th pct {float(np.percentile(unrelated, 95)):.2f}, max {max(unrelated):.2f}"
    )


def cluster(
    docs: Sequence[StoredArticle], vectors: Sequence[np.ndarray], threshold: float, window: float
) -> dict[int, int]:
    """Each article's story by the re-clustering pass."""
    items = [StoryItem(d.key, d.url, d.when, d.lang, v) for d, v in zip(docs, vectors, strict=True)]
    found = cluster_stories(items, threshold, timedelta(days=window))
    return {key: number for number, keys in enumerate(found) for key in keys}


def _partition(story: dict[int, int]) -> frozenset[frozenset[int]]:
    groups: dict[int, set[int]] = {}
    for key, s in story.items():
        groups.setdefault(s, set()).add(key)
    return frozenset(frozenset(g) for g in groups.values())


def story_row(
    name: str,
    events: tuple[dict[int, int], dict[int, str]],
    wiki: tuple[dict[int, int], dict[int, str]],
    relevant: int,
    orders: str,
) -> str:
    (predicted, gold), (wpred, wgold) = events, wiki
    p, r, f = bcubed({k: predicted.get(k, -k) for k in gold}, gold)
    wp, wr, wf = bcubed({k: wpred.get(k, -k) for k in wgold}, wgold)
    sizes = Counter(predicted.values())
    return (
        f"| {name} | {p:.2f} / {r:.2f} / {f:.2f} | {len(sizes)} of {relevant} "
        f"| {wp:.2f} / {wr:.2f} / {wf:.2f} | {len(set(wpred.values()))} | {orders} |"
    )


def none_stories(
    clean: Sequence[Labelled], wiki_docs: Sequence[StoredArticle]
) -> tuple[dict[int, int], dict[int, int], str]:
    """Today's streaming rules, and how many different story sets five shuffled orders give."""
    settings = JudgeSettings(embedding_backend="none")
    docs = [i.doc for i in clean]
    run, _ = judge_all(docs, settings)
    wiki_run, _ = judge_all(wiki_docs, settings)
    partitions, counts = set(), []
    relevant = [d for d in docs if d.relevant]
    for seed in range(5):
        order = relevant[:]
        random.Random(seed).shuffle(order)
        shuffled, _ = judge_all(order, settings)
        partitions.add(_partition(shuffled.story))
        counts.append(len(set(shuffled.story.values())))
    return run.story, wiki_run.story, f"{len(partitions)} different ({', '.join(map(str, counts))} stories)"


class _Counting:
    """An encoder that counts the texts and characters it is given."""

    def __init__(self, encoder: Encoder) -> None:
        self.encoder = encoder
        self.name = encoder.name
        self.texts = 0
        self.chars = 0

    @property
    def dim(self) -> int:
        return self.encoder.dim

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.texts += len(texts)
        self.chars += sum(map(len, texts))
        return self.encoder.encode(texts)


def judging_ms(docs: Sequence[StoredArticle], backend: str) -> tuple[float, str]:
    """Milliseconds per article through Judge.assess + index, encoding included when a backend is on,
    and what was encoded."""
    settings = JudgeSettings(embedding_backend=backend)  # type: ignore[arg-type]
    loaded = load_encoder(backend)
    encoder = _Counting(loaded) if loaded is not None else None
    judge = Judge(settings, encoder=encoder)
    started = time.perf_counter()
    story = 1
    for doc in docs:
        judgement = judge.assess(doc)
        judge.index(doc, judgement, judgement.story or story)
        story += 1
    ms = (time.perf_counter() - started) / len(docs) * 1000
    relevant = sum(d.relevant for d in docs)
    encoded = (
        f"; {encoder.texts} texts encoded ({encoder.texts / relevant:.1f} per relevant article, "
        f"{encoder.chars / relevant:.0f} characters)"
        if encoder is not None
        else ""
    )
    return ms, encoded


def timing_lines(docs: Sequence[StoredArticle], backends: Sequence[str]) -> list[str]:
    """Judging time per article for `none` and each backend, measured one after the other."""
    base, _ = judging_ms(docs, "none")
    lines = [f"- `none`: {base:.1f} ms per article"]
    for backend in (name for name in backends if name != "none"):  # `none` is the baseline above
        ms, encoded = judging_ms(docs, backend)
        lines.append(
            f"- `{backend}`: {ms:.1f} ms per article, {ms / base:.1f}x `none` (encoding included{encoded})"
        )
    return lines


def ingest(rounds: int, backends: Sequence[str]) -> str:
    """Full pipeline per backend against the bare spider on the demo corpus (pages/s medians, ratios)."""
    import tempfile
    from pathlib import Path

    import yaml

    from benchmarks.ingest import _run_child
    from crawler.demo import DemoSiteProcess
    from crawler.storage import Store

    rates: dict[str, list[float]] = {name: [] for name in (*backends, "bare")}
    with (
        tempfile.TemporaryDirectory() as scratch,
        DemoSiteProcess(slow_delay=0.2, oversize_bytes=9_000_000) as site,
    ):
        site.start()
        folder = Path(scratch)
        sources = folder / "sources.yaml"
        sources.write_text(yaml.safe_dump({"sources": site.sources()}, allow_unicode=True), encoding="utf-8")
        urls_file = folder / "urls.json"
        for round_no in range(rounds):
            for backend in backends:
                os.environ["BENCH_BACKEND"] = backend
                db = f"sqlite:///{folder / f'{backend}-{round_no}.db'}"
                full = _run_child("full", str(sources), db)
                rates[backend].append(full["pages"] / full["seconds"])
                if not urls_file.exists():
                    with Store(db) as store:
                        urls = [r["url"] for r in store.articles.export_rows()]
                    urls_file.write_text(json.dumps(urls), encoding="utf-8")
            os.environ.pop("BENCH_BACKEND", None)
            bare = _run_child("bare", str(urls_file))
            rates["bare"].append(bare["pages"] / bare["seconds"])
            print(
                f"ingest round {round_no + 1}: " + ", ".join(f"{k} {v[-1]:.1f}/s" for k, v in rates.items()),
                flush=True,
            )
    bare = statistics.median(rates["bare"])
    lines = ["| crawl | pages/s (median) | all rounds | ratio to bare |", "|---|---|---|---|"]
    for name, found in rates.items():
        median = statistics.median(found)
        lines.append(
            f"| {name} | {median:.1f} | {', '.join(f'{r:.1f}' for r in found)} | {median / bare:.2f} |"
        )
    return "\n".join(lines)


def cost_only(args: argparse.Namespace) -> int:
    """Judging time per article and the ingest ratio, in their own section."""
    root = shared_dir()
    if root is None:
        print("../shared/corpus is not here; nothing measured")
        return 1
    docs = [i.doc for i in deepseek_corpus(root)]
    backends = [b for b in args.backends.split(",") if b]
    load_before = os.getloadavg()[0]
    timing = timing_lines(docs, backends)
    parts = [
        f"`Judge.assess` + `index` over the {len(docs)} corpus articles in date order, one process, "
        "encoding included (in a crawl it runs in the page workers instead):\n\n" + "\n".join(timing)
    ]
    if not args.skip_ingest:
        parts.append(
            "Ingest on the demo corpus (`benchmarks.ingest`'s full and bare runs, each in a fresh process, "
            f"{args.rounds} rounds alternating), full pipeline with each backend:\n\n"
            + ingest(args.rounds, ["none", JudgeSettings().embedding_backend])
        )
    parts.append(
        f"Load average (1 min) on {os.cpu_count()} CPUs: {load_before:.1f} at the start, "
        f"{os.getloadavg()[0]:.1f} at the end (other checkouts' tests and benchmarks ran meanwhile)."
    )
    body = "\n\n".join(parts)
    print(body)
    write_section("semantic_cost", "Semantic layer: judging and ingest cost", body)
    return 0


def main(argv: list[str]) -> int:  # noqa: PLR0915 - one report, written in order
    """Measure the semantic layer and write its section of results.md."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks semantic")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--backends", default="use-multilingual,e5-small")
    parser.add_argument("--skip-ingest", action="store_true")
    parser.add_argument("--cost-only", action="store_true", help="judging time and ingest only")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(_child_cost(*args.child)))
        return 0
    if args.cost_only:
        return cost_only(args)
    root = shared_dir()
    if root is None:
        print("../shared/corpus is not here; nothing measured")
        return 1
    backends = [b for b in args.backends.split(",") if b]
    defaults = JudgeSettings()
    load_before = os.getloadavg()[0]
    items = deepseek_corpus(root)
    _, lines = judge_all([i.doc for i in items], JudgeSettings(embedding_backend="none"))
    cleaned = without_chrome([i.doc for i in items], lines, defaults.boilerplate_min_pages)
    clean = [Labelled(doc, item.record) for doc, item in zip(cleaned, items, strict=True)]
    relevant = [i for i in clean if i.doc.relevant]
    gold = {i.doc.key: i.record["story_event"] for i in clean if i.record.get("story_event")}
    wiki_docs, wiki_gold = wikiref_docs(root)
    pairs = json.loads((root / "news" / "deepseek_stargate" / "near_duplicate_pairs.json").read_text())
    sentences = [s for i in relevant[:40] for s in split_sentences(i.doc.text)[:5]][:150]
    with tempfile.NamedTemporaryFile("w", suffix=".json", encoding="utf-8", delete=False) as out:
        json.dump(sentences, out, ensure_ascii=False)
    sentences_file = out.name

    none_events, none_wiki, none_orders = none_stories(clean, wiki_docs)
    rows = [
        story_row(
            "none (streaming rules, threshold 0.20)",
            (none_events, gold),
            (none_wiki, wiki_gold),
            len(relevant),
            none_orders,
        )
    ]
    cost_rows, translation_rows, sweep_rows = [], [], []
    relevant_docs = [i.doc for i in relevant]
    for backend in backends:
        try:
            cost = encoder_cost(backend, sentences_file)
        finally:
            if backend == backends[-1]:
                os.unlink(sentences_file)
        cost_rows.append(f"| {backend} | {cost['load']:.1f} | {cost['rate']:.0f} | {cost['rss_mb']:.0f} |")
        vectors = gists(backend, relevant_docs)
        wiki_vectors = gists(backend, wiki_docs)
        by_id = {i.record["id"]: v for i, v in zip(relevant, vectors, strict=True)}
        translation_rows.append(f"- {backend}: {translation_figures(clean, by_id, pairs)}")
        threshold = story_threshold(backend, defaults.story_embedding_threshold)
        thresholds = (
            [0.35, 0.4, 0.45, 0.5, 0.55] if backend == "use-multilingual" else [0.84, 0.86, 0.88, 0.9, 0.92]
        )
        for t in thresholds:
            events = cluster(relevant_docs, vectors, t, defaults.story_window_days)
            wiki = cluster(wiki_docs, wiki_vectors, t, defaults.story_window_days)
            orders = set()
            for seed in range(5):
                order = list(range(len(relevant_docs)))
                random.Random(seed).shuffle(order)
                orders.add(
                    _partition(
                        cluster(
                            [relevant_docs[i] for i in order],
                            [vectors[i] for i in order],
                            t,
                            defaults.story_window_days,
                        )
                    )
                )
            mark = " (default)" if threshold == t else ""
            sweep_rows.append(
                story_row(
                    f"{backend} {t:.2f}{mark}",
                    (events, gold),
                    (wiki, wiki_gold),
                    len(relevant),
                    f"{len(orders)} different",
                )
            )
        print(cost_rows[-1], translation_rows[-1], flush=True)
    docs = [i.doc for i in clean]
    timing = timing_lines(docs, backends)
    ingest_table = "" if args.skip_ingest else ingest(args.rounds, ["none", defaults.embedding_backend])
    body = "\n\n".join(
        [
            "### Encoders (one thread, fresh process each)",
            f"Sentences: {len(sentences)} sentences of the corpus's relevant articles (zh and en).\n\n"
            "| backend | load s | sentences/s | peak RSS MB |\n|---|---|---|---|\n" + "\n".join(cost_rows),
            "### zh <-> en similarity (title and lead, cosine)",
            "\n".join(translation_rows),
            "### Stories",
            f"Events: B-cubed P / R / F1 over the {len(gold)} articles with a labelled `story_event` "
            f"(chrome removed); stories over the {len(relevant)} relevant articles. WikiRef220: 220 English "
            "articles, 16 topics (topics, not events). Orders: distinct story sets over five shuffled "
            "arrival orders of the relevant articles. Backend rows are the re-clustering pass (average "
            f"linkage, story window {defaults.story_window_days} days) at the given threshold. The default "
            "threshold was chosen from this sweep, i.e. on these labelled events and WikiRef220: the "
            "figures are in-sample.",
            "| stories by | events P / R / F1 | stories | WikiRef220 P / R / F1 | WikiRef stories "
            "| orders |\n"
            "|---|---|---|---|---|---|\n" + "\n".join(rows + sweep_rows),
            "### Judging time per article",
            f"`Judge.assess` + `index` over the {len(docs)} corpus articles in date order, one process (in a "
            "crawl the encoding runs in the page workers instead):\n\n" + "\n".join(timing),
        ]
        + (["### Ingest (demo corpus, full pipeline vs bare spider)", ingest_table] if ingest_table else [])
        + [
            f"Load average (1 min) on {os.cpu_count()} CPUs: {load_before:.1f} at the start, "
            f"{os.getloadavg()[0]:.1f} at the end (other checkouts' tests and benchmarks ran meanwhile)."
        ]
    )
    print(body)
    write_section("semantic", "Semantic layer: encoders, stories, cost", body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
