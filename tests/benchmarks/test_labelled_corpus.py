"""The held-out split of the labelled corpus: every copy of an article falls in the same half."""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks.labelled_corpus import duplicate_groups, halves, is_held_out, load_corpus


def _corpus(folder: Path, count: int, pairs: list[tuple[str, str]], groups: dict[str, int]) -> None:
    (folder / "articles").mkdir(parents=True)
    manifest, labels = [], []
    for n in range(1, count + 1):
        article_id = f"x{n:03d}"
        (folder / "articles" / f"{article_id}.md").write_text(f"# Title {n}\n\nBody {n}.\n", encoding="utf-8")
        manifest.append({"id": article_id, "file": f"articles/{article_id}.md", "title": f"Title {n}",
                         "lang": "en", "dup_group": groups.get(article_id)})  # fmt: skip
        labels.append({"id": article_id, "relevant": n % 3 == 0, "claims": {}, "evidence": {}})
    (folder / "manifest.jsonl").write_text("\n".join(json.dumps(m) for m in manifest), encoding="utf-8")
    (folder / "labels.jsonl").write_text("\n".join(json.dumps(x) for x in labels), encoding="utf-8")
    (folder / "labels-negatives.jsonl").write_text("", encoding="utf-8")
    records = [{"a": a, "b": b, "kind": "content"} for a, b in pairs]
    (folder / "near_duplicate_pairs.json").write_text(json.dumps(records), encoding="utf-8")


def test_copies_share_a_half_and_the_split_is_about_even(tmp_path: Path) -> None:
    # a chain of pairs (1-2, 2-3) and a manifest group (10, 40, 70) must each stay together
    pairs = [("x001", "x002"), ("x002", "x003"), ("x050", "x099")]
    _corpus(tmp_path, 120, pairs, {"x010": 7, "x040": 7, "x070": 7})
    groups = duplicate_groups(tmp_path)
    assert groups["x001"] == groups["x002"] == groups["x003"] == "x001"
    assert groups["x010"] == groups["x040"] == groups["x070"] == "x010"
    articles = load_corpus(tmp_path)
    development, held_out = halves(articles, groups)
    assert len(development) + len(held_out) == 120
    assert 40 <= len(held_out) <= 80  # a hash, not a fit: about half either way
    held = {a.id for a in held_out}
    for members in (("x001", "x002", "x003"), ("x010", "x040", "x070"), ("x050", "x099")):
        assert len({m in held for m in members}) == 1


def test_the_half_depends_on_the_group_alone() -> None:
    assert is_held_out("ds001") == is_held_out("ds001")
    assert {is_held_out(f"g{n}") for n in range(20)} == {True, False}


def test_the_shared_corpus_split_keeps_every_labelled_pair_together(shared_corpus: Path) -> None:
    folder = shared_corpus / "news" / "deepseek_stargate"
    groups = duplicate_groups(folder)
    for pair in json.loads((folder / "near_duplicate_pairs.json").read_text(encoding="utf-8")):
        assert is_held_out(groups[pair["a"]]) == is_held_out(groups[pair["b"]])
