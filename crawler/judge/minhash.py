"""MinHash signatures of character shingles, fast and the same in every process.

A text is normalised (NFKC, lower case, letters and digits only), cut into overlapping character shingles
(Chinese needs no word segmentation), and each shingle hashed once with a polynomial rolling hash and
MurmurHash3's 64-bit finaliser, all vectorised in numpy. The signature is one-permutation hashing
(Li, Owen & Zhang 2012): each hash falls into one of `num_perm` bins by its high bits and a bin keeps its
smallest low 32 bits; bins left empty by short texts are filled by optimal densification (Shrivastava 2017),
so every position of two signatures agrees with probability close to the Jaccard similarity of their
shingle sets, as with `num_perm` independent permutations, at the cost of one hash per shingle.

Signatures are stored (`articles.minhash`), so nothing here depends on Python's `hash()` or on a random
seed: the same text gives the same bytes on every machine and in every process.

Errors::

    SignatureError      stored bytes that are not a signature of this format
"""

from __future__ import annotations

import struct
import unicodedata
from dataclasses import dataclass
from functools import cache

import numpy as np
import numpy.typing as npt

EMPTY = np.uint32(0xFFFFFFFF)
_HEADER = struct.Struct("<4sBBHI")  # magic, format version, shingle size, num_perm, distinct shingles
_MAGIC = b"SWMH"
_VERSION = 1

_BASE = np.uint64(0x100000001B3)  # FNV-1a 64-bit prime: the rolling hash's base
_MIX1 = np.uint64(0xFF51AFD7ED558CCD)
_MIX2 = np.uint64(0xC4CEB9FE1A85EC53)
_S32 = np.uint64(32)
_S33 = np.uint64(33)
_LOW32 = np.uint64(0xFFFFFFFF)

U32 = npt.NDArray[np.uint32]
U64 = npt.NDArray[np.uint64]


class SignatureError(ValueError):
    """Bytes that cannot be read back as a signature."""


def mix64(values: U64) -> U64:
    """MurmurHash3's 64-bit finaliser, in place and returned: spreads every input bit over the output."""
    values ^= values >> _S33
    values *= _MIX1
    values ^= values >> _S33
    values *= _MIX2
    values ^= values >> _S33
    return values


@cache
def _alnum_table() -> npt.NDArray[np.bool_]:
    """Which code points of the Basic Multilingual Plane are letters or digits (the rest is dropped)."""
    return np.fromiter((chr(code).isalnum() for code in range(0x10000)), dtype=np.bool_, count=0x10000)


def text_codes(text: str) -> U64:
    """The text's letters and digits after NFKC and lower-casing, as code points."""
    folded = unicodedata.normalize("NFKC", text).lower()
    codes = np.frombuffer(folded.encode("utf-32-le", "surrogatepass"), dtype="<u4")
    keep = np.ones(codes.shape, dtype=np.bool_)
    basic = codes < 0x10000
    keep[basic] = _alnum_table()[codes[basic]]
    return codes[keep].astype(np.uint64)


def shingle_hashes(codes: U64, size: int) -> U64:
    """One 64-bit hash per character shingle of `size` code points (a shorter text is one shingle)."""
    count = len(codes) - size + 1
    if count <= 0:
        if not len(codes):
            return np.empty(0, dtype=np.uint64)
        count, size = 1, len(codes)
    hashes = codes[:count].copy()
    for offset in range(1, size):
        hashes *= _BASE
        hashes += codes[offset : offset + count]
    return mix64(hashes)


@dataclass(frozen=True, eq=False)
class Signature:
    """The MinHash of one text: `num_perm` uint32 values and the number of distinct shingles it had."""

    values: U32
    shingles: int
    shingle_size: int

    @property
    def num_perm(self) -> int:
        """How many values the signature has."""
        return len(self.values)

    def to_bytes(self) -> bytes:
        """The stored form: a small header and the values, little-endian."""
        header = _HEADER.pack(_MAGIC, _VERSION, self.shingle_size, self.num_perm, self.shingles)
        return header + self.values.astype("<u4").tobytes()

    @classmethod
    def from_bytes(cls, data: bytes) -> Signature:
        """Read a stored signature back."""
        if len(data) < _HEADER.size:
            raise SignatureError(f"a signature needs at least {_HEADER.size} bytes, got {len(data)}")
        magic, version, size, num_perm, shingles = _HEADER.unpack_from(data)
        if magic != _MAGIC or version != _VERSION:
            raise SignatureError(f"not a seedwatch signature of version {_VERSION} (starts {data[:6]!r})")
        if len(data) != _HEADER.size + 4 * num_perm:
            raise SignatureError(
                f"signature of {num_perm} values should have {_HEADER.size + 4 * num_perm} bytes"
            )
        values = np.frombuffer(data, dtype="<u4", offset=_HEADER.size).astype(np.uint32)
        return cls(values=values, shingles=shingles, shingle_size=size)

    def jaccard(self, other: Signature) -> float:
        """Estimated Jaccard similarity of the two shingle sets."""
        if not self.shingles or not other.shingles:
            return 0.0
        return float(np.count_nonzero(self.values == other.values)) / self.num_perm

    def containment(self, other: Signature) -> float:
        """Estimated share of the smaller shingle set found in the larger one."""
        return containment(self.jaccard(other), self.shingles, other.shingles)


def containment(jaccard: float, size_a: int, size_b: int) -> float:
    """Share of the smaller set inside the larger, from their Jaccard similarity and sizes."""
    smaller = min(size_a, size_b)
    if smaller <= 0 or jaccard <= 0:
        return 0.0
    shared = jaccard * (size_a + size_b) / (1.0 + jaccard)
    return min(1.0, shared / smaller)


@cache
def _probe_order(num_perm: int) -> npt.NDArray[np.intp]:
    """For each bin, a fixed pseudo-random order of the other bins to borrow from when it is empty."""
    rounds = 8
    seeds = np.arange(num_perm * rounds, dtype=np.uint64) + np.uint64(0x9E3779B97F4A7C15)
    picks = (mix64(seeds) >> _S32) * np.uint64(num_perm) >> _S32
    return picks.astype(np.intp).reshape(num_perm, rounds)


def _densify(values: U32) -> U32:
    """Fill empty bins from non-empty ones in a fixed order, so short texts still compare position-wise."""
    empty = values == EMPTY
    if not empty.any() or empty.all():
        return values
    bins = np.flatnonzero(empty)
    sources = _probe_order(len(values))[bins]
    usable = ~empty[sources]
    picked = sources[np.arange(len(bins)), usable.argmax(axis=1)]
    # a bin whose fixed probes all hit empty bins borrows from the next non-empty bin, circularly
    full = np.flatnonzero(~empty)
    following = full[np.searchsorted(full, bins) % len(full)]
    filled = values.copy()
    filled[bins] = values[np.where(usable.any(axis=1), picked, following)]
    return filled


def signature_of_hashes(hashes: U64, num_perm: int, shingle_size: int) -> Signature:
    """The signature of a set of shingle hashes (repeats are harmless)."""
    if not len(hashes):
        return Signature(np.full(num_perm, EMPTY, dtype=np.uint32), 0, shingle_size)
    bins = (((hashes >> _S32) * np.uint64(num_perm)) >> _S32).astype(np.intp)
    lows = (hashes & _LOW32).astype(np.uint32)
    values = np.full(num_perm, EMPTY, dtype=np.uint32)
    np.minimum.at(values, bins, lows)
    ordered = np.sort(hashes)
    distinct = 1 + int(np.count_nonzero(ordered[1:] != ordered[:-1]))
    return Signature(_densify(values), distinct, shingle_size)


def signature(text: str, num_perm: int = 128, shingle_size: int = 5) -> Signature:
    """The MinHash signature of a text's character shingles."""
    return signature_of_hashes(shingle_hashes(text_codes(text), shingle_size), num_perm, shingle_size)
