"""Relevance and claim matching on the shared real-article corpus, scored against its labels (no crawl).

    python -m benchmarks judging_offline                      # score and write benchmarks/results.md
    python -m benchmarks.judging_offline --errors             # also list the development half's misses
    python -m benchmarks.judging_offline --baseline-claims OLD.yaml   # score another claims file alongside
    python -m benchmarks.judging_offline --development-only --errors  # while developing: no held-out figure

The articles are split by a hash of their duplicate group (`benchmarks.labelled_corpus`): the method is
developed on the development half only; the held-out half's figures are printed but its errors are listed
only with `--show-heldout-errors`, and results.md then says so. Markdown is reduced to the plain text an
extractor gives (link targets and emphasis marks dropped); picker pages keep their site chrome, as a
fetched page would before extraction.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks._results import write_section
from benchmarks.labelled_corpus import (
    LabelledArticle,
    corpus_dir,
    duplicate_groups,
    halves,
    load_corpus,
    markdown_to_text,
)
from crawler.config import load_settings
from crawler.judge.claim_finder import CALIBRATED, FINDER_ON, SemanticClaimFinder, SentenceVectors
from crawler.judge.claims import ClaimSet, load_claim_set
from crawler.judge.embedding import load_encoder
from crawler.judge.relevance import score_relevance
from crawler.judge.types import TopicTerms

__all__ = [
    "LabelledArticle",
    "Prediction",
    "corpus_dir",
    "halves",
    "load_corpus",
    "markdown_to_text",
    "score",
]

STANCES = ("supports", "disputes", "mentions")
FIGURES = ("relevance_precision", "relevance_recall", "claim_precision", "claim_recall", "stance_accuracy")
TABLE_HEAD = [
    "| claims file | half | articles | relevance P | relevance R | claims P | claims R | stance acc. |",
    "|---|---|---|---|---|---|---|---|",
]
HELD_OUT_NOTE = (
    "**This run listed the held-out half's errors (`--show-heldout-errors`)**: whoever read them has seen "
    "held-out articles, and later held-out figures of their changes are not blind."
)


@dataclass
class Prediction:
    """What the judge said about one article."""

    relevant: bool
    claims: dict[str, str]
    evidence: dict[str, str] = field(default_factory=dict)
    reason: str | None = None


def predict(articles: Iterable[LabelledArticle], topics: Sequence[TopicTerms], threshold: float,
            claim_set: ClaimSet) -> dict[str, Prediction]:  # fmt: skip
    """Relevance for every article, and claims for those judged relevant (as the pipeline does)."""
    predictions = {}
    for article in articles:
        relevance = score_relevance(article.title, article.text, topics, threshold)
        claims: dict[str, str] = {}
        evidence: dict[str, str] = {}
        if relevance.relevant:
            for match in claim_set.match(article.title, article.text, article.lang):
                claims[match.claim_id] = match.stance
                evidence[match.claim_id] = match.evidence
        predictions[article.id] = Prediction(relevance.relevant, claims, evidence, relevance.reason)
    return predictions


def _ratio(numerator: int, denominator: int) -> float:
    return numerator / denominator if denominator else float("nan")


def score(articles: Sequence[LabelledArticle], predictions: dict[str, Prediction]) -> dict[str, Any]:
    """Relevance precision/recall, claim-pair precision/recall, stance accuracy, per claim and confusion."""
    rel: Counter[tuple[bool, bool]] = Counter()
    pairs: Counter[str] = Counter()
    per_claim: dict[str, Counter[str]] = {}
    confusion: Counter[tuple[str, str]] = Counter()
    for article in articles:
        predicted = predictions[article.id]
        rel[(article.relevant, predicted.relevant)] += 1
        for claim_id in set(article.claims) | set(predicted.claims):
            gold, said = article.claims.get(claim_id), predicted.claims.get(claim_id)
            counts = per_claim.setdefault(claim_id, Counter())
            confusion[(gold or "none", said or "none")] += 1
            counts[f"{gold or 'none'}->{said or 'none'}"] += 1
            if gold and said:
                pairs["tp"] += 1
                counts["tp"] += 1
                pairs["stance_ok"] += gold == said
                counts["stance_ok"] += gold == said
            elif said:
                pairs["fp"] += 1
                counts["fp"] += 1
            else:
                pairs["fn"] += 1
                counts["fn"] += 1
    return {
        "articles": len(articles),
        "relevance_precision": _ratio(rel[(True, True)], rel[(True, True)] + rel[(False, True)]),
        "relevance_recall": _ratio(rel[(True, True)], rel[(True, True)] + rel[(True, False)]),
        "claim_precision": _ratio(pairs["tp"], pairs["tp"] + pairs["fp"]),
        "claim_recall": _ratio(pairs["tp"], pairs["tp"] + pairs["fn"]),
        "stance_accuracy": _ratio(pairs["stance_ok"], pairs["tp"]),
        "pairs": dict(pairs),
        "per_claim": {k: dict(v) for k, v in sorted(per_claim.items())},
        "confusion": {f"{g}->{s}": n for (g, s), n in sorted(confusion.items())},
    }


def score_halves(
    articles: Sequence[LabelledArticle], groups: dict[str, str], predictions: dict[str, Prediction]
) -> dict[str, dict[str, Any]]:
    """The figures of the development half, the held-out half and all articles."""
    development, held_out = halves(articles, groups)
    return {
        "development": score(development, predictions),
        "held-out": score(held_out, predictions),
        "all": score(articles, predictions),
    }


def figures_rows(label: str, results: dict[str, dict[str, Any]]) -> list[str]:
    """One table row per half."""
    return [
        f"| {label} | {half} | {figures['articles']} | "
        + " | ".join(f"{figures[k]:.3f}" for k in FIGURES)
        + " |"
        for half, figures in results.items()
    ]


def confusion_table(results: dict[str, Any]) -> list[str]:
    """Per claim: gold stance x predicted stance counts (`none` = not labelled / not found)."""
    columns = [*STANCES, "none"]
    lines = [
        "| claim | "
        + " | ".join(f"gold {g}: {' / '.join(s[0] for s in columns)}" for g in columns[:3])
        + " | not labelled, said: s / d / m |",
        "|---|---|---|---|---|",
    ]
    for claim_id, counts in results["per_claim"].items():
        cells = [" / ".join(str(counts.get(f"{gold}->{said}", 0)) for said in columns) for gold in STANCES]
        cells.append(" / ".join(str(counts.get(f"none->{said}", 0)) for said in STANCES))
        lines.append(f"| {claim_id} | " + " | ".join(cells) + " |")
    return lines


def report(rows: list[str], cleaned: dict[str, dict[str, Any]], seconds: float, claim_set: ClaimSet,
           notes: list[str]) -> str:  # fmt: skip
    """The Markdown section for results.md."""
    lines = [
        f"Seed `{claim_set.seed}` ({len(claim_set)} claims) on the shared corpus "
        "(`../shared/corpus/news/deepseek_stargate`, labels.jsonl + labels-negatives.jsonl), judged from the "
        "Markdown files directly (no crawl; see `judging_real` for the end-to-end figures). "
        "Halves: a hash of each article's duplicate group (`benchmarks/labelled_corpus.py`), so copies "
        "fall in one half; only the development half's errors are listed while developing.",
        *notes,
        "",
        *TABLE_HEAD,
        *rows,
        "",
        "Targets (issue 10), held-out half, cleaned file: relevance P and R ≥ 0.98; claims P ≥ 0.90, "
        "R ≥ 0.88; stance ≥ 0.85.",
        "",
        "Per-claim stance confusion of the cleaned file (all articles). Each cell: how many pairs with that "
        "gold stance were said to support / dispute / mention, or not found.",
        "",
        *confusion_table(cleaned["all"]),
        "",
        f"Judging {cleaned['all']['articles']} articles took {seconds:.2f} s.",
    ]
    return "\n".join(lines)


def print_errors(articles: Sequence[LabelledArticle], predictions: dict[str, Prediction]) -> None:
    """Every relevance and claim error, with the evidence the judge used."""
    for article in articles:
        predicted = predictions[article.id]
        if article.relevant != predicted.relevant:
            print(
                f"{article.id} RELEVANCE gold={article.relevant} said={predicted.relevant} {predicted.reason}"
            )
        for claim_id in sorted(set(article.claims) | set(predicted.claims)):
            gold, said = article.claims.get(claim_id), predicted.claims.get(claim_id)
            if gold != said:
                evidence = predicted.evidence.get(claim_id, "")[:160].replace("\n", " ")
                print(f"{article.id} {claim_id}: gold={gold} said={said} | {evidence}")


def with_encoder(claim_set: ClaimSet, backend: str, **thresholds: float) -> ClaimSet:
    """The claim set with the backend's semantic candidate finder (unchanged for ``none``)."""
    encoder = load_encoder(backend)
    if encoder is None:
        return claim_set
    cache = _CACHES.setdefault(backend, SentenceVectors(encoder, keep=1 << 20))
    finder = SemanticClaimFinder(encoder, claim_set.claims, cache=cache, **thresholds)  # type: ignore[arg-type]
    return claim_set.with_finders([finder])


_CACHES: dict[str, SentenceVectors] = {}


def finder_rows(articles: Sequence[LabelledArticle], groups: dict[str, str], topics: Sequence[TopicTerms],
                threshold: float, rules: ClaimSet, backend: str, notes: list[str]) -> list[str]:  # fmt: skip
    """The figures with the backend's semantic claim finder added to the rules (a note says its cost)."""
    started = time.perf_counter()
    found = predict(articles, topics, threshold, with_encoder(rules, backend))
    seconds = time.perf_counter() - started
    notes.append(
        f"With the `{backend}` claim finder (`crawler/judge/claim_finder.py`, thresholds near / same "
        f"{CALIBRATED.get(backend)} chosen on the development half with `--sweep`; off by default), "
        f"judging took {seconds:.2f} s, encoder loading and encoding included."
    )
    return figures_rows(
        f"`seeds/deepseek-stargate` + {backend} claim finder", score_halves(articles, groups, found)
    )


def sweep(articles: Sequence[LabelledArticle], groups: dict[str, str], topics: Sequence[TopicTerms],
          threshold: float, rules: ClaimSet, backend: str) -> int:  # fmt: skip
    """The development half's claim figures over a grid of the finder's two thresholds."""
    development, _ = halves(articles, groups)
    plain = score(development, predict(development, topics, threshold, rules))
    print(f"rules only: P {plain['claim_precision']:.3f} R {plain['claim_recall']:.3f} "
          f"stance {plain['stance_accuracy']:.3f}")  # fmt: skip
    for near in (0.5, 0.55, 0.6, 0.65, 0.7):
        for same in (0.6, 0.65, 0.7, 0.75, 1.01):
            if same < near:
                continue
            claim_set = with_encoder(rules, backend, near=near, same=same)
            got = score(development, predict(development, topics, threshold, claim_set))
            print(f"near {near:.2f} same {same:.2f}: P {got['claim_precision']:.3f} "
                  f"R {got['claim_recall']:.3f} stance {got['stance_accuracy']:.3f}")  # fmt: skip
    return 0


def development_only(
    articles: Sequence[LabelledArticle],
    groups: dict[str, str],
    topics: Sequence[TopicTerms],
    threshold: float,
    rules: ClaimSet,
    errors: bool,
) -> int:
    """The development half's figures (and errors), without judging a held-out article."""
    development, _ = halves(articles, groups)
    predictions = predict(development, topics, threshold, rules)
    figures = score(development, predictions)
    if errors:
        print_errors(development, predictions)
    print("\n".join([*TABLE_HEAD, *figures_rows("development only", {"development": figures})]))
    print("\n".join(confusion_table(figures)))
    return 0


def _parser() -> argparse.ArgumentParser:
    """The command line of `main`."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.judging_offline", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--errors", action="store_true", help="list the development half's errors")
    parser.add_argument(
        "--show-heldout-errors",
        action="store_true",
        help="also list the held-out half's errors (results.md records that this was done)",
    )
    parser.add_argument("--claims", type=Path, help="claims file to score (default: the seed's)")
    parser.add_argument("--baseline-claims", type=Path, help="another claims file to score alongside")
    parser.add_argument("--backend", help="embedding backend (default: the configured one)")
    parser.add_argument(
        "--claim-finder",
        action="store_true",
        help="also score the backend's semantic claim finder (crawler/judge/claim_finder.py; off by default)",
    )
    parser.add_argument(
        "--sweep",
        action="store_true",
        help="print the development half's figures over a grid of the finder's thresholds, then stop",
    )
    parser.add_argument(
        "--development-only",
        action="store_true",
        help="judge and score the development half only (no held-out figure is computed); writes nothing",
    )
    parser.add_argument("--no-write", action="store_true", help="print only; leave results.md alone")
    parser.add_argument("--note", action="append", default=[], help="a sentence to add to the section")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Score relevance and claims on the shared corpus; write the section of results.md."""
    args = _parser().parse_args(argv if argv is not None else [])
    folder = corpus_dir()
    if folder is None:
        print("judging_offline: ../shared/corpus/news/deepseek_stargate is absent; nothing measured",
              file=sys.stderr)  # fmt: skip
        return 0
    settings = load_settings()
    topics = [TopicTerms(name, tuple(t.aliases), tuple(t.related)) for name, t in settings.topics.items()]
    claims_path = args.claims or settings.resolve(settings.seeds_dir) / "deepseek-stargate"
    rules = load_claim_set(claims_path, min_score=settings.judge.claim_min_score)
    backend = args.backend or settings.judge.embedding_backend
    articles = load_corpus(folder)
    groups = duplicate_groups(folder)
    if args.sweep:
        return sweep(articles, groups, topics, settings.relevance.threshold, rules, backend)
    if args.development_only:
        return development_only(articles, groups, topics, settings.relevance.threshold, rules, args.errors)
    claim_set = with_encoder(rules, backend) if backend in FINDER_ON else rules
    notes = list(args.note)
    started = time.perf_counter()
    predictions = predict(articles, topics, settings.relevance.threshold, claim_set)
    seconds = time.perf_counter() - started
    cleaned = score_halves(articles, groups, predictions)
    name = claims_path.name if args.claims else "seeds/deepseek-stargate"
    rows = figures_rows(f"`{name}`", cleaned)
    if args.claim_finder and backend != "none":
        rows += finder_rows(articles, groups, topics, settings.relevance.threshold, rules, backend, notes)
    if args.baseline_claims:
        baseline = load_claim_set(args.baseline_claims, min_score=settings.judge.claim_min_score)
        before = predict(articles, topics, settings.relevance.threshold, baseline)
        label = f"`{args.baseline_claims.name}` (before)"
        rows += figures_rows(label, score_halves(articles, groups, before))
    development, held_out = halves(articles, groups)
    if args.errors:
        print_errors(development, predictions)
    if args.show_heldout_errors:
        print("--- held-out half ---")
        print_errors(held_out, predictions)
        notes.append(HELD_OUT_NOTE)
    body = report(rows, cleaned, seconds, claim_set, notes)
    print(body)
    if not args.no_write:
        title = "Judging on real articles, offline (relevance, claims, stance)"
        write_section("judging_offline", title, body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
