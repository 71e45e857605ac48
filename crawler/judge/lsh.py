"""Locality-sensitive hashing of MinHash signatures in compact numpy tables.

The banding scheme is datasketch's `MinHashLSH`: `bands` bands of `rows` values each, two signatures are
candidates when all values of at least one band agree; `lsh_params` finds the (bands, rows) that balance
false positives and false negatives around a threshold, as datasketch's `_optimal_param` does (computed
here: importing datasketch and scipy for it took seconds of every crawl's start-up). Only the storage differs:
datasketch keeps a Python set per bucket (about 11 KB per article with 32 bands, measured in
`benchmarks/dedup_speed.py`), which would not fit a million articles in memory; here each band is an
open-addressing table of 32-bit band fingerprints and 32-bit row numbers (8 bytes per slot, at most half
full), probed for all bands at once with numpy.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import numpy.typing as npt

from crawler.judge.minhash import U32, mix64

_EMPTY_ROW = np.int32(-1)
_S32 = np.uint64(32)
_LOW32 = np.uint64(0xFFFFFFFF)
_BAND_BASE = np.uint64(0x100000001B3)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_WINDOW = np.arange(8, dtype=np.intp)  # slots read per probe step

Rows = npt.NDArray[np.int32]


@cache
def lsh_params(threshold: float, num_perm: int, false_negative_weight: float = 0.9) -> tuple[int, int]:
    """(bands, rows per band) that datasketch would choose for this Jaccard threshold, recall weighted.

    The weighted sum of the false-positive probability integrated over similarities below the threshold
    and the false-negative probability above it, minimised over all bands × rows ≤ num_perm. The
    integrands are polynomials of degree at most num_perm, so Gauss-Legendre quadrature with more than
    num_perm / 2 nodes integrates them exactly.
    """
    nodes, weights = np.polynomial.legendre.leggauss(num_perm // 2 + 2)
    below = (nodes + 1) * threshold / 2  # nodes mapped onto [0, threshold] and [threshold, 1]
    above = threshold + (nodes + 1) * (1 - threshold) / 2
    fp_weight = round(1.0 - false_negative_weight, 6)
    fn_weight = round(false_negative_weight, 6)
    best, chosen = float("inf"), (0, 0)
    for bands in range(1, num_perm + 1):
        for rows in range(1, num_perm // bands + 1):
            hit_below = 1 - (1 - below**rows) ** bands
            miss_above = (1 - above**rows) ** bands
            false_positive = float(weights @ hit_below) * threshold / 2
            false_negative = float(weights @ miss_above) * (1 - threshold) / 2
            error = false_positive * fp_weight + false_negative * fn_weight
            if error < best:
                best, chosen = error, (bands, rows)
    return chosen


class BandIndex:
    """Rows (small integers) filed under the band hashes of their signatures; finds rows sharing a band."""

    def __init__(self, bands: int, rows: int, capacity: int = 1024) -> None:
        if bands < 1 or rows < 1:
            raise ValueError("bands and rows per band must be positive")
        self.bands = bands
        self.rows = rows
        self.probe_steps = 0  # runs of slots read by `add` and `candidates`, all bands at once: the work done
        self._size = 0
        self._alloc(max(16, 1 << (max(capacity, 16) - 1).bit_length()))

    def _alloc(self, capacity: int) -> None:
        self._capacity = capacity
        self._mask = capacity - 1
        self._keys = np.zeros((self.bands, capacity), dtype=np.uint32)
        self._rows = np.full((self.bands, capacity), _EMPTY_ROW, dtype=np.int32)
        self._band_ids = np.arange(self.bands, dtype=np.intp)

    def __len__(self) -> int:
        return self._size

    @property
    def nbytes(self) -> int:
        """Memory held by the tables."""
        return int(self._keys.nbytes + self._rows.nbytes)

    def band_keys(self, values: U32) -> U32:
        """One 32-bit fingerprint per band of a signature."""
        used = values[: self.bands * self.rows].astype(np.uint64).reshape(self.bands, self.rows)
        hashes = used[:, 0].copy()
        for column in range(1, self.rows):
            hashes *= _BAND_BASE
            hashes += used[:, column]
        # the band number enters the hash so equal values in different bands look unrelated
        hashes += self._band_ids.astype(np.uint64) * _GOLDEN
        return (mix64(hashes) & _LOW32).astype(np.uint32)

    def _home(self, keys: U32) -> npt.NDArray[np.intp]:
        # the slot comes from the fingerprint alone, so the tables can grow without the full hashes
        return ((keys.astype(np.uint64) * np.uint64(self._capacity)) >> _S32).astype(np.intp)

    def add(self, keys: U32, row: int) -> None:
        """File `row` under its band fingerprints (from `band_keys`)."""
        if (self._size + 1) * 2 > self._capacity:
            self._grow()
        bands, slots, width = self._band_ids, self._home(keys), _WINDOW
        while bands.size:
            self.probe_steps += 1
            window = (slots[:, None] + width) & self._mask
            free = self._rows[bands[:, None], window] == _EMPTY_ROW
            found = free.any(axis=1)
            target = window[np.arange(bands.size), free.argmax(axis=1)][found]
            self._rows[bands[found], target] = row
            self._keys[bands[found], target] = keys[found]
            bands, slots, keys = bands[~found], (slots[~found] + width.size) & self._mask, keys[~found]
            width = self._wider(width)
        self._size += 1

    def candidates(self, keys: U32) -> Rows:
        """Rows that share at least one band with these band fingerprints, each once."""
        bands, slots, width = self._band_ids, self._home(keys), _WINDOW
        found: list[Rows] = []
        while bands.size:
            # read a run of slots per band at once: a probe chain ends at the first empty slot
            self.probe_steps += 1
            window = (slots[:, None] + width) & self._mask
            rows = self._rows[bands[:, None], window]
            chained = np.logical_and.accumulate(rows != _EMPTY_ROW, axis=1)
            hit = chained & (self._keys[bands[:, None], window] == keys[:, None])
            if hit.any():
                found.append(rows[hit])
            more = chained[:, -1]
            bands, slots, keys = bands[more], (slots[more] + width.size) & self._mask, keys[more]
            width = self._wider(width)
        if not found:
            return np.empty(0, dtype=np.int32)
        return np.unique(np.concatenate(found))

    def _wider(self, window: npt.NDArray[np.intp]) -> npt.NDArray[np.intp]:
        """The next run of slots to read along a probe chain: twice as long, up to the table's size.

        Pages that share most of their text share band fingerprints, and equal fingerprints sit in one
        probe chain as long as the bucket: reading it eight slots at a time took a numpy step per eight
        rows indexed (the same chains, read in runs that double, take a step per doubling).
        """
        return np.arange(min(2 * window.size, self._capacity), dtype=np.intp)

    def _place(self, bands: npt.NDArray[np.intp], keys: U32, rows: Rows) -> None:
        """Linear probing for many entries at once (when the tables grow); racing entries take turns."""
        slots = self._home(keys)
        flat_rows = self._rows.reshape(-1)
        flat_keys = self._keys.reshape(-1)
        while bands.size:
            flat = bands * self._capacity + slots
            free = np.flatnonzero(flat_rows[flat] == _EMPTY_ROW)
            winners = np.zeros(bands.size, dtype=np.bool_)
            if free.size:
                _, first = np.unique(flat[free], return_index=True)
                winners[free[first]] = True
                flat_rows[flat[winners]] = rows[winners]
                flat_keys[flat[winners]] = keys[winners]
            losers = ~winners
            bands, slots, keys, rows = (
                bands[losers],
                (slots[losers] + 1) & self._mask,
                keys[losers],
                rows[losers],
            )

    def _grow(self) -> None:
        old_rows, old_keys = self._rows, self._keys
        self._alloc(self._capacity * 2)
        for band in range(self.bands):  # one band at a time keeps the temporary arrays small
            slots = np.flatnonzero(old_rows[band] != _EMPTY_ROW)
            bands = np.full(slots.size, band, dtype=np.intp)
            self._place(bands, old_keys[band, slots], old_rows[band, slots])
