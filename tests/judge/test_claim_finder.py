"""Claim candidates by meaning (`crawler.judge.claim_finder`), with the real packaged encoder."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from crawler.judge.claim_finder import SemanticClaimFinder, SentenceVectors, semantic_stance
from crawler.judge.claims import parse_claim_set
from crawler.judge.embedding import Encoder, Matrix, load_encoder

CLAIMS = """
seed: demo
terms:
  regulator: [Garante, 意大利数据保护机构]
claims:
  - id: italy-block
    claim:
      en: Italy's data protection authority blocked DeepSeek.
      zh: 意大利数据保护机构封锁了 DeepSeek。
    about: [DeepSeek]
    asserts: [[regulator, [ordered a halt]]]
"""


class Counting:
    """An encoder that counts the texts it is given (wraps the real one)."""

    def __init__(self, inner: Encoder) -> None:
        self.inner = inner
        self.name = inner.name
        self.texts: list[str] = []

    @property
    def dim(self) -> int:
        return self.inner.dim

    def encode(self, texts: Sequence[str]) -> Matrix:
        self.texts.extend(texts)
        return self.inner.encode(texts)


@pytest.fixture(scope="module")
def use() -> Encoder:
    encoder = load_encoder("use-multilingual")
    assert encoder is not None
    return encoder


def test_each_distinct_sentence_is_encoded_once(use: Encoder) -> None:
    counting = Counting(use)
    cache = SentenceVectors(counting)
    first = cache.encode(["DeepSeek was blocked in Italy.", "The app vanished from stores."])
    again = cache.encode(["The app vanished from stores.", "DeepSeek was blocked in Italy.", "New."])
    assert counting.texts == ["DeepSeek was blocked in Italy.", "The app vanished from stores.", "New."]
    assert (again[0] == first[1]).all() and (again[1] == first[0]).all()


def test_a_restatement_in_the_other_language_is_found_that_the_rules_miss(use: Encoder) -> None:
    rules = parse_claim_set(CLAIMS)
    finder = SemanticClaimFinder(use, rules.claims, near=0.6, same=0.7)
    claims = rules.with_finders([finder])
    title = "意大利封锁DeepSeek"
    text = "意大利数据保护机构封锁了聊天机器人 DeepSeek。\n\n该机构称，此举是为了保护意大利用户的数据。"
    assert rules.match(title, text, "zh") == []
    found = claims.match(title, text, "zh")
    assert [(m.claim_id, m.stance) for m in found] == [("italy-block", "supports")]
    unrelated = "DeepSeek 发布了新的推理模型。\n\n该模型在数学测试中表现出色。"
    assert claims.match("DeepSeek 新模型", unrelated, "zh") == []


def test_a_proposed_sentence_that_doubts_or_asks_does_not_support() -> None:
    assert semantic_stance("Reports that Italy blocked DeepSeek are a rumour.", 0.8, 0.7) == "disputes"
    assert semantic_stance("Did Italy block DeepSeek?", 0.8, 0.7) == "mentions"
    assert semantic_stance("Italy did not block DeepSeek.", 0.8, 0.7) == "mentions"
    assert semantic_stance("Italy blocked DeepSeek.", 0.65, 0.7) == "mentions"
    assert semantic_stance("Italy blocked DeepSeek.", 0.8, 0.7) == "supports"
