"""Near-duplicate indexing speed and memory, ours against datasketch, on synthetic ~6,000-character articles.

(a) Articles per second on one core (pinned with `os.sched_setaffinity` where the OS allows), all in
    the same run on the same articles (half English-like words, half Chinese characters, Zipf-distributed):
    - datasketch as it comes: `MinHash(num_perm=128)` with its default hash (SHA-1) over the 5-character
      shingles, then `MinHashLSH(threshold=0.5)` query and insert (its own bands);
    - datasketch set as close to ours as it allows: the same 5-character shingles hashed once each with
      xxHash32 (its docs' advice for speed), 128 permutations (datasketch has no one-permutation hashing),
      and our bands × rows passed as `params`;
    - ours: `NearDuplicateIndex` signature, query and add (what the crawl pays per article for near
      duplicates), and the whole `Judge` for an article outside the watched topics (content hash,
      outlet boilerplate lines, signature, exact and near duplicate look-ups, indexing).
(b) An index of `--n` (default 1,000,000) synthetic articles: signature, query and insert time per
    article, memory per article (the index's own arrays, and the process's resident-memory growth), and
    the recall of planted near copies (every 100th article copies an earlier one with a new intro and a
    paragraph dropped) with the number of other articles reported as copies.
(c) datasketch's `MinHashLSH` memory per article for comparison, on `--lsh-n` random signatures.

Run: `python -m benchmarks dedup_speed`, or `python -m benchmarks.dedup_speed --n 20000` for a quick run.
"""

from __future__ import annotations

import argparse
import gc
import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import numpy as np
import xxhash
from datasketch import MinHash, MinHashLSH

from benchmarks._results import write_section
from crawler.config import JudgeSettings
from crawler.judge.core import Judge
from crawler.judge.dedup import NearDuplicateIndex
from crawler.judge.minhash import text_codes
from crawler.judge.types import StoredArticle

ARTICLE_CHARS = 6000
_CJK_COMMON = np.arange(0x4E00, 0x4E00 + 3500, dtype=np.uint32)
# English letter frequencies: with 50,000 such words, Zipf-distributed, two unrelated synthetic articles
# share as many 5-character shingles as two unrelated English articles of the shared corpus do
# (median Jaccard about 0.05), which decides how many LSH candidates a query meets
_LETTER_FREQUENCY = np.array(
    [
        *(12.7, 9.1, 8.2, 7.5, 7.0, 6.7, 6.3, 6.1, 6.0, 4.3, 4.0, 2.8, 2.8),  # e t a o i n s h r d l c u
        *(2.4, 2.4, 2.2, 2.0, 2.0, 1.9, 1.5, 1.0, 0.8, 0.15, 0.15, 0.1, 0.07),  # m w f g y p b v k j x q z
    ],
    dtype=np.float64,
)
_LETTER_FREQUENCY /= _LETTER_FREQUENCY.sum()


class Articles:
    """Synthetic articles: Zipf-distributed words or Chinese characters, one paragraph per ~400 characters."""

    def __init__(self, seed: int = 7) -> None:
        self.rng = np.random.default_rng(seed)
        letters = np.array(list("etaoinshrdlcumwfgypbvkjxqz"))
        lengths = self.rng.integers(3, 11, size=50000)
        self.words = np.array(
            ["".join(self.rng.choice(letters, size=n, p=_LETTER_FREQUENCY)) for n in lengths], dtype=object
        )
        self.word_cdf = np.cumsum(1.0 / np.arange(1, len(self.words) + 1) ** 0.9)
        self.word_cdf /= self.word_cdf[-1]
        self.char_cdf = np.cumsum(1.0 / np.arange(1, len(_CJK_COMMON) + 1) ** 0.9)
        self.char_cdf /= self.char_cdf[-1]

    def english(self) -> str:
        ids = np.searchsorted(self.word_cdf, self.rng.random(1000))
        words = self.words[ids]
        words[::70] = "\n"
        return " ".join(words)[:ARTICLE_CHARS]

    def chinese(self) -> str:
        codes = _CJK_COMMON[np.searchsorted(self.char_cdf, self.rng.random(ARTICLE_CHARS))]
        codes[::400] = ord("\n")
        return codes.tobytes().decode("utf-32-le")

    def stream(self, count: int) -> Iterator[str]:
        for number in range(count):
            yield self.english() if number % 2 else self.chinese()


def near_copy(text: str, rng: np.random.Generator) -> str:
    """A copy with a new intro and one paragraph dropped."""
    paragraphs = text.split("\n")
    if len(paragraphs) > 3:
        del paragraphs[int(rng.integers(1, len(paragraphs) - 1))]
    return "Republished with permission from our partners at the wire.\n" + "\n".join(paragraphs)


def pin_one_core() -> str:
    """Run on one core, so rates are single-core rates."""
    try:
        core = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {core})
        return f"pinned to core {core}"
    except (AttributeError, OSError):
        return "not pinned (no sched_setaffinity here)"


def rss() -> int:
    """Resident memory of this process, bytes."""
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


# --- (a) rates ---------------------------------------------------------------------------------------


def datasketch_rate(
    texts: list[str], bands: tuple[int, int] | None = None, fast_hash: bool = False
) -> tuple[float, tuple[int, int]]:
    """Articles per second (and the bands used): datasketch MinHash of 5-char shingles, LSH query, insert.

    Defaults are datasketch's own (SHA-1, its optimal bands for threshold 0.5); `bands` and `fast_hash`
    (xxHash32 instead of SHA-1) set it as close to our index as datasketch allows.
    """
    lsh = MinHashLSH(threshold=0.5, num_perm=128, params=bands)
    hashfunc = {"hashfunc": xxhash.xxh32_intdigest} if fast_hash else {}
    started = time.perf_counter()
    for key, text in enumerate(texts):
        compact = "".join(chr(c) for c in text_codes(text).tolist())
        minhash = MinHash(num_perm=128, **hashfunc)
        minhash.update_batch([compact[i : i + 5].encode("utf-8") for i in range(len(compact) - 4)])
        lsh.query(minhash)
        lsh.insert(key, minhash)
    return len(texts) / (time.perf_counter() - started), (lsh.b, lsh.r)


def ours_rate(texts: list[str]) -> float:
    """Articles per second: our signature, query and add."""
    index = NearDuplicateIndex()
    started = time.perf_counter()
    for key, text in enumerate(texts):
        sig = index.signature(text)
        index.matches(sig, "outlet", "")
        index.add(key, sig, "outlet", "")
    return len(texts) / (time.perf_counter() - started)


def judge_rate(texts: list[str]) -> float:
    """Articles per second through the whole `Judge`, for articles outside the watched topics."""
    judge = Judge(JudgeSettings())
    when = datetime(2025, 1, 1, tzinfo=UTC)
    started = time.perf_counter()
    for key, text in enumerate(texts):
        doc = StoredArticle(
            key=key, url=f"u{key}", outlet=f"outlet{key % 50}", title=f"title {key}", text=text, lang="en",
            fetched=when, relevant=False,
        )  # fmt: skip
        judge.index(doc, judge.assess(doc), None)
    return len(texts) / (time.perf_counter() - started)


# --- (b) a million articles --------------------------------------------------------------------------


def scale(count: int) -> dict[str, float]:
    """Build an index of `count` synthetic articles with planted near copies; times, memory, recall."""
    articles = Articles(seed=11)
    rng = np.random.default_rng(5)
    index = NearDuplicateIndex()
    recent: list[tuple[int, str]] = []
    group: dict[int, int] = {}  # planted copy -> the article it copies
    planted = found = others = 0
    sig_time = query_time = add_time = 0.0
    gc.collect()
    before = rss()
    for key, generated in enumerate(articles.stream(count)):
        original, text = None, generated
        if key % 100 == 99 and recent:
            original, source = recent[int(rng.integers(len(recent)))]
            text = near_copy(source, rng)
            group[key] = group.get(original, original)
        t0 = time.perf_counter()
        sig = index.signature(text)
        t1 = time.perf_counter()
        matches = index.matches(sig, "o", "")
        t2 = time.perf_counter()
        index.add(key, sig, "o", "")
        t3 = time.perf_counter()
        sig_time, query_time, add_time = sig_time + t1 - t0, query_time + t2 - t1, add_time + t3 - t2
        if original is not None:
            planted += 1
            found += any(m.key == original for m in matches)
        # a copy of the same original found earlier is right too; anything else is a false copy
        mine = group.get(key, key)
        others += sum(1 for m in matches if group.get(m.key, m.key) != mine)
        if key % 97 == 0:
            recent = [*recent[-199:], (key, text)]
    gc.collect()
    return {
        "count": count,
        "signature_us": sig_time / count * 1e6,
        "query_us": query_time / count * 1e6,
        "insert_us": add_time / count * 1e6,
        "index_bytes": index.nbytes / count,
        "rss_bytes": (rss() - before) / count,
        "planted": planted,
        "found": found,
        "others": others,
        "bands": index.bands.bands,
        "rows": index.bands.rows,
    }


def datasketch_lsh_memory(count: int, bands: tuple[int, int]) -> tuple[float, float]:
    """Resident bytes per article and insert microseconds of datasketch's `MinHashLSH` (random signatures)."""

    class Sketch:
        scheme = "benchmark"

        def __init__(self, values: np.ndarray) -> None:
            self.hashvalues = values

        def __len__(self) -> int:
            return len(self.hashvalues)

    rng = np.random.default_rng(1)
    signatures = rng.integers(0, 2**32, size=(count, 128), dtype=np.uint64)
    lsh = MinHashLSH(threshold=0.5, num_perm=128, params=bands)
    gc.collect()
    before = rss()
    started = time.perf_counter()
    for key in range(count):
        lsh.insert(key, Sketch(signatures[key]), check_duplication=False)
    seconds = time.perf_counter() - started
    gc.collect()
    return (rss() - before) / count, seconds / count * 1e6


def main(argv: list[str]) -> int:
    """Measure and write the `dedup_speed` section."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.dedup_speed")
    parser.add_argument("--n", type=int, default=1_000_000, help="articles in the scale run (b)")
    parser.add_argument("--rate-n", type=int, default=2000, help="articles in the rate comparison (a)")
    parser.add_argument(
        "--lsh-n", type=int, default=100_000, help="signatures in the datasketch memory run (c)"
    )
    args = parser.parse_args(argv)
    pinned = pin_one_core()
    texts = list(Articles().stream(args.rate_n))
    index = NearDuplicateIndex()
    ours_bands = (index.bands.bands, index.bands.rows)
    as_shipped, their_bands = datasketch_rate(texts)
    closest, _ = datasketch_rate(texts, bands=ours_bands, fast_hash=True)
    ours = ours_rate(texts)
    whole = judge_rate(texts)
    print(
        f"(a) datasketch {as_shipped:.0f}/s ({their_bands}), closest {closest:.0f}/s, ours {ours:.0f}/s, "
        f"Judge (irrelevant articles) {whole:.0f}/s",
        flush=True,
    )
    lsh_bytes, lsh_us = datasketch_lsh_memory(args.lsh_n, ours_bands)
    print(f"(c) datasketch MinHashLSH: {lsh_bytes:.0f} B/article, {lsh_us:.0f} µs/insert", flush=True)
    big = scale(args.n)
    print(f"(b) {big}", flush=True)
    n = args.rate_n
    b, r = ours_bands
    rows = [
        f"| datasketch as it comes: `MinHash(num_perm=128)` (SHA-1, 128 permutations) + `MinHashLSH` "
        f"query, insert, its own bands {their_bands[0]}×{their_bands[1]} ({n} articles) | {as_shipped:.0f} "
        f"| {as_shipped / closest:.2f}× |",
        f"| **datasketch closest to ours**: xxHash32 once per shingle, 128 permutations, bands {b}×{r} "
        f"({n} articles) | {closest:.0f} | 1.0× |",
        f"| ours: `NearDuplicateIndex` signature + query (with candidate verification) + add, "
        f"one-permutation hashing, bands {b}×{r} ({n} articles) | {ours:.0f} | {ours / closest:.1f}× |",
        f"| ours: whole `Judge.assess` + `Judge.index`, article outside the topics ({n} articles) "
        f"| {whole:.0f} | {whole / closest:.1f}× |",
    ]
    scaled = (
        f"| {big['signature_us']:.0f} µs | {big['query_us']:.0f} µs | {big['insert_us']:.0f} µs "
        f"| {big['index_bytes']:.0f} B | {big['rss_bytes']:.0f} B |"
    )
    table_a = "| what | articles/s | vs datasketch closest |\n|---|---|---|\n" + "\n".join(rows)
    table_b = (
        "| signature | query | insert | index arrays | resident memory growth |\n|---|---|---|---|---|\n"
    )
    body = f"""Single process, {pinned}. Articles: synthetic, {ARTICLE_CHARS} characters, half English-like
words and half Chinese characters (Zipf-distributed; unrelated English ones share about as many shingles
as unrelated real English articles do); 5-character shingles; our index: 128 one-permutation-hashing bins,
LSH of {b} bands × {r} rows (datasketch's optimum for threshold 0.5 when false negatives weigh more).

**What differs, plainly.** The work is not the same even in the closest setting: datasketch has no
one-permutation hashing, so it applies 128 permutations to every shingle's hash (128 multiply-adds per
shingle) where ours hashes each shingle once and bins it; datasketch calls its hash function once per
shingle from Python where ours hashes all shingles in one numpy pass; and datasketch's query returns
candidate keys only, where ours also reads the candidates' signatures and keeps only estimated near copies.
"As it comes" additionally uses SHA-1 and datasketch's own bands
({their_bands[0]}×{their_bands[1]}, weights 0.5/0.5), which find different candidates than ours.
All rows: the same {n} articles, in the same run.

**(a) Near-duplicate indexing rate**

{table_a}

**(b) An index of {big["count"]:,.0f} articles** (per article, averaged over the whole build)

{table_b}{scaled}

Planted near copies (new intro, one paragraph dropped) found: {big["found"]:.0f}/{big["planted"]:.0f};
articles reported as copies of an article they do not copy: {big["others"]:.0f}.

**(c) datasketch `MinHashLSH` for comparison** ({args.lsh_n:,} random signatures, our bands {b}×{r}
passed as `params`): {lsh_bytes:.0f} B resident memory per article, {lsh_us:.0f} µs per insert; a Python
set per bucket is why our index keeps its bands in numpy tables instead."""
    write_section("dedup_speed", "Near-duplicate indexing speed and memory", body)
    print(body)
    return 0


if __name__ == "__main__":
    import sys

    raise SystemExit(main(sys.argv[1:]))
