"""Novelty: rewrites and copies add nothing, new facts do, seed claims are never new."""

from __future__ import annotations

from datetime import timedelta

from crawler.judge.novelty import NoveltyIndex, terms
from crawler.judge.text import split_sentences
from crawler.judge.types import ClaimMatch
from tests.judge.samples import (
    ITALY,
    ITALY_NEWS,
    ITALY_NEWS_TITLE,
    ITALY_REWRITE,
    ITALY_TITLE,
    KOREA,
    KOREA_TITLE,
    KOREA_ZH,
    KOREA_ZH2,
    T0,
    doc,
)
from tests.judge.test_dedup import judge_in_order


def never(_sentence: str) -> bool:
    return False


def told(story_text: str, story: int = 1) -> NoveltyIndex:
    index = NoveltyIndex(timedelta(days=4))
    index.add(story, split_sentences(story_text), T0)
    return index


def test_a_rewrite_of_an_earlier_article_of_its_story_is_not_new() -> None:
    assert told(ITALY).novelty(split_sentences(ITALY_REWRITE), 1, never) <= 0.2


def test_a_chinese_rewrite_is_mostly_not_new() -> None:
    assert told(KOREA_ZH).novelty(split_sentences(KOREA_ZH2), 1, never) <= 0.3


def test_an_article_with_new_facts_is_mostly_new() -> None:
    assert told(ITALY).novelty(split_sentences(ITALY_NEWS), 1, never) >= 0.8


def test_only_earlier_articles_of_the_same_story_count() -> None:
    index = told(ITALY, story=1)
    assert index.novelty(split_sentences(ITALY_REWRITE), 2, never) == 1.0
    assert index.novelty(split_sentences(ITALY_REWRITE), None, never) == 1.0


def test_a_sentence_with_a_new_figure_is_new() -> None:
    index = told("The Garante ordered DeepSeek on 30 January to stop processing Italian users' data.")
    changed = "The Garante ordered DeepSeek on 31 January to stop processing Italian users' data."
    assert index.novelty([changed], 1, never) == 1.0


def test_sentences_covered_by_seed_claims_are_not_new() -> None:
    class Claims:
        seed = "s"

        def match(self, title: str, text: str, lang: str) -> list[ClaimMatch]:
            return []

        def covers(self, sentence: str) -> bool:
            return "Garante" in sentence

    sentences = split_sentences(ITALY)
    expected = sum(1 for s in sentences if "Garante" not in s) / len(sentences)
    assert NoveltyIndex(timedelta(days=4)).novelty(sentences, None, Claims().covers) == round(expected, 3)


def test_short_fragments_are_not_counted() -> None:
    assert len(terms("Read more.")) < 3
    assert NoveltyIndex(timedelta(days=4)).novelty(["Read more.", "Share."], None, never) == 0.0


def test_judge_reports_novelty_per_article() -> None:
    docs = [
        doc(1, ITALY, ITALY_TITLE, outlet="a"),
        doc(2, KOREA, KOREA_TITLE, outlet="b", hours=1),
        doc(3, ITALY_NEWS, ITALY_NEWS_TITLE, outlet="c", hours=3),
        doc(4, ITALY, ITALY_TITLE, outlet="d", hours=4),
    ]
    _, judgements = judge_in_order(docs)
    assert judgements[0].novelty == 1.0  # the first article of a story is all new
    assert judgements[2].story == 1000 and (judgements[2].novelty or 0) >= 0.8
    assert judgements[3].duplicate is not None and judgements[3].novelty == 0.0
