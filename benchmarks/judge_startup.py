"""Judge start-up: time and memory of a crawl process's judge on a database of 20,000 and 100,000 articles.

Each crawl process warm-starts its judge (`JudgeService`) from the stored articles. This benchmark fills
SQLite databases with synthetic articles, 288 a day (one every 5 minutes, a busy monitor) up to now, a
fifth of them relevant, each with a stored MinHash signature (random values in the stored format: the
index cost is the same), then starts a judge in a fresh child process and measures the wall time of
`JudgeService(settings)` and the growth of the process's resident memory (after a first judge on an
empty database has taken in what does not grow with the database: imports, claim sets). Two settings,
same databases: `judge.memory_days` at its default (90: only articles of the last 90 days are taken in)
and at 100,000 days (every stored article, as before). Embeddings off (`embedding_backend = none`):
loading the encoder is a constant cost, not what grows with the database.

    python -m benchmarks judge_startup [--sizes 20000 100000]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from benchmarks._results import write_section

PER_DAY = 288
WORDS = (
    "water board plan reservoir valley farmers residents engineers dam repairs council vote budget "
    "school hospital road bridge rail port market prices wages jobs court ruling police report storm "
    "flood drought harvest energy grid solar wind coal gas oil minister election party campaign"
).split()


def fill(db: str, count: int, seed: int = 7) -> None:
    """Store `count` synthetic articles, the newest now."""
    from sqlalchemy import insert

    from crawler.judge.minhash import _HEADER, _MAGIC, _VERSION
    from crawler.storage import Store
    from crawler.storage.models import Article

    rng = random.Random(seed)
    num_perm = 128
    header = _HEADER.pack(_MAGIC, _VERSION, 5, num_perm, 400)
    now = datetime.now(UTC).replace(microsecond=0)
    with Store(db) as store:
        rows: list[dict[str, Any]] = []
        for n in range(count):
            when = now - timedelta(days=(count - 1 - n) / PER_DAY)
            text = " ".join(rng.choice(WORDS) for _ in range(220))
            relevant = n % 5 == 0
            signature = header + bytes(rng.getrandbits(8) for _ in range(4 * num_perm))
            rows.append(
                {
                    "url": f"https://news{n % 50}.test/a/{n}",
                    "canonical_url": f"https://news{n % 50}.test/a/{n}",
                    "outlet": f"News {n % 50}",
                    "title": f"Report {n}: " + " ".join(rng.choice(WORDS) for _ in range(8)),
                    "text": text,
                    "lang": "en",
                    "published_at": when,
                    "fetched_at": when,
                    "content_hash": f"{n:064x}",
                    "relevant": relevant,
                    "topics": ["water"] if relevant else [],
                    "minhash": signature,
                    "judged_at": when,
                }
            )
            if len(rows) == 2000:
                with store.db.engine.begin() as connection:
                    connection.execute(insert(Article), rows)
                rows = []
        if rows:
            with store.db.engine.begin() as connection:
                connection.execute(insert(Article), rows)


def _rss() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def _child(db: str, memory_days: str, data_dir: str) -> dict[str, Any]:
    from crawler.config import load_settings
    from crawler.judge_service import JudgeService

    settings = load_settings(
        environ={},
        overrides={
            "database_url": db,
            "data_dir": data_dir,
            "judge.embedding_backend": "none",
            "judge.memory_days": float(memory_days),
        },
    )
    from crawler.storage import Store

    # Imports, claim sets and the judge's fixed structures are not what grows with the database: a
    # first judge on an empty database takes them in before the measured one starts.
    empty = settings.model_copy(update={"database_url": f"sqlite:///{Path(data_dir) / 'empty.db'}"})
    JudgeService(empty).store.close()
    Store(db).close()
    before = _rss()
    started = time.perf_counter()
    service = JudgeService(settings)
    seconds = time.perf_counter() - started
    grown = _rss() - before
    taken = service.generation
    service.store.close()
    return {"seconds": seconds, "rss": grown, "articles": taken}


def main(argv: list[str]) -> None:
    """Measure and write the judge start-up section of results.md."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks judge_startup")
    parser.add_argument("--sizes", type=int, nargs="+", default=[20_000, 100_000])
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(_child(*args.child)))
        return
    lines = [
        "| stored articles | judge takes in | start-up s | RSS growth MiB | load average (1 min) |",
        "|---|---|---|---|---|",
    ]
    with tempfile.TemporaryDirectory() as scratch:
        for size in args.sizes:
            db = f"sqlite:///{Path(scratch) / f'judge-{size}.db'}"
            fill(db, size)
            for label, days in (("last 90 days (default)", "90"), ("every article (before)", "100000")):
                out = subprocess.run(
                    [sys.executable, "-m", "benchmarks.judge_startup", "--child", db, days, scratch],
                    capture_output=True,
                    text=True,
                    check=True,
                )
                result = json.loads(out.stdout.strip().splitlines()[-1])
                row = (
                    f"| {size:,} | {label}: {result['articles']:,} | {result['seconds']:.1f} | "
                    f"{result['rss'] / 2**20:.0f} | {os.getloadavg()[0]:.1f} |"
                )
                print(row, flush=True)
                lines.append(row)
    body = (
        f"Synthetic articles, {PER_DAY} a day up to now, a fifth relevant; each start-up in a fresh child "
        "process on SQLite, embeddings off. `judge.memory_days` bounds what a crawl process takes in.\n\n"
        + "\n".join(lines)
        + "\n"
    )
    write_section("judge_startup", "Judge start-up and memory as the database grows", body)
    print(body)


if __name__ == "__main__":
    main(sys.argv[1:])
