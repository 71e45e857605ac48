"""Checks on the Chinese half of the demo corpus (`crawler/demo/corpus/articles/zh/`).

The demo and the integration tests rely on its ground truth (outlets, stories, claims, copies), so a page
with a typo in its front matter would silently skew what `seedwatch demo` shows.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from crawler.config import PROJECT_ROOT

ARTICLES_DIR = PROJECT_ROOT / "crawler" / "demo" / "corpus" / "articles"
ZH_DIR = ARTICLES_DIR / "zh"
EN_DIR = ARTICLES_DIR / "en"

ZH_OUTLETS = {"shuzi", "caijing", "huaxia", "aiyanjiu"}
# English originals of the zh<->en translation pairs live in zh/ too, on these outlets, ids `zhpair-...`.
PAIR_OUTLETS = {"siliconpost", "techwire"}
STORY_KEYS = {
    "r1-release", "stargate-announce", "musk-doubts-stargate", "app-store-top", "nvidia-selloff",
    "cyberattack-signups", "janus-pro", "trump-wakeup-call", "openai-distillation", "wiz-database-leak",
    "italy-garante", "azure-aws-host-r1", "semianalysis-gpus", "o3-mini-response", "softbank-openai-40b",
    "government-bans", "china-price-cuts", "liang-symposium", "stargate-abilene", "south-korea-suspends",
    "huawei-ascend", "cost-debate", "deepseek-open-source-week",
}  # fmt: skip
CLAIM_IDS = {
    "r1-release-jan20", "stargate-signed-jan21", "stargate-500b", "cnbc-leapfrogged",
    "nadella-take-seriously", "zuckerberg-needs-help", "quant-fund-origin", "young-domestic-team",
    "closed-source-camp",
    "openai-closed-source", "musk-data-exhausted", "gpt5-delayed-data", "r1-2000-gpus", "under-6m-cost",
    "china-price-cuts", "openai-price-cut-coming", "r1-open-low-cost", "liang-state-council",
    "r1-matches-openai", "nvidia-threatened", "sanctions-forced-innovation", "domestic-gpus-viable",
}  # fmt: skip
STANCES = {"supports", "disputes", "mentions"}
COPY_KINDS = {"exact", "edited", "translation"}
REQUIRED_KEYS = {
    "id", "outlet", "lang", "title", "author", "published", "section", "topics", "relevant", "story",
    "claims", "copy_of", "copy_kind", "canonical_to_original",
}  # fmt: skip
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
FRONT_MATTER = re.compile(r"\A---\n(.*?)\n---\n(.*)\Z", re.DOTALL)
HAN = re.compile(r"[\u4e00-\u9fff]")


def parse_page(path: Path) -> tuple[dict[str, Any], str]:
    """Split one page file into its YAML front matter and its body."""
    match = FRONT_MATTER.match(path.read_text(encoding="utf-8"))
    assert match, f"{path.name}: no '---' front matter block"
    meta = yaml.safe_load(match.group(1))
    assert isinstance(meta, dict), f"{path.name}: front matter is not a mapping"
    return meta, match.group(2).strip()


def load_dir(folder: Path, strict: bool = True) -> dict[str, tuple[dict[str, Any], str]]:
    """Every page of one folder, by id; `strict=False` skips unparsable pages (en/ has its own checks)."""
    pages: dict[str, tuple[dict[str, Any], str]] = {}
    if folder.is_dir():
        for path in sorted(folder.glob("*.md")):
            try:
                meta, body = parse_page(path)
            except (AssertionError, yaml.YAMLError):
                if strict:
                    raise
                continue
            pages[str(meta.get("id"))] = (meta, body)
    return pages


@pytest.fixture(scope="module")
def zh_pages() -> dict[str, tuple[dict[str, Any], str]]:
    """The pages of zh/, by id."""
    if not ZH_DIR.is_dir():
        pytest.fail(f"{ZH_DIR} is missing")
    return load_dir(ZH_DIR)


def effective_body(pages: dict[str, tuple[dict[str, Any], str]], page_id: str) -> str:
    """The body the server shows: an exact copy with an empty body borrows its original's."""
    meta, body = pages[page_id]
    if not body and meta["copy_kind"] == "exact":
        return effective_body(pages, meta["copy_of"])
    return body


def test_every_file_parses_with_the_required_fields() -> None:
    files = sorted(ZH_DIR.glob("*.md"))
    assert len(files) >= 50
    for path in files:
        meta, body = parse_page(path)
        missing = REQUIRED_KEYS - meta.keys()
        assert not missing, f"{path.name}: missing {sorted(missing)}"
        assert meta["id"] == path.stem, f"{path.name}: id {meta['id']!r} differs from the file name"
        assert isinstance(meta["published"], dt.datetime), f"{path.name}: published is not a timestamp"
        assert meta["published"].tzinfo is not None, f"{path.name}: published has no UTC offset"
        assert isinstance(meta["title"], str) and meta["title"].strip(), f"{path.name}: empty title"
        assert body or meta["copy_kind"] == "exact", f"{path.name}: empty body"


def test_ids_are_unique_ascii_slugs_prefixed_by_outlet(zh_pages: dict[str, Any]) -> None:
    ids = [path.stem for path in ZH_DIR.glob("*.md")]
    assert len(ids) == len(set(ids))
    en_ids = set(load_dir(EN_DIR, strict=False))
    for page_id, (meta, _) in zh_pages.items():
        assert SLUG.match(page_id), f"{page_id}: not a lowercase ASCII slug"
        assert page_id not in en_ids, f"{page_id}: also used in en/"
        if meta["outlet"] in PAIR_OUTLETS:
            assert page_id.startswith("zhpair-"), f"{page_id}: English originals are prefixed zhpair-"
        else:
            assert page_id.startswith(meta["outlet"] + "-"), f"{page_id}: not prefixed by its outlet"


def test_outlets_languages_and_ground_truth_are_consistent(zh_pages: dict[str, Any]) -> None:
    for page_id, (meta, _) in zh_pages.items():
        assert meta["outlet"] in ZH_OUTLETS | PAIR_OUTLETS, f"{page_id}: unknown outlet {meta['outlet']}"
        expected_lang = "en" if meta["outlet"] in PAIR_OUTLETS else "zh"
        assert meta["lang"] == expected_lang, f"{page_id}: lang {meta['lang']}"
        assert set(meta["topics"]) <= {"deepseek", "stargate"}, f"{page_id}: topics {meta['topics']}"
        assert isinstance(meta["relevant"], bool)
        if meta["relevant"]:
            assert meta["topics"], f"{page_id}: relevant but without topics"
            assert meta["story"] is None or meta["story"] in STORY_KEYS, f"{page_id}: story {meta['story']}"
        else:
            assert meta["story"] is None and not meta["claims"], f"{page_id}: unrelated, yet story/claims"


def test_claims_use_the_seed_ids_and_stances(zh_pages: dict[str, Any]) -> None:
    for page_id, (meta, _) in zh_pages.items():
        claims = meta["claims"] or {}
        assert isinstance(claims, dict), f"{page_id}: claims is not a mapping"
        assert set(claims) <= CLAIM_IDS, f"{page_id}: unknown claims {sorted(set(claims) - CLAIM_IDS)}"
        assert set(claims.values()) <= STANCES, f"{page_id}: unknown stance in {claims}"


def test_claim_list_matches_the_shared_seed(shared_corpus: Path) -> None:
    reference = shared_corpus.parent / "seeds" / "claims-reference.yaml"
    if not reference.is_file():
        pytest.skip(f"{reference} is not present")
    data = yaml.safe_load(reference.read_text(encoding="utf-8"))
    assert {claim["id"] for claim in data["claims"]} == CLAIM_IDS


def test_seed_claims_are_both_supported_and_disputed(zh_pages: dict[str, Any]) -> None:
    stances: dict[str, set[str]] = {}
    for meta, _ in zh_pages.values():
        for claim, stance in (meta["claims"] or {}).items():
            stances.setdefault(claim, set()).add(stance)
    contested = [claim for claim, found in stances.items() if {"supports", "disputes"} <= found]
    for claim in ("under-6m-cost", "r1-2000-gpus", "stargate-500b", "nvidia-threatened"):
        assert claim in contested, f"{claim}: {stances.get(claim)}"
    assert stances.get("zuckerberg-needs-help") and "disputes" in stances["zuckerberg-needs-help"]
    assert stances.get("stargate-signed-jan21") and "disputes" in stances["stargate-signed-jan21"]


def test_copies_point_at_existing_originals(zh_pages: dict[str, Any]) -> None:
    everything = {**load_dir(EN_DIR, strict=False), **zh_pages}
    kinds: Counter[str] = Counter()
    for page_id, (meta, body) in zh_pages.items():
        if meta["copy_of"] is None:
            assert meta["copy_kind"] is None, f"{page_id}: copy_kind without copy_of"
            continue
        assert meta["copy_kind"] in COPY_KINDS, f"{page_id}: copy_kind {meta['copy_kind']}"
        assert meta["copy_of"] in everything, f"{page_id}: copy_of {meta['copy_of']} does not exist"
        original, original_body = everything[meta["copy_of"]]
        assert original["copy_of"] is None, f"{page_id}: copies a copy"
        assert original["story"] == meta["story"], f"{page_id}: copy on another story than its original"
        assert meta["published"] > original["published"], f"{page_id}: published before its original"
        kinds[meta["copy_kind"]] += 1
        if meta["copy_kind"] == "translation":
            assert original["lang"] != meta["lang"], f"{page_id}: translation in the original's language"
        elif meta["copy_kind"] == "exact":
            assert body in ("", original_body), f"{page_id}: exact copy whose body differs"
        else:
            assert body != original_body, f"{page_id}: edited copy identical to its original"
    assert kinds["edited"] >= 4 and kinds["exact"] >= 2 and kinds["translation"] >= 2, kinds


def test_aiyanjiu_republishes_shuzi(zh_pages: dict[str, Any]) -> None:
    edited = [m for m, _ in zh_pages.values() if m["outlet"] == "aiyanjiu" and m["copy_kind"] == "edited"]
    assert len(edited) >= 4
    assert all(meta["copy_of"].startswith("shuzi-") for meta in edited)


def test_huaxia_pages_encode_to_gbk(zh_pages: dict[str, Any]) -> None:
    for page_id, (meta, _) in zh_pages.items():
        if meta["outlet"] != "huaxia":
            continue
        text = "\n".join([meta["title"], meta["author"], effective_body(zh_pages, page_id)])
        try:
            text.encode("gbk")
        except UnicodeEncodeError as error:
            pytest.fail(f"{page_id}: {text[error.start : error.end]!r} has no GBK encoding")


def test_chinese_pages_have_article_length(zh_pages: dict[str, Any]) -> None:
    for page_id, (meta, _) in zh_pages.items():
        if meta["lang"] != "zh":
            continue
        body = effective_body(zh_pages, page_id)
        han = len(HAN.findall(body))
        assert 300 <= han <= 1200, f"{page_id}: {han} Chinese characters"
        assert body.count("\n\n") >= 2, f"{page_id}: fewer than three paragraphs"


def test_enough_relevant_and_unrelated_pages(zh_pages: dict[str, Any]) -> None:
    chinese = [meta for meta, _ in zh_pages.values() if meta["lang"] == "zh"]
    relevant = [meta for meta in chinese if meta["relevant"]]
    assert len(chinese) >= 50
    assert len(relevant) >= 40
    assert len(chinese) - len(relevant) >= 10
    outlets_per_story: dict[str, set[str]] = {}
    for meta in relevant:
        if meta["story"]:
            outlets_per_story.setdefault(meta["story"], set()).add(meta["outlet"])
    single = sorted(story for story, outlets in outlets_per_story.items() if len(outlets) < 2)
    assert not single, f"stories covered by one outlet only: {single}"


def test_unrelated_pages_mention_the_topics_in_passing_at_most(zh_pages: dict[str, Any]) -> None:
    passing = 0
    for page_id, (meta, body) in zh_pages.items():
        if meta["relevant"]:
            continue
        mentions = len(re.findall(r"DeepSeek|深度求索|星际之门|Stargate", meta["title"] + body))
        assert mentions <= 1, f"{page_id}: {mentions} topic mentions on an unrelated page"
        passing += mentions
    assert passing >= 1, "no unrelated page with a passing mention to test relevance against"
