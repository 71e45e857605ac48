"""Exact and near-duplicate texts: outlet boilerplate removed, then MinHash with LSH over character shingles.

- `OutletLines` counts, per outlet, how many pages carried each line; a line seen on
  `boilerplate_min_pages` pages (this one included) is the outlet's furniture (footers, "read more",
  newsletter boxes) and is left out before texts are compared.
- `NearDuplicateIndex` holds one signature per article (`crawler.judge.minhash`) filed in LSH bands
  (`crawler.judge.lsh`); a candidate is a copy when the estimated Jaccard similarity of the two shingle
  sets reaches `near_duplicate_threshold`, or when the smaller text is found in the larger one to
  `containment_threshold` (a copy with an added intro or a dropped paragraph). Two pages of one outlet
  must also have alike titles: pages of one site share navigation and footers that are not yet known as
  boilerplate while the outlet has few pages.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

import numpy as np
import numpy.typing as npt
import xxhash

from crawler.judge.lsh import BandIndex, lsh_params
from crawler.judge.minhash import U32, U64, Signature, mix64, shingle_hashes, signature, text_codes

logger = logging.getLogger(__name__)

# Below this many distinct shingles (about one sentence) similarity estimates are too coarse to act on.
MIN_SHINGLES = 40
# Containment is estimated from Jaccard and set sizes; under this Jaccard the estimate is too noisy.
CONTAINMENT_MIN_JACCARD = 0.3
# Titles of two pages of one outlet count as alike from this estimated Jaccard of their character bigrams.
TITLE_ALIKE = 0.5
_TITLE_PERM = 16
_CHUNK = 1 << 14


def line_hash(line: str) -> str:
    """The stored key of a line (`outlet_lines.line_hash`): 16 hex digits, blind to case and spacing."""
    folded = " ".join(unicodedata.normalize("NFKC", line).lower().split())
    return xxhash.xxh3_64_hexdigest(folded.encode("utf-8", "surrogatepass"))


class OutletLines:
    """How many pages of each outlet carried each line; lines on many pages are boilerplate.

    Counts are kept under the line hash as an integer (a third of the memory of its hex string).
    """

    def __init__(self, min_pages: int) -> None:
        self.min_pages = min_pages
        self._counts: dict[str, dict[int, int]] = {}

    def load(self, rows: Iterable[tuple[str, str, int]]) -> None:
        """Add stored counts: (outlet, line hash, pages)."""
        for outlet, key, pages in rows:
            counts = self._counts.setdefault(outlet, {})
            number = int(key, 16)
            counts[number] = counts.get(number, 0) + int(pages)

    def split(self, outlet: str, text: str) -> tuple[str, tuple[str, ...]]:
        """The text without the outlet's boilerplate lines, and the hashes of all its distinct lines."""
        counts = self._counts.get(outlet, {})
        kept: list[str] = []
        hashes: dict[str, None] = {}
        for line in text.splitlines():
            if not line.strip():
                continue
            key = line_hash(line)
            hashes[key] = None
            if counts.get(int(key, 16), 0) + 1 < self.min_pages:
                kept.append(line)
        if not kept:  # a page of nothing but known lines: compare it whole rather than as nothing
            return text, tuple(hashes)
        return "\n".join(kept), tuple(hashes)

    def count(self, outlet: str, hashes: Iterable[str]) -> None:
        """One more page of this outlet carried these lines."""
        counts = self._counts.setdefault(outlet, {})
        for key in hashes:
            number = int(key, 16)
            counts[number] = counts.get(number, 0) + 1

    def pages(self, outlet: str, key: str) -> int:
        """How many pages of the outlet carried the line."""
        return self._counts.get(outlet, {}).get(int(key, 16), 0)

    def rows(self) -> list[tuple[str, str, int]]:
        """Every count as (outlet, line hash, pages), the shape of `outlet_lines`."""
        return [(o, f"{k:016x}", n) for o, counts in self._counts.items() for k, n in counts.items()]


@dataclass(frozen=True)
class NearMatch:
    """An indexed article whose text the queried one copies, with the estimates that say so."""

    key: int
    jaccard: float
    containment: float
    same_outlet: bool

    @property
    def score(self) -> float:
        """How closely the texts agree: the larger of the two estimates."""
        return max(self.jaccard, self.containment)

    def reason(self) -> str:
        """A sentence a person can check."""
        return (
            f"{self.containment:.0%} of the shorter text's shingles shared with #{self.key} "
            f"(Jaccard {self.jaccard:.2f})" + (", same outlet and alike titles" if self.same_outlet else "")
        )


class NearDuplicateIndex:
    """Signatures of every indexed article, in LSH bands; finds the articles a text copies."""

    def __init__(
        self,
        num_perm: int = 128,
        shingle_size: int = 5,
        threshold: float = 0.5,
        containment_threshold: float = 0.7,
    ) -> None:
        self.num_perm = num_perm
        self.shingle_size = shingle_size
        self.threshold = threshold
        self.containment_threshold = containment_threshold
        bands, rows = lsh_params(min(threshold, 0.5), num_perm)
        self.bands = BandIndex(bands, rows)
        self._keys: list[np.ndarray] = []
        self._sizes: list[np.ndarray] = []
        self._sigs: list[np.ndarray] = []
        self._titles: list[np.ndarray] = []
        self._outlets: list[np.ndarray] = []
        self._outlet_ids: dict[str, int] = {}
        self._count = 0

    def __len__(self) -> int:
        return self._count

    @property
    def nbytes(self) -> int:
        """Memory held by signatures, row data and LSH tables."""
        arrays = [*self._keys, *self._sizes, *self._sigs, *self._titles, *self._outlets]
        return self.bands.nbytes + sum(int(a.nbytes) for a in arrays)

    def signature(self, text: str) -> Signature:
        """The signature of a (boilerplate-free) text under this index's settings."""
        return signature(text, self.num_perm, self.shingle_size)

    def title_signature(self, title: str) -> U32:
        """A small MinHash of a title's character pairs, to tell alike titles of one outlet."""
        return title_signature(title)

    def usable(self, sig: Signature) -> bool:
        """Whether a signature can be compared here (same settings, enough text)."""
        return (
            sig.num_perm == self.num_perm
            and sig.shingle_size == self.shingle_size
            and sig.shingles >= MIN_SHINGLES
        )

    def add(self, key: int, sig: Signature, outlet: str, title: str) -> None:
        """Index an article's signature; unusable signatures (too short, other settings) are skipped."""
        if not self.usable(sig):
            return
        row = self._count
        chunk, offset = divmod(row, _CHUNK)
        if chunk == len(self._keys):
            self._keys.append(np.zeros(_CHUNK, dtype=np.int64))
            self._sizes.append(np.zeros(_CHUNK, dtype=np.int32))
            self._sigs.append(np.zeros((_CHUNK, self.num_perm), dtype=np.uint32))
            self._titles.append(np.zeros((_CHUNK, _TITLE_PERM), dtype=np.uint32))
            self._outlets.append(np.zeros(_CHUNK, dtype=np.int32))
        self._keys[chunk][offset] = key
        self._sizes[chunk][offset] = sig.shingles
        self._sigs[chunk][offset] = sig.values
        self._titles[chunk][offset] = self.title_signature(title)
        self._outlets[chunk][offset] = self._outlet_ids.setdefault(outlet, len(self._outlet_ids))
        self.bands.add(self.bands.band_keys(sig.values), row)
        self._count += 1

    def matches(
        self, sig: Signature, outlet: str, title: str, limit: int | None = None, key: int | None = None
    ) -> list[NearMatch]:
        """Indexed articles this text copies, best first (earliest indexed first among equals).

        `limit` keeps the best ones only, `key` only the one indexed under that key. Candidates are
        compared all at once: a site whose pages share most of their text puts nearly every page in the
        same LSH buckets, and a Python step per candidate made each query as slow as the index was large.
        """
        if not self.usable(sig) or not self._count:
            return []
        rows = self.bands.candidates(self.bands.band_keys(sig.values))
        if not rows.size:
            return []
        sigs, sizes, titles, outlets, keys = self._gather(rows)
        jaccard = np.count_nonzero(sigs == sig.values, axis=1) / self.num_perm
        shared = jaccard * (sizes + sig.shingles) / (1.0 + jaccard)
        contained = np.minimum(1.0, shared / np.minimum(sizes, sig.shingles))
        copies = (jaccard >= self.threshold) | (
            (jaccard >= CONTAINMENT_MIN_JACCARD) & (contained >= self.containment_threshold)
        )
        if key is not None:
            copies &= keys == key
        same_outlet = outlets == self._outlet_ids.get(outlet, -1)
        if (copies & same_outlet).any():
            alike = _alike_rows(titles, self.title_signature(title))
            copies &= ~same_outlet | alike
        found = np.flatnonzero(copies)
        score = np.maximum(jaccard[found], contained[found])
        found = found[np.lexsort((rows[found], -score))][:limit]
        return [
            NearMatch(int(keys[i]), float(jaccard[i]), float(contained[i]), bool(same_outlet[i]))
            for i in found
        ]

    def _gather(
        self, rows: npt.NDArray[np.int32]
    ) -> tuple[U32, npt.NDArray[np.float64], U32, npt.NDArray[np.int32], npt.NDArray[np.int64]]:
        """Signatures, shingle counts, title signatures, outlets and keys of (sorted) rows."""
        parts: list[tuple[U32, npt.NDArray[np.float64], U32, npt.NDArray[np.int32], npt.NDArray[np.int64]]]
        parts = []
        for part in np.split(rows, np.flatnonzero(np.diff(rows // _CHUNK)) + 1):
            chunk, offsets = int(part[0]) // _CHUNK, part % _CHUNK
            parts.append(
                (
                    self._sigs[chunk][offsets],
                    self._sizes[chunk][offsets].astype(np.float64),
                    self._titles[chunk][offsets],
                    self._outlets[chunk][offsets],
                    self._keys[chunk][offsets],
                )
            )
        sigs, sizes, titles, outlets, keys = (np.concatenate(column) for column in zip(*parts, strict=True))
        return sigs, sizes, titles, outlets, keys


@cache
def _title_perms() -> tuple[U64, U64]:
    seeds = np.arange(2 * _TITLE_PERM, dtype=np.uint64) + np.uint64(0x5EED)
    mixed = mix64(seeds) | np.uint64(1)  # multiply-shift needs odd multipliers
    return mixed[:_TITLE_PERM, None], mixed[_TITLE_PERM:, None]


def title_signature(title: str) -> U32:
    """A 16-value MinHash of a title's character pairs (multiply-shift permutations; titles are short)."""
    hashes = shingle_hashes(text_codes(title), 2)
    if not hashes.size:
        return np.full(_TITLE_PERM, 0xFFFFFFFF, dtype=np.uint32)
    multipliers, offsets = _title_perms()
    mins: U32 = ((multipliers * hashes[None, :] + offsets) >> np.uint64(32)).min(axis=1).astype(np.uint32)
    return mins


def _alike_rows(titles: U32, title: U32) -> npt.NDArray[np.bool_]:
    """Which rows of title signatures are alike to this one."""
    alike: npt.NDArray[np.bool_] = np.count_nonzero(titles == title, axis=1) / titles.shape[1] >= TITLE_ALIKE
    return alike


def exact_key(content_hash: str) -> int:
    """A compact dictionary key for a content hash (its first 64 bits)."""
    return int(content_hash[:16], 16)
