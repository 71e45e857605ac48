"""Duplicates and stories on real articles, offline: recall per labelled pair kind, false joins, clustering.

Reads `../shared/corpus/news/deepseek_stargate/` (manifest, articles crudely stripped of front matter and
Markdown, `near_duplicate_pairs.json`) and runs every article through `Judge` in date order, as a crawl
would meet them. Figures:

- duplicate recall per pair kind (`content`, `cross_lingual_translation`; `same_url` pairs are a matter
  of canonical URLs and are left to the crawl);
- false joins: pairs we put in one duplicate group that the labels put in different groups (different
  `dup_group`, a negative article, or different `story_event`), listed;
- stories on the hand-labelled security events (`story_event`): B-cubed precision/recall/F1, same-event
  pairs joined, different-event pairs joined;
- stories on WikiRef220 (English news on 16 topics, no dates): B-cubed precision/recall/F1;
- a sweep of `story_threshold`, because clustering figures move with it.

Two regimes: *as stored* (the corpus texts, outlet line counts starting empty, as on a first crawl) and
*chrome removed* (lines that a first run counted on `boilerplate_min_pages` distinct pages of an outlet
taken out of the texts beforehand, as a store that has crawled those outlets for a while, or a better
extraction, would; the corpus keeps site chrome, "most read" lists and navigation).

Run: `python -m benchmarks dedup_real [--thresholds 0.1,0.2,0.35]`.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import re
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks._results import write_section
from crawler.config import PROJECT_ROOT, JudgeSettings
from crawler.judge.core import Judge
from crawler.judge.dedup import line_hash
from crawler.judge.text import detect_lang
from crawler.judge.types import StoredArticle

_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]*)\]\((?:[^()]|\([^)]*\))*\)")
_MARKS = re.compile(r"^\s*(?:#{1,6}\s*|>\s*|[-*+]\s+|\d+\.\s+|\|)|\*\*|__|`|\|\s*$")


@dataclass(frozen=True)
class Labelled:
    """One corpus article with its manifest record."""

    doc: StoredArticle
    record: dict[str, Any]


def strip_markdown(raw: str) -> str:
    """Front matter dropped; images, link targets, emphasis and list marks removed; one paragraph a line."""
    if raw.startswith("---"):
        end = raw.find("\n---", 3)
        if end != -1:
            raw = raw[end + 4 :]
    lines = []
    for raw_line in raw.splitlines():
        line = _MARKS.sub("", _LINK.sub(r"\1", _IMAGE.sub("", raw_line))).strip()
        if line and re.search(r"\w", line) and not re.fullmatch(r"[-=_*\s]+", line):
            lines.append(line)
    return "\n".join(lines)


def _when(value: str | None) -> datetime | None:
    if not value:
        return None
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d"):
        try:
            return datetime.strptime(value.strip()[:19], fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
    return None


def deepseek_corpus(root: Path) -> list[Labelled]:
    """The shared news corpus, ordered by date (then id) as a crawl would meet it, with labels."""
    folder = root / "news" / "deepseek_stargate"
    records = [
        json.loads(line) for line in (folder / "manifest.jsonl").read_text().splitlines() if line.strip()
    ]
    labels: dict[str, dict[str, Any]] = {}
    for name in ("labels.jsonl", "labels-negatives.jsonl"):
        path = folder / name
        if path.exists():
            for line in path.read_text().splitlines():
                if line.strip():
                    item = json.loads(line)
                    labels[item["id"]] = item
    out: list[Labelled] = []
    fallback = datetime(2025, 1, 1, tzinfo=UTC)
    for number, record in enumerate(records, start=1):
        text = strip_markdown((folder / record["file"]).read_text(encoding="utf-8", errors="replace"))
        when = _when(record.get("date"))
        relevant = bool(labels.get(record["id"], {}).get("relevant", False))
        doc = StoredArticle(
            key=number,
            url=record.get("url") or record["file"],
            outlet=record.get("outlet") or "",
            title=record.get("title") or "",
            text=text,
            lang=record.get("lang") or detect_lang(text),
            fetched=when or fallback,
            published=when,
            relevant=relevant,
        )
        out.append(Labelled(doc, record))
    out.sort(key=lambda item: (item.doc.when, item.record["id"]))
    return out


def near_duplicate_pairs(root: Path) -> list[dict[str, Any]]:
    """The labelled pairs of `near_duplicate_pairs.json`."""
    data: list[dict[str, Any]] = json.loads(
        (root / "news" / "deepseek_stargate" / "near_duplicate_pairs.json").read_text()
    )
    return data


def wikiref(root: Path) -> list[tuple[str, str, str]]:
    """WikiRef220 as (file name, topic, text); the topic is the file name without its number."""
    folder = root / "dedup" / "wikiref_news_clustering" / "WikiRef220"
    out = []
    for path in sorted(folder.glob("*.txt")):
        topic = re.sub(r"(?:\s*\(\d+\)|\.\d+)?\.txt$", "", path.name)
        text = path.read_bytes().decode("cp1252", errors="replace").replace("\r\n", "\n")
        out.append((path.name, topic, text))
    return out


def shared_dir() -> Path | None:
    """`../shared/corpus`, when it is there."""
    for base in (
        os.environ.get("SEEDWATCH_SHARED_DIR"),
        PROJECT_ROOT.parent / "shared",
    ):
        if base and (Path(base) / "corpus").is_dir():
            return Path(base) / "corpus"
    return None


# --- running the judge -------------------------------------------------------------------------------


@dataclass
class Run:
    """What the judge said about each article of a run, by key."""

    root: dict[int, int]
    kind: dict[int, str]
    reason: dict[int, str]
    story: dict[int, int]
    seconds: float


def judge_all(
    docs: Sequence[StoredArticle], settings: JudgeSettings, lines: Sequence[tuple[str, str, int]] = ()
) -> tuple[Run, list[tuple[str, str, int]]]:
    """Assess and index every article in order, numbering new stories as the storage would.

    Returns the run and the outlet line counts it left (what the lead's storage would hold afterwards).
    """
    judge = Judge(settings)
    judge.load_outlet_lines(lines)
    run = Run({}, {}, {}, {}, 0.0)
    counted: Counter[tuple[str, str]] = Counter()
    next_story = 1
    started = time.perf_counter()
    for doc in docs:
        judgement = judge.assess(doc)
        story = judgement.story
        if story is None and doc.relevant:
            story, next_story = next_story, next_story + 1
        judge.index(doc, judgement, story)
        counted.update((doc.outlet, line) for line in judgement.lines)
        if judgement.duplicate:
            run.root[doc.key] = judgement.duplicate.of
            run.kind[doc.key] = judgement.duplicate.kind
            run.reason[doc.key] = judgement.duplicate.reason
        if story is not None:
            run.story[doc.key] = story
    run.seconds = time.perf_counter() - started
    return run, [(outlet, line, pages) for (outlet, line), pages in counted.items()]


def without_chrome(
    docs: Sequence[StoredArticle], lines: Sequence[tuple[str, str, int]], min_pages: int
) -> list[StoredArticle]:
    """The articles without the lines `min_pages` distinct pages of their outlet carry (counted by a run)."""
    chrome = {(outlet, line) for outlet, line, pages in lines if pages >= min_pages}
    out = []
    for doc in docs:
        kept = [x for x in doc.text.splitlines() if (doc.outlet, line_hash(x)) not in chrome]
        out.append(replace(doc, text="\n".join(kept)))
    return out


def groups(run: Run, keys: Iterable[int]) -> dict[int, int]:
    """Each article's duplicate group (the key of its first-seen copy)."""
    return {key: run.root.get(key, key) for key in keys}


# --- scores ------------------------------------------------------------------------------------------


def bcubed(predicted: dict[Any, Any], gold: dict[Any, Any]) -> tuple[float, float, float]:
    """B-cubed precision, recall and F1 of a clustering over the items of `gold`."""
    by_pred: dict[Any, set[Any]] = defaultdict(set)
    by_gold: dict[Any, set[Any]] = defaultdict(set)
    for item in gold:
        by_pred[predicted[item]].add(item)
        by_gold[gold[item]].add(item)
    precision = recall = 0.0
    for item in gold:
        shared = len(by_pred[predicted[item]] & by_gold[gold[item]])
        precision += shared / len(by_pred[predicted[item]])
        recall += shared / len(by_gold[gold[item]])
    precision, recall = precision / len(gold), recall / len(gold)
    return precision, recall, (2 * precision * recall / (precision + recall) if precision + recall else 0.0)


def duplicate_scores(items: Sequence[Labelled], pairs: Sequence[dict[str, Any]], run: Run) -> dict[str, Any]:
    """Recall per labelled pair kind and the joins the labels contradict."""
    by_id = {item.record["id"]: item for item in items}
    group = groups(run, (item.doc.key for item in items))
    recall: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    labelled: set[frozenset[str]] = set()
    for pair in pairs:
        a, b = by_id.get(pair["a"]), by_id.get(pair["b"])
        if a is None or b is None:
            continue
        labelled.add(frozenset((pair["a"], pair["b"])))
        recall[pair["kind"]][1] += 1
        recall[pair["kind"]][0] += group[a.doc.key] == group[b.doc.key]
    members: dict[int, list[Labelled]] = defaultdict(list)
    for item in items:
        members[group[item.doc.key]].append(item)
    unlabelled, contradicted = [], []
    for found in members.values():
        for a, b in itertools.combinations(found, 2):
            if frozenset((a.record["id"], b.record["id"])) in labelled:
                continue
            unlabelled.append((a, b))
            if _different(a.record, b.record):
                contradicted.append((a, b))
    return {"recall": dict(recall), "unlabelled": unlabelled, "contradicted": contradicted}


def _different(a: dict[str, Any], b: dict[str, Any]) -> bool:
    if a.get("dup_group") is None or b.get("dup_group") is None or a["dup_group"] != b["dup_group"]:
        return True
    return bool(a.get("story_event") and b.get("story_event") and a["story_event"] != b["story_event"])


def event_scores(items: Sequence[Labelled], run: Run) -> dict[str, Any]:
    """Stories against the hand-labelled events: B-cubed and pair counts."""
    gold = {i.doc.key: i.record["story_event"] for i in items if i.record.get("story_event")}
    predicted = {key: run.story.get(key, -key) for key in gold}
    pairs = list(itertools.combinations(gold, 2))
    same = [(a, b) for a, b in pairs if gold[a] == gold[b]]
    joined = sum(1 for a, b in same if predicted[a] == predicted[b])
    wrong = sum(1 for a, b in pairs if gold[a] != gold[b] and predicted[a] == predicted[b])
    relevant = [i.doc.key for i in items if i.doc.relevant]
    sizes = Counter(run.story[k] for k in relevant if k in run.story)
    return {
        "bcubed": bcubed(predicted, gold),
        "joined": (joined, len(same)),
        "false": wrong,
        "stories": len(sizes),
        "relevant": len(relevant),
        "largest": max(sizes.values()) if sizes else 0,
    }


def wikiref_docs(root: Path) -> tuple[list[StoredArticle], dict[int, str]]:
    """WikiRef220 as relevant English articles of one moment, in a fixed shuffled order, with topics."""
    found = wikiref(root)
    random.Random(7).shuffle(found)
    now = datetime(2020, 1, 1, tzinfo=UTC)
    docs, gold = [], {}
    for key, (name, topic, text) in enumerate(found, start=1):
        title, _, body = text.strip().partition("\n")
        docs.append(
            StoredArticle(
                key=key, url=name, outlet=name, title=title.strip(), text=body.strip(), lang="en", fetched=now
            )
        )
        gold[key] = topic
    return docs, gold


# --- report ------------------------------------------------------------------------------------------


def _pct(found: int, total: int) -> str:
    return f"{found}/{total} = {found / total:.2f}" if total else "no pairs"


def _duplicates_section(
    name: str, items: Sequence[Labelled], pairs: Sequence[dict[str, Any]], run: Run
) -> str:
    scores = duplicate_scores(items, pairs, run)
    per_article = run.seconds / len(items) * 1000
    lines = [
        f"**{name}** ({len(items)} articles, {per_article:.1f} ms per article through the whole `Judge`):"
    ]
    for kind in ("content", "cross_lingual_translation"):
        found, total = scores["recall"].get(kind, [0, 0])
        lines.append(f"- recall of `{kind}` pairs: {_pct(found, total)}")
    lines.append(f"- joins the labels contradict: {len(scores['contradicted'])}")
    for a, b in scores["contradicted"]:
        lines.append(f"  - {a.record['id']} + {b.record['id']}: {run.reason.get(b.doc.key, '')}")
    others = [p for p in scores["unlabelled"] if p not in scores["contradicted"]]
    lines.append(f"- other joins not among the labelled pairs: {len(others)}")
    kinds = Counter(run.kind.values())
    lines.append("- duplicates found by kind: " + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())))
    return "\n".join(lines)


def _stories_row(
    threshold: float, items: Sequence[Labelled], wiki: tuple[list[StoredArticle], dict[int, str]]
) -> str:
    settings = JudgeSettings(story_threshold=threshold)
    run, _ = judge_all([i.doc for i in items], settings)
    events = event_scores(items, run)
    wiki_run, _ = judge_all(wiki[0], settings)
    wiki_pred = {key: wiki_run.story.get(key, -key) for key in wiki[1]}
    p, r, f = events["bcubed"]
    wp, wr, wf = bcubed(wiki_pred, wiki[1])
    joined, same = events["joined"]
    return (
        f"| {threshold:.2f} | {p:.2f} / {r:.2f} / {f:.2f} | {joined}/{same} | {events['false']} "
        f"| {events['stories']} ({events['largest']}) | {wp:.2f} / {wr:.2f} / {wf:.2f} "
        f"| {len(set(wiki_pred.values()))} |"
    )


def main(argv: list[str]) -> int:
    """Score duplicates and stories on the shared corpus and write the `dedup_real` section."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks dedup_real")
    parser.add_argument("--thresholds", default="0.1,0.15,0.2,0.25,0.35", help="story thresholds to sweep")
    args = parser.parse_args(argv)
    root = shared_dir()
    if root is None:
        print("../shared/corpus is not here; nothing measured")
        return 1
    settings = JudgeSettings()
    items = deepseek_corpus(root)
    pairs = near_duplicate_pairs(root)
    first, lines = judge_all([i.doc for i in items], settings)
    cleaned = without_chrome([i.doc for i in items], lines, settings.boilerplate_min_pages)
    clean_items = [Labelled(doc, item.record) for doc, item in zip(cleaned, items, strict=True)]
    second, _ = judge_all(cleaned, settings)
    wiki = wikiref_docs(root)
    rows = [_stories_row(float(t), clean_items, wiki) for t in args.thresholds.split(",")]
    body = "\n\n".join(
        [
            "Settings: defaults of `JudgeSettings` (near-duplicate threshold "
            f"{settings.near_duplicate_threshold}, "
            f"containment {settings.containment_threshold}, {settings.num_perm} permutations, shingles of "
            f"{settings.shingle_size} characters, boilerplate from {settings.boilerplate_min_pages} pages, "
            f"story window {settings.story_window_days} days, story threshold {settings.story_threshold}).",
            "### Duplicates (`../shared/corpus/news/deepseek_stargate`)",
            _duplicates_section("As stored", items, pairs, first),
            _duplicates_section("Chrome removed", clean_items, pairs, second),
            "### Stories",
            "Events: the hand-labelled `story_event` clusters of the corpus (chrome removed), B-cubed "
            "precision / recall / F1 over their 20 articles, same-event pairs joined, different-event pairs "
            "joined, stories over the 118 relevant articles (largest). WikiRef220: 220 English articles on "
            "16 topics (topics, not single events: recall is expected to be low at event-level thresholds).",
            "| story threshold | events P / R / F1 | same-event pairs joined | different-event pairs joined "
            "| stories (largest) | WikiRef220 P / R / F1 | WikiRef stories |\n|---|---|---|---|---|---|---|\n"
            + "\n".join(rows),
        ]
    )
    print(body)
    write_section("dedup_real", "Duplicates and stories on real articles (offline)", body)
    return 0


if __name__ == "__main__":
    import sys

    raise SystemExit(main(sys.argv[1:]))
