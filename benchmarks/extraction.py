"""Extraction quality on the ScrapingHub article-extraction benchmark, ours against plain trafilatura.

Scored exactly as that benchmark's evaluate.py does: per page, true/false positives and false negatives
of 4-gram shingles of `\\w+` tokens, normalised by the page's total; precision and recall averaged over
pages; F1 of the two means; accuracy = share of pages whose token sequence is exactly the truth;
± = standard deviation over 1000 bootstrap resamples of pages.

Also: the held-out figure of 2-fold cross-validation by page (the `Tuning` of `combine` chosen on one
half, scored on the other, repeated over seeded splits), time per page against plain trafilatura
(ratio, both timed in the same loop), and trafilatura's own evaluation set (`trafilatura_eval`, whose
"with"/"without" segments are matched as whitespace-normalised substrings, counts summed over pages).

Run: `python -m benchmarks extraction [--quick] [--repeats N]`.
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import os
import random
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import trafilatura
from trafilatura.utils import decode_file, load_html

from benchmarks._results import write_section
from crawler.config import PROJECT_ROOT
from crawler.extract import (
    MAX_AGREEMENT_CHARS,
    MIN_BODY_WORDS,
    body_words,
    extract_article,
    page_metadata,
)
from crawler.extract_combine import (
    DEFAULT_TUNING,
    EXCESS_TEXT,
    LINK_LINES,
    MISSING_TEXT,
    Candidates,
    DoubtMeasures,
    PageShape,
    Tuning,
    combine,
    drop_discarded_elements,
    drop_furniture,
    first_pass,
    gather_candidates,
    narrowed,
    out_of_layout_tables,
    strip_link_rows,
)
from crawler.extract_comments import drop_comment_sections

Score = tuple[float, float, float]  # normalised tp, fp, fn of one page
_TOKEN = re.compile(r"\w+", re.UNICODE | re.MULTILINE | re.IGNORECASE | re.DOTALL)


def corpus_dir() -> Path | None:
    """`../shared/corpus/extraction_benchmarks`, when it is there."""
    for base in (
        os.environ.get("SEEDWATCH_SHARED_DIR"),
        PROJECT_ROOT.parent / "shared",
    ):
        if base and (Path(base) / "corpus" / "extraction_benchmarks").is_dir():
            return Path(base) / "corpus" / "extraction_benchmarks"
    return None


# --- the ScrapingHub measure -------------------------------------------------------------------------


def shingle_score(true: str, pred: str, n: int = 4) -> Score:
    """Normalised (tp, fp, fn) of the `n`-gram token shingles of a prediction against the truth."""
    truth, guess = _shingles(true, n), _shingles(pred, n)
    tp = fp = fn = 0.0
    for key in truth.keys() | guess.keys():
        t, p = truth.get(key, 0), guess.get(key, 0)
        tp += min(t, p)
        fp += max(0, p - t)
        fn += max(0, t - p)
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def _shingles(text: str, n: int) -> Counter[tuple[str, ...]]:
    toks = _TOKEN.findall(text or "")
    return Counter(tuple(toks[i : i + n]) for i in range(max(1, len(toks) - n + 1)) if toks[i : i + n])


def _precision(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    return 0.0 if tp == fp == 0 else tp / (tp + fp)


def _recall(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    return 0.0 if tp == fn == 0 else tp / (tp + fn)


def summarise(scores: Sequence[Score]) -> dict[str, float]:
    """F1, precision and recall as evaluate.py computes them from per-page scores."""
    precision = statistics.mean(_precision(*s) for s in scores if s[0] + s[1] > 0)
    recall = statistics.mean(_recall(*s) for s in scores if s[0] + s[2] > 0)
    return {"f1": 2 * precision * recall / (precision + recall), "precision": precision, "recall": recall}


def evaluate(truths: Sequence[str], preds: Sequence[str], n_bootstrap: int = 1000) -> dict[str, float]:
    """The benchmark's metrics plus their bootstrap standard deviations (`*_std`)."""
    scores = [shingle_score(t, p) for t, p in zip(truths, preds, strict=True)]
    exact = [float(_TOKEN.findall(t) == _TOKEN.findall(p)) for t, p in zip(truths, preds, strict=True)]
    metrics = summarise(scores) | {"accuracy": statistics.mean(exact)}
    rng = random.Random(0)
    samples: dict[str, list[float]] = {}
    for _ in range(n_bootstrap):
        idx = [rng.randrange(len(scores)) for _ in scores]
        for key, value in (
            summarise([scores[i] for i in idx]) | {"accuracy": statistics.mean(exact[i] for i in idx)}
        ).items():
            samples.setdefault(key, []).append(value)
    return metrics | {f"{key}_std": statistics.stdev(values) for key, values in samples.items()}


# --- running the extractors --------------------------------------------------------------------------


def load_scrapinghub(root: Path, limit: int | None = None) -> list[tuple[str, str, str, str]]:
    """(id, url, html, true body) of each benchmark page, sorted by id."""
    truth = json.loads((root / "ground-truth.json").read_text(encoding="utf-8"))
    pages = []
    for key in sorted(truth)[:limit]:
        with gzip.open(root / "html" / f"{key}.html.gz", "rt", encoding="utf-8") as handle:
            pages.append((key, truth[key].get("url", ""), handle.read(), truth[key].get("articleBody", "")))
    return pages


def run_timed(
    pages: Sequence[tuple[str, str]], systems: dict[str, Callable[[str, str], str]]
) -> tuple[dict[str, list[str]], dict[str, float]]:
    """Each system's output per page and its total seconds; systems alternate page by page (fair timing)."""
    outputs, per_page = run_timed_pages(pages, systems)
    return outputs, {name: sum(times) for name, times in per_page.items()}


def run_timed_pages(
    pages: Sequence[tuple[str, str]], systems: dict[str, Callable[[str, str], str]]
) -> tuple[dict[str, list[str]], dict[str, list[float]]]:
    """Each system's output and seconds per page; systems alternate page by page (fair timing)."""
    outputs: dict[str, list[str]] = {name: [] for name in systems}
    seconds: dict[str, list[float]] = {name: [] for name in systems}
    for html, url in pages[:WARM_UP_PAGES]:  # stop lists and caches load once per process, untimed
        for system in systems.values():
            system(html, url)
    for html, url in pages:
        for name, system in systems.items():
            start = time.perf_counter()
            outputs[name].append(system(html, url) or "")
            seconds[name].append(time.perf_counter() - start)
    return outputs, seconds


WARM_UP_PAGES = 10
PLAIN = "trafilatura (no comments)"
# What the doubt rule may spend on the body, in trafilatura's time: 1.5× is the aim for all of
# `extract_article`, whose declared dates, canonical link, language and verdict take about 0.1× more.
BODY_TIME_BUDGET = 1.4


def systems() -> dict[str, Callable[[str, str], str]]:
    """Plain trafilatura (default options), trafilatura as the benchmark runs it, ours, and ours before."""
    return {
        "trafilatura (default)": lambda html, _url: trafilatura.extract(html) or "",
        PLAIN: lambda html, _url: trafilatura.extract(html, include_comments=False) or "",
        "seedwatch": lambda html, url: extract_article(html, url).text,
        "agreement path on every page (body only)": agreement_everywhere,
    }


def agreement_everywhere(html: str, url: str) -> str:
    """The costly path on every page, as the extractor before the doubt rule ran it (body only)."""
    tree = load_html(html)
    if tree is None:
        return ""
    title = page_metadata(tree).title or ""
    drop_comment_sections(tree)
    return combine(gather_candidates(tree, url), title)


@dataclass
class PagePaths:
    """One page read every way `crawler.extract.body_text` may read it, each way with its seconds."""

    title: str
    first_raw: str  # trafilatura's body as it came
    first: str  # with furniture lines dropped: the body of a trusted page
    shape: PageShape
    candidates: Candidates  # every extractor, jusText included (for the tuning's cross-validation)
    narrowed: str  # precision mode alone: the body of a page with too much text
    voted: str  # the agreement path without jusText: the body of a page with link lines
    completed: str  # the agreement path with jusText: the body of a page that may miss text
    first_seconds: float  # parse, metadata, comments, first pass, page shape: what every page costs
    narrow_seconds: float
    vote_seconds: float
    complete_seconds: float
    plain_seconds: float  # trafilatura.extract(html, include_comments=False), timed in the same loop

    def body(self, verdict: str | None) -> tuple[str, float]:
        """What `body_text` returns for this doubt verdict, and what it costs on top of the first pass."""
        if verdict is None or len(self.first_raw) > MAX_AGREEMENT_CHARS:
            return self.first, 0.0
        if verdict in EXCESS_TEXT:
            return self.narrowed, self.narrow_seconds
        agreed, seconds = (
            (self.completed, self.complete_seconds)
            if verdict in MISSING_TEXT
            else (self.voted, self.vote_seconds)
        )
        if body_words(agreed) < min(MIN_BODY_WORDS, body_words(self.first)):
            return self.first, seconds
        return agreed, seconds


def read_both_ways(pages: Sequence[tuple[str, str]]) -> list[PagePaths]:
    """Each page through the cheap path and each costly one, timed separately."""
    read = []
    for html, url in pages:
        start = time.perf_counter()
        trafilatura.extract(html, include_comments=False)
        plain = time.perf_counter() - start
        start = time.perf_counter()
        tree = load_html(html)
        if tree is None:
            empty = PageShape(0, frozenset())
            read.append(PagePaths("", "", "", empty, Candidates(), "", "", "", 0.0, 0.0, 0.0, 0.0, plain))
            continue
        title = page_metadata(tree).title or ""
        drop_comment_sections(tree)
        shape = PageShape.of(tree)
        drop_discarded_elements(tree)
        tree, first_raw = out_of_layout_tables(tree, url, first_pass(tree, url))
        first = strip_link_rows(drop_furniture(first_raw, title), shape)
        first_seconds = time.perf_counter() - start
        start = time.perf_counter()
        narrow = narrowed(tree, url, first_raw, title)
        narrow_seconds = time.perf_counter() - start
        start = time.perf_counter()
        voted = strip_link_rows(
            combine(gather_candidates(tree, url, balanced=first_raw, completion=False), title), shape
        )
        vote_seconds = time.perf_counter() - start
        start = time.perf_counter()
        found = gather_candidates(tree, url, balanced=first_raw)
        completed = strip_link_rows(combine(found, title), shape)
        complete_seconds = time.perf_counter() - start
        read.append(
            PagePaths(
                title, first_raw, first, shape, found, narrow, voted, completed,
                first_seconds, narrow_seconds, vote_seconds, complete_seconds, plain,
            )
        )  # fmt: skip
    return read


# --- cross-validation of the tuning ------------------------------------------------------------------


def tuning_grid() -> list[Tuning]:
    """The small grid that cross-validation chooses from (each axis can also switch a step off)."""
    grid = itertools.product((0.1, 0.2, 0.35, 0.5), (0.2, 0.3, 0.6, 1e9), (0, 20, 40, 10**6), (True, False))
    return [
        replace(DEFAULT_TUNING, fallback_ratio=f, completion_ratio=c, vote_max_tokens=v, drop_boilerplate=b)
        for f, c, v, b in grid
    ]


@dataclass(frozen=True)
class CrossValidation:
    """Held-out F1 of each repeat, and how the grid fared."""

    held_out: list[float]
    grid_size: int
    best_full: Tuning
    best_full_f1: float
    default_picked: int  # how many of the 2 × repeats trainings picked DEFAULT_TUNING


def cross_validate(read: list[PagePaths], truths: list[str], repeats: int) -> CrossValidation:
    """2-fold CV by page of `combine`'s thresholds (agreement path on every page), seeded shuffles."""
    grid = tuning_grid()
    table = [
        [
            shingle_score(t, combine(page.candidates, page.title, tuning))
            for page, t in zip(read, truths, strict=True)
        ]
        for tuning in grid
    ]
    held_out: list[float] = []
    picked: Counter[Tuning] = Counter()
    for seed in range(repeats):
        order = list(range(len(truths)))
        random.Random(seed).shuffle(order)
        halves = (order[: len(order) // 2], order[len(order) // 2 :])
        predicted: list[Score] = []
        for train, test in (halves, halves[::-1]):
            best = max(range(len(grid)), key=lambda g: summarise([table[g][i] for i in train])["f1"])
            picked[grid[best]] += 1
            predicted.extend(table[best][i] for i in test)
        held_out.append(summarise(predicted)["f1"])
    full = max(range(len(grid)), key=lambda g: summarise(table[g])["f1"])
    return CrossValidation(
        held_out, len(grid), grid[full], summarise(table[full])["f1"], picked[DEFAULT_TUNING]
    )


# --- the doubt rule: when the costly path runs ------------------------------------------------------


def doubt_grid() -> list[Tuning]:
    """Thresholds of `doubt` that its cross-validation chooses from (inf switches a test off)."""
    inf = float("inf")
    grid = itertools.product(
        (0, 50, 100), (0.0, 0.4, 0.5, 0.6, 0.7), (1.2, 1.3, 1.5, 2.0, inf), (0.02, 0.05, 0.1, inf)
    )
    return [
        replace(
            DEFAULT_TUNING,
            doubt_min_tokens=m,
            doubt_low_coverage=lo,
            doubt_high_coverage=hi,
            doubt_link_share=li,
        )
        for m, lo, hi, li in grid
    ]


@dataclass(frozen=True)
class DoubtCV:
    """Held-out results of choosing the doubt rule on one half of the pages."""

    held_out_f1: list[float]
    held_out_time: list[float]  # body seconds / trafilatura seconds, on the held-out half
    held_out_doubtful: list[float]
    picked_default: int
    first_only_f1: float
    agreement_only_f1: float
    default_f1: float
    default_time: float
    default_doubtful: float
    reasons: Counter[str]


def doubt_cross_validation(read: list[PagePaths], truths: list[str], repeats: int, budget: float) -> DoubtCV:
    """Choose the doubt thresholds on one half (best F1 whose time stays within `budget`), score the other."""
    measures = [DoubtMeasures.of(page.first, page.shape) for page in read]
    paths = (None, *sorted(EXCESS_TEXT), *sorted(MISSING_TEXT), LINK_LINES)
    scored = [
        {path: (shingle_score(t, page.body(path)[0]), page.body(path)[1]) for path in paths}
        for page, t in zip(read, truths, strict=True)
    ]
    grid = doubt_grid()
    verdicts = [[m.verdict(tuning) for m in measures] for tuning in grid]

    def result(g: int, pages: Sequence[int]) -> tuple[float, float, float]:
        chosen = [scored[i][verdicts[g][i] if verdicts[g][i] in paths else paths[-1]] for i in pages]
        spent = sum(read[i].first_seconds + extra for i, (_s, extra) in zip(pages, chosen, strict=True))
        share = sum(verdicts[g][i] is not None for i in pages) / len(pages)
        plain = sum(read[i].plain_seconds for i in pages)
        return summarise([score for score, _x in chosen])["f1"], spent / plain, share

    first = [page[None][0] for page in scored]
    agreed = [shingle_score(t, page.completed) for page, t in zip(read, truths, strict=True)]

    f1s, times, shares, picked = [], [], [], 0
    everything = range(len(read))
    for seed in range(repeats):
        order = list(everything)
        random.Random(seed).shuffle(order)
        halves = (order[: len(order) // 2], order[len(order) // 2 :])
        for train, test in (halves, halves[::-1]):
            affordable = [g for g in range(len(grid)) if result(g, train)[1] <= budget]
            if not affordable:  # nothing within budget: the cheapest rule
                affordable = [min(range(len(grid)), key=lambda g: result(g, train)[1])]
            best = max(affordable, key=lambda g: result(g, train)[0])
            picked += grid[best] == DEFAULT_TUNING
            f1, spent, share = result(best, test)
            f1s.append(f1)
            times.append(spent)
            shares.append(share)
    default = grid.index(DEFAULT_TUNING) if DEFAULT_TUNING in grid else None
    d_f1, d_time, d_share = result(default, everything) if default is not None else (0.0, 0.0, 0.0)
    return DoubtCV(
        f1s,
        times,
        shares,
        picked,
        summarise(first)["f1"],
        summarise(agreed)["f1"],
        d_f1,
        d_time,
        d_share,
        Counter(m.verdict() or "trusted" for m in measures),
    )


def _doubt_notes(cv: DoubtCV, budget: float) -> str:
    mean = statistics.mean
    reasons = ", ".join(f"{reason} {n}" for reason, n in cv.reasons.most_common())
    return (
        "- Which pages take the costly path: 2-fold cross-validation by page "
        f"({len(cv.held_out_f1) // 2} seeded splits): on one half, the doubt thresholds with the best F1 "
        "whose body time (parse, metadata, first pass, and the agreement path on doubtful pages) stays "
        f"within {budget}× trafilatura's (no comments); scored on the other half: "
        f"**F1 {mean(cv.held_out_f1):.3f}** (min {min(cv.held_out_f1):.3f}), body time "
        f"{mean(cv.held_out_time):.2f}× (max {max(cv.held_out_time):.2f}×), "
        f"{mean(cv.held_out_doubtful):.0%} of pages doubtful; the shipped thresholds were picked in "
        f"{cv.picked_default} of {len(cv.held_out_f1)} trainings.\n"
        f"- Shipped thresholds on all pages (in-sample): F1 {cv.default_f1:.3f}, body time "
        f"{cv.default_time:.2f}×, {cv.default_doubtful:.0%} doubtful ({reasons}). "
        f"First pass on every page: F1 {cv.first_only_f1:.3f}; agreement path on every page "
        f"(today's passes): F1 {cv.agreement_only_f1:.3f}."
    )


# --- trafilatura's own evaluation set ----------------------------------------------------------------


def trafilatura_eval(
    root: Path, limit: int | None = None
) -> dict[str, tuple[float, float, float, float, float]]:
    """(precision, recall, accuracy, F1, seconds) per system on the annotated pages that are present."""
    data = json.loads((root / "evaldata_subset.json").read_text(encoding="utf-8"))
    items = [(url, item) for url, item in sorted(data.items()) if (root / "html" / item["file"]).is_file()][
        :limit
    ]
    pages = [(decode_file((root / "html" / item["file"]).read_bytes()), url) for url, item in items]
    outputs, seconds = run_timed(pages, systems())
    results = {}
    for name, texts in outputs.items():
        tp = fp = fn = tn = 0
        for (_url, item), text in zip(items, texts, strict=True):
            flat = _norm(text)
            hits = sum(1 for w in item["with"] if _norm(w) in flat)
            false = sum(1 for w in item["without"] if _norm(w) in flat)
            tp, fp, fn, tn = (
                tp + hits,
                fp + false,
                fn + len(item["with"]) - hits,
                tn + len(item["without"]) - false,
            )
        precision, recall = tp / (tp + fp), tp / (tp + fn)
        results[name] = (
            precision,
            recall,
            (tp + tn) / (tp + fp + fn + tn),
            2 * precision * recall / (precision + recall),
            seconds[name],
        )
    return results


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


# --- report ------------------------------------------------------------------------------------------


def _metrics_table(results: dict[str, dict[str, float]], seconds: dict[str, float], pages: int) -> str:
    base, plain = seconds["trafilatura (default)"], seconds[PLAIN]
    rows = [
        "| system | F1 | precision | recall | accuracy | ms/page | time vs trafilatura | vs no comments |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, m in results.items():
        rows.append(
            f"| {name} | {m['f1']:.3f} ± {m['f1_std']:.3f} | {m['precision']:.3f} ± {m['precision_std']:.3f} "
            f"| {m['recall']:.3f} ± {m['recall_std']:.3f} | {m['accuracy']:.3f} ± {m['accuracy_std']:.3f} "
            f"| {1000 * seconds[name] / pages:.0f} | {seconds[name] / base:.2f}× "
            f"| {seconds[name] / plain:.2f}× |"
        )
    return "\n".join(rows)


def _cv_notes(cv: CrossValidation) -> str:
    held = cv.held_out
    spread = f" ± {statistics.stdev(held):.3f}" if len(held) > 1 else ""
    return (
        f"- Held-out (2-fold cross-validation by page, {len(held)} seeded splits, tuning chosen on one half "
        f"from a grid of {cv.grid_size}, scored on the other): **F1 {statistics.mean(held):.3f}{spread}** "
        f"(min {min(held):.3f}); the shipped default tuning was picked in {cv.default_picked} of "
        f"{2 * len(held)} trainings.\n"
        f"- Best tuning of the grid on the full set (in-sample, optimistic): F1 {cv.best_full_f1:.3f} with "
        f"{cv.best_full}."
    )


def _second_table(results: dict[str, tuple[float, float, float, float, float]]) -> str:
    base, plain = results["trafilatura (default)"][4], results[PLAIN][4]
    rows = [
        "| system | precision | recall | accuracy | F1 | time vs trafilatura | vs no comments |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, (p, r, a, f, s) in results.items():
        rows.append(
            f"| {name} | {p:.3f} | {r:.3f} | {a:.3f} | {f:.3f} | {s / base:.2f}× | {s / plain:.2f}× |"
        )
    return "\n".join(rows)


def main(argv: Sequence[str] | None = None) -> int:
    """Score ours and plain trafilatura, cross-validate the tuning, write results.md's section."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks extraction", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--quick", action="store_true", help="30 pages, 2 CV repeats; results.md untouched")
    parser.add_argument("--repeats", type=int, default=5, help="seeded 2-fold CV splits (default 5)")
    args = parser.parse_args(list(argv or []))
    root = corpus_dir()
    if (
        root is None
        or not (root / "scrapinghub_article_extraction_benchmark" / "ground-truth.json").is_file()
    ):
        print("extraction: skipped, ../shared/corpus/extraction_benchmarks is not present", file=sys.stderr)
        return 0
    load_before = os.getloadavg()
    limit = 30 if args.quick else None
    pages = load_scrapinghub(root / "scrapinghub_article_extraction_benchmark", limit)
    truths = [truth for *_rest, truth in pages]
    print(f"extraction: {len(pages)} ScrapingHub pages", flush=True)
    pairs = [(html, url) for _k, url, html, _t in pages]
    outputs, per_page = run_timed_pages(pairs, systems())
    seconds = {name: sum(times) for name, times in per_page.items()}
    results = {name: evaluate(truths, texts) for name, texts in outputs.items()}
    table = _metrics_table(results, seconds, len(pages))
    print(table, flush=True)
    print("extraction: reading every page both ways, cross-validating the doubt rule", flush=True)
    read = read_both_ways(pairs)
    repeats = 2 if args.quick else args.repeats
    doubt_cv = doubt_cross_validation(read, truths, repeats, BODY_TIME_BUDGET)
    notes = _doubt_notes(doubt_cv, BODY_TIME_BUDGET)
    print(notes, flush=True)
    print("extraction: cross-validating the agreement path's tuning", flush=True)
    notes += "\n" + _cv_notes(cross_validate(read, truths, repeats))
    print(notes, flush=True)
    second = ""
    if (root / "trafilatura_eval" / "evaldata_subset.json").is_file():
        print("extraction: trafilatura_eval", flush=True)
        second = _second_table(trafilatura_eval(root / "trafilatura_eval", limit))
        print(second, flush=True)
    load = f"load average {load_before[0]:.1f} at the start, {os.getloadavg()[0]:.1f} at the end"
    body = _report(len(pages), table, notes, second, load)
    if args.quick:
        print("extraction: --quick, results.md left alone")
    else:
        write_section("extraction", "Extraction quality (ScrapingHub benchmark)", body)
    return 0


def _report(pages: int, table: str, notes: str, second: str, load: str) -> str:
    text = (
        "**Read this first: these pages are not independent of the extractor.** The steps of "
        "`crawler.extract_combine` and its boilerplate patterns were designed while reading extraction "
        "errors on the ScrapingHub pages, and the doubt rule's measures were chosen looking at them too; "
        "cross-validation below covers the thresholds and on/off switches only, not those design choices. "
        "trafilatura's evaluation pages (second table) played no part in the design of the extractor, but "
        "the cost rules of issue 11 (which doubts run which passes, the 50,000-character bound, keeping "
        "`<nav>` and `<aside>` in the page) were measured on both sets, so neither is independent of "
        "them. Pages outside the shared corpus (an independent measurement, issue 11) are the real test.\n\n"
        f"Timed on a machine shared with other engineers ({load}); every system runs in the same loop, "
        f"page by page, after an untimed warm-up on the first {WARM_UP_PAGES} pages (stop lists and "
        "caches load once per process), so the ratios are comparable even though the milliseconds "
        "are not.\n\n"
        f"{pages} pages of `scrapinghub_article_extraction_benchmark`, scored as its evaluate.py does "
        "(4-gram shingle precision and recall per page, averaged; F1 of the two means; accuracy = exact "
        "token match; ± = bootstrap standard deviation, 1000 resamples). `trafilatura (default)` is "
        f"`trafilatura.extract(html)` with trafilatura {trafilatura.__version__}; `(no comments)` is how the "
        "benchmark's own runner calls it (its README: 0.958 for trafilatura 2.0.0); `seedwatch` is "
        "`crawler.extract.extract_article(html, url).text`, metadata, dates and verdict included in its "
        "time: readers' comment sections removed from the page, trafilatura (balanced, comments off) "
        "first, and only where that output looks doubtful a costlier path chosen by the doubt: too much "
        "text (much text outside the page's paragraphs, paragraphs not split) runs trafilatura's "
        "precision mode alone; lines that are link text or mostly table rows run the agreement of "
        "precision mode, readability and trafilatura's baseline; text perhaps missing (short, covers "
        "little of the page's paragraphs) adds jusText and its completion. `agreement path on every "
        "page` is the costly path with jusText run on every page (body only), with today's passes: it "
        "is not the earlier extractor whose F1 was .977 (its precision pass read the whole page).\n\n"
        f"{table}\n\n{notes}\n"
    )
    if second:
        text += (
            "\nSecond check: trafilatura's evaluation pages that are present in `trafilatura_eval` "
            "(`evaldata_subset.json`; 'with'/'without' segments matched as whitespace-normalised substrings, "
            "counts summed over pages; pages decoded by `trafilatura.utils.decode_file` and given as text "
            "to every system). The doubt rule's thresholds are the shipped ones, not refitted here.\n\n"
            f"{second}\n"
        )
    return text


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
