"""Scale-out: one crawl process against a producer with 1 and with 2 `crawl --worker` processes.

PostgreSQL + Redis, the synthetic news site (`benchmarks.synthetic_site`) served on loopback by this
process. Each configuration crawls the same site into a fresh PostgreSQL schema: one process without a
frontier (the baseline), then a producer (`seedwatch crawl --sources`) with N workers
(`seedwatch crawl --worker`) started half a second after it. Figures: wall time from the first start to
the last exit, CPU seconds of every crawl process and its page workers (from the kernel's accounting
of reaped children), pages stored (each once), and the marginal CPU of the second worker (the same
pages crawled: what one more worker costs). Each configuration is run `--rounds` times, alternating.

    python -m benchmarks scaleout [--pages 600] [--rounds 2]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import yaml

from benchmarks._results import write_section

PG = os.environ.get("SEEDWATCH_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS = os.environ.get("SEEDWATCH_TEST_REDIS", "redis://127.0.0.1:6379/15")
CONFIGS = (("one process, no frontier", None), ("producer + 1 worker", 1), ("producer + 2 workers", 2))


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _crawl(sources: Path, workers: int | None) -> dict[str, Any]:
    import sqlalchemy as sa

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG)
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    url = f"{PG}?options=-csearch_path%3D{schema}"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("SEEDWATCH_")},
        "SEEDWATCH_DATABASE_URL": url,
        "SEEDWATCH_CRAWL__DOWNLOAD_DELAY": "0",
        "SEEDWATCH_CRAWL__AUTOTHROTTLE": "false",
        "SEEDWATCH_CRAWL__CONCURRENT_PER_DOMAIN": "16",
        "SEEDWATCH_CRAWL__MAX_ITEMS_PER_SOURCE": "100000",
        "SEEDWATCH_CRAWL__ALLOWED_NETWORKS": '["127.0.0.1/32"]',
    }
    if workers is not None:
        env["SEEDWATCH_REDIS_URL"] = REDIS
    command = [sys.executable, "-m", "bot", "crawl"]

    def start(*extra: str) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [*command, *extra], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )

    cpu_before = _children_cpu()
    started = time.perf_counter()
    processes = [start("--sources", str(sources))]
    if workers:
        time.sleep(0.5)
        processes += [start("--worker") for _ in range(workers)]
    codes = [process.wait(timeout=1800) for process in processes]
    wall = time.perf_counter() - started
    cpu = _children_cpu() - cpu_before
    try:
        with admin.begin() as connection:
            stored = connection.execute(sa.text(f'SELECT count(*) FROM "{schema}".articles')).scalar()
            distinct = connection.execute(
                sa.text(f'SELECT count(DISTINCT canonical_url) FROM "{schema}".articles')
            ).scalar()
    finally:
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
    return {"wall": wall, "cpu": cpu, "stored": stored, "distinct": distinct, "codes": codes}


def main(argv: list[str]) -> None:
    """Measure and write the scale-out section of results.md."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks scaleout")
    parser.add_argument("--pages", type=int, default=600)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args(argv)
    from benchmarks.synthetic_site import SyntheticSite

    results: dict[str, list[dict[str, Any]]] = {name: [] for name, _ in CONFIGS}
    with tempfile.TemporaryDirectory() as scratch, SyntheticSite(pages=args.pages) as site:
        sources = Path(scratch) / "sources.yaml"
        feed = {"name": "Valley Courier", "url": site.feed_url, "kind": "rss", "lang": "en"}
        sources.write_text(yaml.safe_dump({"sources": [feed]}), encoding="utf-8")
        for round_no in range(args.rounds):
            for name, workers in CONFIGS:
                result = _crawl(sources, workers)
                result["load"] = os.getloadavg()[0]
                results[name].append(result)
                print(f"round {round_no + 1}, {name}: {result}", flush=True)
    base = results[CONFIGS[0][0]]
    base_wall = statistics.median(r["wall"] for r in base)
    base_cpu = statistics.median(r["cpu"] for r in base)
    lines = [
        "| configuration | wall s (median) | × one process | CPU s (median) | × one process "
        "| stored (distinct) per round | load average (1 min) after each round |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, _ in CONFIGS:
        rows = results[name]
        wall, cpu = statistics.median(r["wall"] for r in rows), statistics.median(r["cpu"] for r in rows)
        stored = ", ".join(f"{r['stored']} ({r['distinct']})" for r in rows)
        loads = ", ".join(f"{r['load']:.1f}" for r in rows)
        lines.append(
            f"| {name} | {wall:.1f} | {wall / base_wall:.2f} | {cpu:.1f} | {cpu / base_cpu:.2f} "
            f"| {stored} | {loads} |"
        )
    one = statistics.median(r["cpu"] for r in results[CONFIGS[1][0]])
    two = statistics.median(r["cpu"] for r in results[CONFIGS[2][0]])
    body = (
        f"The synthetic site ({args.pages} pages, one RSS feed) on loopback, PostgreSQL + Redis, "
        f"{args.rounds} rounds per configuration, alternating; CPU of every crawl process and its page "
        "workers. This machine has 2 CPUs shared with other work: the wall times say what extra processes "
        "cost here, not what they gain on more cores.\n\n"
        + "\n".join(lines)
        + f"\n\nMarginal CPU of the second worker (same pages): {two - one:.1f} s.\n"
    )
    write_section("scaleout", "Scale-out: one process vs producer + 1 and + 2 workers", body)
    print(body)


if __name__ == "__main__":
    main(sys.argv[1:])
