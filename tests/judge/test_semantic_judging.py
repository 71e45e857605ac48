"""What embeddings change in judging: translations the anchor rules miss, repeats across languages."""

from __future__ import annotations

import pytest

from crawler.config import JudgeSettings
from crawler.judge.core import Judge
from crawler.judge.embedding import Encoder, load_encoder
from crawler.judge.types import Judgement, StoredArticle
from tests.judge.samples import (
    ITALY_NEWS,
    ITALY_NEWS_TITLE,
    ITALY_ZH,
    ITALY_ZH_TITLE,
    KOREA,
    KOREA_TITLE,
    KOREA_ZH,
    KOREA_ZH2,
    KOREA_ZH2_TITLE,
    KOREA_ZH_TITLE,
    doc,
)


@pytest.fixture(scope="module")
def use() -> Encoder:
    encoder = load_encoder("use-multilingual")
    assert encoder is not None
    return encoder


def second_of(first: StoredArticle, second: StoredArticle, backend: str, encoder: Encoder) -> Judgement:
    """The judgement of `second` after `first` was judged and stored in story 1000."""
    judge = Judge(JudgeSettings(embedding_backend=backend), encoder=encoder)  # type: ignore[arg-type]
    judge.index(first, judge.assess(first), 1000)
    return judge.assess(second)


def test_a_translation_with_few_shared_names_is_found_by_its_aligned_sentences(use: Encoder) -> None:
    english = doc(1, KOREA, KOREA_TITLE)
    chinese = doc(2, KOREA_ZH, KOREA_ZH_TITLE, lang="zh", outlet="zh", hours=2)
    assert second_of(english, chinese, "none", use).duplicate is None  # too few anchors for the rules
    found = second_of(english, chinese, "use-multilingual", use)
    assert found.duplicate is not None and (found.duplicate.of, found.duplicate.kind) == (1, "translation")
    assert "sentences align" in found.duplicate.reason
    assert found.novelty == 0.0


def test_a_chinese_rewrite_or_another_report_is_no_translation(use: Encoder) -> None:
    english = doc(1, KOREA, KOREA_TITLE)
    rewrite = doc(2, KOREA_ZH2, KOREA_ZH2_TITLE, lang="zh", outlet="zh", hours=2)
    assert second_of(english, rewrite, "use-multilingual", use).duplicate is None
    other = doc(3, ITALY_ZH, ITALY_ZH_TITLE, lang="zh", outlet="zh", hours=2)
    assert second_of(doc(1, ITALY_NEWS, ITALY_NEWS_TITLE), other, "use-multilingual", use).duplicate is None


def test_what_the_story_told_in_english_is_no_news_in_chinese(use: Encoder) -> None:
    english = doc(1, KOREA, KOREA_TITLE)
    rewrite = doc(2, KOREA_ZH2, KOREA_ZH2_TITLE, lang="zh", outlet="zh", hours=2)
    rules = second_of(english, rewrite, "none", use)
    semantic = second_of(english, rewrite, "use-multilingual", use)
    assert semantic.story == rules.story == 1000
    assert rules.novelty is not None and semantic.novelty is not None
    assert semantic.novelty < rules.novelty
