"""`Judge`: assessing changes nothing, claims come from the matchers, and a warm start from stored
results judges new articles exactly as an uninterrupted run would."""

from __future__ import annotations

import logging
from dataclasses import replace

import pytest

from crawler.config import JudgeSettings
from crawler.judge.core import Judge
from crawler.judge.dedup import line_hash
from crawler.judge.types import ClaimMatch, Judgement, StoredArticle
from tests.judge.samples import (
    ITALY,
    ITALY_NEWS,
    ITALY_NEWS_TITLE,
    ITALY_REWRITE,
    ITALY_TITLE,
    ITALY_ZH,
    ITALY_ZH_TITLE,
    KOREA,
    KOREA_TITLE,
    KOREA_ZH,
    KOREA_ZH2,
    KOREA_ZH2_TITLE,
    KOREA_ZH_TITLE,
    MARKET_ZH,
    MARKET_ZH_TITLE,
    R1_EN,
    R1_EN_TITLE,
    R1_ZH,
    R1_ZH_TITLE,
    doc,
)

STREAM = [
    doc(1, R1_EN, R1_EN_TITLE, outlet="a"),
    doc(2, MARKET_ZH, MARKET_ZH_TITLE, outlet="b", lang="zh", hours=1),
    doc(3, ITALY, ITALY_TITLE, outlet="c", hours=2),
    doc(4, KOREA, KOREA_TITLE, outlet="d", hours=3),
    doc(5, R1_ZH, R1_ZH_TITLE, outlet="e", lang="zh", hours=4),
    doc(6, ITALY_REWRITE, "Italy orders DeepSeek to stop", outlet="f", hours=5),
    doc(7, KOREA_ZH, KOREA_ZH_TITLE, outlet="g", lang="zh", hours=6),
    doc(8, ITALY, ITALY_TITLE, outlet="h", hours=7, relevant=False),
    doc(9, ITALY_NEWS, ITALY_NEWS_TITLE, outlet="i", hours=20),
    doc(10, KOREA_ZH2, KOREA_ZH2_TITLE, outlet="j", lang="zh", hours=22),
    doc(11, ITALY_ZH, ITALY_ZH_TITLE, outlet="k", lang="zh", hours=23),
    doc(12, R1_EN.replace("released", "unveiled"), "R1 is out", outlet="l", hours=24),
]


class Claims:
    """A stand-in seed: one claim, found in any sentence naming R1."""

    seed = "demo"

    def match(self, title: str, text: str, lang: str) -> list[ClaimMatch]:
        hits = [line for line in text.splitlines() if "R1" in line]
        return [ClaimMatch("r1-release", "supports", 0.9, hits[0], self.seed)] if hits else []

    def covers(self, sentence: str) -> bool:
        return "R1" in sentence


def run(
    judge: Judge, docs: list[StoredArticle], first_story: int = 100
) -> list[tuple[Judgement, int | None]]:
    """Assess and index in order, as the pipeline does; returns each judgement and its stored story."""
    out = []
    for number, item in enumerate(docs):
        judgement = judge.assess(item)
        story = judgement.story
        if story is None and item.relevant:
            story = first_story + number
        judge.index(item, judgement, story)
        out.append((judgement, story))
    return out


def comparable(judgement: Judgement) -> tuple[object, ...]:
    return (judgement.duplicate, judgement.story, judgement.story_title, judgement.claims, judgement.novelty)


def test_assess_changes_nothing() -> None:
    judge = Judge(JudgeSettings())
    run(judge, STREAM[:4])
    before = judge.assess(STREAM[4])
    copy = replace(STREAM[2], key=99, outlet="z")
    assert judge.assess(copy).duplicate is not None
    assert judge.assess(STREAM[4]) == before
    # assessed but never indexed: not there for the next article
    unseen = doc(50, KOREA_ZH2, KOREA_ZH2_TITLE, outlet="x", lang="zh", hours=9)
    judge.assess(unseen)
    assert judge.assess(replace(unseen, key=51, outlet="y")).duplicate is None


def test_claims_come_from_the_matchers_for_relevant_articles_only() -> None:
    judge = Judge(JudgeSettings(), [Claims()])
    (relevant, _), (irrelevant, _), (other, _) = run(
        judge,
        [
            doc(1, R1_EN, R1_EN_TITLE),
            doc(2, R1_EN, R1_EN_TITLE, outlet="o", relevant=False),
            doc(3, KOREA, "x"),
        ],
    )
    assert [c.claim_id for c in relevant.claims] == ["r1-release"]
    assert relevant.claims[0].evidence.startswith("DeepSeek released its R1")
    assert irrelevant.claims == () and irrelevant.duplicate is not None
    assert other.claims == ()
    # sentences the claim covers are not new
    assert relevant.novelty is not None and relevant.novelty < 1.0


def test_claims_below_the_minimum_score_are_dropped() -> None:
    judge = Judge(JudgeSettings(claim_min_score=0.95), [Claims()])
    (judgement, _), *_ = run(judge, [doc(1, R1_EN, R1_EN_TITLE)])
    assert judgement.claims == ()


@pytest.mark.parametrize("split", [4, 8, 11])
def test_warm_start_judges_like_one_uninterrupted_run(split: int) -> None:
    settings = JudgeSettings()
    straight = run(Judge(settings, [Claims()]), STREAM)
    warm = Judge(settings, [Claims()])
    for item, (judgement, story) in zip(STREAM[:split], straight[:split], strict=True):
        warm.observe(
            item,
            signature=judgement.signature,
            content_hash=judgement.content_hash,
            duplicate_of=judgement.duplicate.of if judgement.duplicate else None,
            story=story,
        )
    resumed = run(warm, STREAM[split:], first_story=100 + split)
    assert [comparable(j) for j, _ in resumed] == [comparable(j) for j, _ in straight[split:]]
    assert any(j.duplicate for j, _ in straight[split:]) and any(j.story for j, _ in straight[split:])


def test_old_articles_observed_without_text_still_catch_copies() -> None:
    settings = JudgeSettings()
    first = Judge(settings)
    (judgement, story), *_ = run(first, [doc(1, ITALY, ITALY_TITLE, outlet="wire")])
    later = Judge(settings)
    later.observe(
        replace(doc(1, "", ITALY_TITLE, outlet="wire")),
        signature=judgement.signature,
        content_hash=judgement.content_hash,
        duplicate_of=None,
        story=story,
    )
    copy = doc(
        2, "An introduction added by the copying site.\n" + ITALY, "Copied", outlet="copier", hours=24 * 30
    )
    exact = doc(3, ITALY, "Same", outlet="other", hours=24 * 30)
    near = later.assess(copy).duplicate
    assert near is not None and (near.of, near.kind) == (1, "near")
    same = later.assess(exact).duplicate
    assert same is not None and (same.of, same.kind) == (1, "exact")


def test_a_stored_signature_that_cannot_be_read_is_skipped_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    judge = Judge(JudgeSettings())
    with caplog.at_level(logging.WARNING):
        judge.observe(
            doc(1, ITALY, ITALY_TITLE),
            signature=b"garbage",
            content_hash="0" * 64,
            duplicate_of=None,
            story=None,
        )
    assert "stored signature ignored" in caplog.text
    assert judge.assess(doc(2, ITALY, ITALY_TITLE, outlet="x")).duplicate is None  # only the hash was usable


def test_outlet_lines_loaded_at_start_remove_boilerplate() -> None:
    footer = "Subscribe to our newsletter for the day's technology news every morning in your inbox."
    judge = Judge(JudgeSettings())
    judge.load_outlet_lines([("site", line_hash(footer), 5)])
    plain = judge.assess(doc(1, ITALY, ITALY_TITLE, outlet="site"))
    with_footer = judge.assess(doc(2, ITALY + "\n" + footer, ITALY_TITLE, outlet="site"))
    assert plain.signature == with_footer.signature  # the known footer line is left out of the comparison
    elsewhere = judge.assess(doc(3, ITALY + "\n" + footer, ITALY_TITLE, outlet="other site"))
    assert elsewhere.signature != plain.signature


def test_one_outlets_chrome_extracted_under_two_titles_is_not_a_copy() -> None:
    judge = Judge(JudgeSettings())
    first = doc(1, ITALY, ITALY_TITLE, outlet="aggregator")
    judge.index(first, judge.assess(first), 1)
    other_story = judge.assess(doc(2, ITALY, "DeepSeek exposes a database of chat logs", outlet="aggregator"))
    assert other_story.duplicate is None
    syndicated = judge.assess(doc(3, ITALY, "Italy blocks DeepSeek", outlet="elsewhere"))
    assert syndicated.duplicate is not None and syndicated.duplicate.kind == "exact"
