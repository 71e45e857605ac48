"""The shared DeepSeek/Stargate corpus with its labels, and its fixed development / held-out split.

Only evaluation scripts read the labels. The split keeps every copy of an article in one half: articles
linked by the corpus's duplicate annotations (`near_duplicate_pairs.json` and the manifest's `dup_group`)
form one group, and a hash of the group decides its half, so a method developed on one half never sees a
copy of a held-out article, and the split does not move when articles are added.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crawler.config import PROJECT_ROOT

# Fixed once, before any figure was computed on the split; changing it changes which articles are held out.
SPLIT_SALT = "seedwatch-heldout"
_FRONT_MATTER = re.compile(r"\A---\s*\n.*?\n---\s*\n", re.S)
_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]*)\]\((?:[^()]|\([^)]*\))*\)")
_EMPHASIS = re.compile(r"\*\*|__|(?<!\w)\*(?!\s)|(?<=\S)\*(?!\w)|`")
_HEADING = re.compile(r"^\s{0,3}(?:#{1,6}\s*|>\s?|[-*+]\s+(?=\S))", re.M)


def corpus_dir() -> Path | None:
    """The shared DeepSeek/Stargate corpus (../shared from the repository root), when it is there."""
    folder = PROJECT_ROOT.parent / "shared" / "corpus" / "news" / "deepseek_stargate"
    return folder if (folder / "manifest.jsonl").exists() else None


@dataclass(frozen=True)
class LabelledArticle:
    """One corpus article with its labels."""

    id: str
    title: str
    text: str
    lang: str
    relevant: bool
    claims: dict[str, str]
    evidence: dict[str, str]


def markdown_to_text(markdown: str) -> str:
    """The plain text of a Markdown body, roughly what an HTML extractor would give."""
    body = _FRONT_MATTER.sub("", markdown, count=1)
    body = _IMAGE.sub("", body)
    body = _LINK.sub(lambda m: m.group(1), body)
    body = _HEADING.sub("", body)
    return _EMPHASIS.sub("", body)


def _jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def manifest(folder: Path) -> dict[str, dict[str, Any]]:
    """The manifest's records by article id."""
    return {record["id"]: record for record in _jsonl(folder / "manifest.jsonl")}


def load_corpus(folder: Path) -> list[LabelledArticle]:
    """Every labelled article of the corpus, in id order."""
    labels = {}
    for name in ("labels.jsonl", "labels-negatives.jsonl"):
        labels.update({record["id"]: record for record in _jsonl(folder / name)})
    articles = []
    for entry in manifest(folder).values():
        label = labels.get(entry["id"])
        if label is None:
            continue
        text = markdown_to_text((folder / entry["file"]).read_text(encoding="utf-8"))
        articles.append(
            LabelledArticle(
                entry["id"],
                entry.get("title") or "",
                text,
                entry.get("lang") or "",
                bool(label["relevant"]),
                dict(label.get("claims") or {}),
                dict(label.get("evidence") or {}),
            )
        )
    return sorted(articles, key=lambda a: a.id)


def duplicate_groups(folder: Path) -> dict[str, str]:
    """Article id -> its duplicate group (the smallest id of the articles linked to it by any annotation)."""
    records = manifest(folder)
    parent = {article_id: article_id for article_id in records}

    def root(article_id: str) -> str:
        while parent[article_id] != article_id:
            parent[article_id] = parent[parent[article_id]]
            article_id = parent[article_id]
        return article_id

    def join(a: str, b: str) -> None:
        if a in parent and b in parent:
            ra, rb = root(a), root(b)
            parent[max(ra, rb)] = min(ra, rb)

    for pair in json.loads((folder / "near_duplicate_pairs.json").read_text(encoding="utf-8")):
        join(pair["a"], pair["b"])
    first_of_group: dict[Any, str] = {}
    for article_id, record in sorted(records.items()):
        group = record.get("dup_group")
        if group is not None:
            join(first_of_group.setdefault(group, article_id), article_id)
    return {article_id: root(article_id) for article_id in records}


def is_held_out(group: str) -> bool:
    """Whether a duplicate group belongs to the held-out half (a hash of the group, about half of them)."""
    return int(hashlib.sha256(f"{SPLIT_SALT}{group}".encode()).hexdigest(), 16) % 2 == 1


def halves(
    articles: Sequence[LabelledArticle], groups: dict[str, str]
) -> tuple[list[LabelledArticle], list[LabelledArticle]]:
    """The development half and the held-out half; all copies of an article fall in the same one."""
    development = [a for a in articles if not is_held_out(groups.get(a.id, a.id))]
    held_out = [a for a in articles if is_held_out(groups.get(a.id, a.id))]
    return development, held_out
