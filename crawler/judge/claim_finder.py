"""Claim candidates by meaning: the sentences of an article nearest a claim's own wording, in any language.

The rules of `crawler.judge.claims` find a claim through its words; a sentence that says it in other words
or in the other language escapes them. `SemanticClaimFinder` is a `CandidateFinder` that compares each
sentence with the claim's wording from its claims file (``claim: {zh: ..., en: ...}``, each language
encoded on its own) and proposes the sentences whose cosine reaches a threshold. It never sees article
text other than the sentence it scores, nor any label. The rules still judge every proposed sentence; one
they cannot judge is given a stance here (`semantic_stance`): a close restatement supports, one that voices
doubt or debunks disputes, a negated one, a question or a looser match mentions. It is off by default
(see `CALIBRATED`): on the shared corpus it found almost nothing the rules miss.

`SentenceVectors` encodes each distinct text once per process (a copy of an article, or a sentence every
claim asks about, costs nothing the second time); `crawler.judge.core.prepare` embeds articles through it.
The finder encodes only what is worth the encoder's time: the title, the lead, and the sentences naming a
subject of one of the claims.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from crawler.judge.claim_schema import Claim, Group
from crawler.judge.claims import ClaimSet
from crawler.judge.embedding import MAX_CHARS, Encoder, Matrix
from crawler.judge.stance import debunk_framing, doubts, is_question
from crawler.judge.types import ClaimMatcher, Stance

__all__ = [
    "CALIBRATED",
    "FINDER_ON",
    "SemanticClaimFinder",
    "SentenceVectors",
    "semantic_stance",
    "with_semantic_finder",
]

# Cosines of a sentence with a claim's wording from which the sentence is a candidate (near) and from which
# it restates the claim (same), per model, chosen on the development half of the shared corpus
# (`python -m benchmarks judging_offline --sweep`). For use-multilingual, 0.65 / 0.70 added one development
# pair (claims recall .847 -> .856, precision .937 -> .933) and no held-out pair, while encoding the
# candidates took longer than all the rules' judging: a short claim and a long news sentence that says the
# same in other words rarely score higher than unrelated sentences on the same subject. So no model has
# the finder on by default (`FINDER_ON`); `judging_offline --claim-finder` measures it.
CALIBRATED: dict[str, tuple[float, float]] = {"use-multilingual": (0.65, 0.70)}
FINDER_ON: frozenset[str] = frozenset()
LIMIT = 2  # sentences proposed per claim at most
LEAD = 3  # the first sentences after the title are always compared
_NEGATION = re.compile(r"不是|并非|并不|没有|\bnot\b|\bnever\b|n't\b|\bno\b", re.IGNORECASE)


class SentenceVectors:
    """Sentences' vectors by their text, encoded in batches and remembered for the last few articles (every
    claim of every seed asks about the same sentences); vectors made elsewhere can be given in. It is an
    `Encoder` itself, so embedding the article afterwards encodes only what the claims did not."""

    def __init__(self, encoder: Encoder, keep: int = 4096) -> None:
        self.encoder = encoder
        self.name = encoder.name
        self.keep = keep
        self._known: OrderedDict[str, Matrix] = OrderedDict()

    @property
    def dim(self) -> int:
        """Dimensions of the encoder's vectors."""
        return self.encoder.dim

    def encode(self, texts: Sequence[str]) -> Matrix:
        """One unit row per text (`vectors`)."""
        return self.vectors(texts)

    def give(self, sentences: Iterable[str], vectors: Matrix) -> None:
        """Vectors made elsewhere (e.g. stored with the article), by the same encoder."""
        for sentence, vector in zip(sentences, vectors, strict=True):
            self._remember(sentence, vector)

    def vectors(self, sentences: Sequence[str]) -> Matrix:
        """One unit row per sentence; only the unknown ones are encoded, in one batch."""
        missing = list(dict.fromkeys(s for s in sentences if s not in self._known))
        if missing:
            rows = self.encoder.encode([s[:MAX_CHARS] for s in missing])
            for sentence, row in zip(missing, rows, strict=True):
                self._remember(sentence, row)
        if not sentences:
            return np.zeros((0, 1), np.float32)
        return np.vstack([self._known[s] for s in sentences])

    def known(self, sentence: str) -> Matrix | None:
        """The vector of a sentence already encoded, if any."""
        return self._known.get(sentence)

    def _remember(self, sentence: str, vector: Matrix) -> None:
        self._known[sentence] = vector
        self._known.move_to_end(sentence)
        while len(self._known) > self.keep:
            self._known.popitem(last=False)


@dataclass(frozen=True)
class _ClaimRows:
    rows: Matrix  # one unit row per wording of the claim


def _subjects(claims: Iterable[Claim]) -> tuple[Group, ...]:
    return tuple({c.about.pattern.pattern: c.about for c in claims if c.about is not None}.values())


class SemanticClaimFinder:
    """A `CandidateFinder` over sentence embeddings (see the module docstring)."""

    def __init__(
        self,
        encoder: Encoder,
        claims: Sequence[Claim],
        *,
        near: float | None = None,
        same: float | None = None,
        limit: int = LIMIT,
        cache: SentenceVectors | None = None,
    ) -> None:
        self.encoder = encoder
        calibrated = CALIBRATED.get(encoder.name)
        self.near = near if near is not None else calibrated[0] if calibrated else None
        self.same = same if same is not None else calibrated[1] if calibrated else 1.01
        self.limit = limit
        self.cache = cache if cache is not None else SentenceVectors(encoder)
        self._subjects = _subjects(claims)
        self._wordings = [(c.id, text) for c in claims for _, text in sorted(c.text.items())]
        self._claims: dict[str, _ClaimRows] | None = None
        self._selected: tuple[tuple[str, ...], list[int]] | None = None

    def _claim_rows(self) -> dict[str, _ClaimRows]:
        """Each claim's wordings encoded, once (on first use: a process may never need them)."""
        if self._claims is None:
            self._claims = {}
            if self._wordings:
                rows = self.encoder.encode([text[:MAX_CHARS] for _, text in self._wordings])
                for claim_id in dict.fromkeys(c for c, _ in self._wordings):
                    mine = [n for n, (c, _) in enumerate(self._wordings) if c == claim_id]
                    self._claims[claim_id] = _ClaimRows(rows[mine])
        return self._claims

    def candidates(self, sentences: Sequence[str]) -> list[int]:
        """The sentences worth encoding: the title and lead, and those naming a claim's subject."""
        key = tuple(sentences)
        if self._selected is not None and self._selected[0] == key:
            return self._selected[1]
        chosen = [
            i
            for i, sentence in enumerate(sentences)
            if i <= LEAD or any(g.search(sentence) is not None for g in self._subjects)
        ]
        self._selected = (key, chosen)
        return chosen

    def __call__(self, claim: Claim, sentences: Sequence[str], lang: str) -> list[tuple[int, float]]:
        """Sentences (indices, title first) whose cosine with the claim's wording reaches `near`."""
        del lang  # both wordings are compared: the encoder is multilingual
        if self.near is None or not sentences:
            return []
        found = self._claim_rows().get(claim.id)
        if found is None:
            return []
        chosen = self.candidates(sentences)
        if not chosen:
            return []
        vectors = self.cache.vectors([sentences[i] for i in chosen])
        scores = (vectors @ found.rows.T).max(axis=1)
        order = np.argsort(-scores, kind="stable")[: self.limit]
        return [(chosen[int(i)], round(float(scores[i]), 3)) for i in order if scores[i] >= self.near]

    def stance(self, sentence: str, similarity: float) -> Stance:
        """The stance of a proposed sentence the rules could not judge (see `semantic_stance`)."""
        return semantic_stance(sentence, similarity, self.same)


def semantic_stance(sentence: str, similarity: float, same: float) -> Stance:
    """A close restatement of a claim supports it; one that doubts, debunks or negates it disputes it; a
    question or a looser match mentions it."""
    if doubts(sentence) or debunk_framing(sentence):
        return "disputes"
    if is_question(sentence) or _NEGATION.search(sentence):
        return "mentions"
    return "supports" if similarity >= same else "mentions"


def with_semantic_finder(
    matchers: Sequence[ClaimMatcher], cache: SentenceVectors
) -> tuple[ClaimMatcher, ...]:
    """The claim sets among `matchers` with a `SemanticClaimFinder` over `cache`'s encoder added (others as
    they are); unchanged unless the model's finder is on (`FINDER_ON`)."""
    if cache.name not in FINDER_ON:
        return tuple(matchers)
    return tuple(
        m.with_finders([SemanticClaimFinder(cache, m.claims, cache=cache)]) if isinstance(m, ClaimSet) else m
        for m in matchers
    )


def semantic_matching(
    matchers: Sequence[ClaimMatcher], encoder: Encoder
) -> tuple[SentenceVectors, tuple[ClaimMatcher, ...]]:
    """The process's sentence cache for an encoder and the matchers with the semantic finder over it (made
    once per process and set of matchers: the claims' wordings are encoded once)."""
    key = (id(encoder), *map(id, matchers))
    found = _MATCHING.get(key)
    if found is None or found[0] is not encoder or len(found[1]) != len(matchers):
        cache = SentenceVectors(encoder)
        found = _MATCHING[key] = (encoder, tuple(matchers), cache, with_semantic_finder(matchers, cache))
        while len(_MATCHING) > 8:
            _MATCHING.pop(next(iter(_MATCHING)))
    return found[2], found[3]


# (encoder, matchers, cache, matchers with the finder) by the ids of the first two (kept alive here).
_MATCHING: dict[
    tuple[int, ...], tuple[Encoder, tuple[ClaimMatcher, ...], SentenceVectors, tuple[ClaimMatcher, ...]]
] = {}
