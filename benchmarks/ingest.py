"""Ingest throughput: the full crawl pipeline against a bare Scrapy spider, on the demo corpus.

Full: `run_crawl` over the demo's sources (feeds, sitemaps, listings; robots.txt, extraction, relevance,
judging, storage). Bare: a plain Scrapy spider that fetches the same article pages with the same
concurrency and runs the same extractor on each, storing nothing. Each run happens in a child process
(Scrapy's reactor runs once per process); the two kinds alternate, and the medians are compared.

    python -m benchmarks ingest [--rounds 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from benchmarks._results import write_section

CONCURRENCY = 16


def _child_full(sources_file: str, db: str) -> dict[str, Any]:
    from crawler.config import load_settings
    from crawler.runner import run_crawl
    from crawler.sources import load_sources

    overrides = {
        "database_url": db,
        "crawl.download_delay": 0,
        "crawl.autothrottle": False,
        "crawl.concurrent_requests": CONCURRENCY,
        "crawl.concurrent_per_domain": CONCURRENCY,
        "crawl.retry_times": 0,
        "crawl.download_timeout": 10,
        "crawl.extract_processes": int(os.environ.get("BENCH_PROCESSES", "-1")),
    }
    if os.environ.get("BENCH_BACKEND"):  # benchmarks.semantic compares embedding backends
        overrides["judge.embedding_backend"] = os.environ["BENCH_BACKEND"]
    settings = load_settings(environ={}, overrides=overrides)
    sources = load_sources(Path(sources_file))
    started = time.perf_counter()
    summary = run_crawl(settings, sources, trigger="benchmark")
    elapsed = time.perf_counter() - started
    from crawler.storage import Store

    with Store(db) as store:
        stored = store.articles.count()
        times = sorted(r["fetched"] for r in store.articles.export_rows())
    first, last = (datetime.fromisoformat(t) for t in (times[0], times[-1]))
    return {
        "pages": stored,
        "seconds": elapsed,
        "steady": (last - first).total_seconds(),
        "fetched": summary.counts["pages_fetched"],
    }


def _child_bare(urls_file: str) -> dict[str, Any]:
    import scrapy
    from scrapy.crawler import CrawlerProcess

    from crawler.extract import extract_article

    urls = json.loads(Path(urls_file).read_text(encoding="utf-8"))
    done: list[float] = []

    class BareSpider(scrapy.Spider):  # type: ignore[misc]
        name = "bare"

        async def start(self) -> Any:
            for url in urls:
                yield scrapy.Request(url, callback=self.parse_page, dont_filter=True)

        def parse_page(self, response: Any) -> None:
            extract_article(response.text, response.url)
            done.append(time.perf_counter())

    process = CrawlerProcess(
        {
            "LOG_LEVEL": "ERROR",
            "CONCURRENT_REQUESTS": CONCURRENCY,
            "CONCURRENT_REQUESTS_PER_DOMAIN": CONCURRENCY,
            "DOWNLOAD_DELAY": 0,
            "ROBOTSTXT_OBEY": False,
            "RETRY_ENABLED": False,
            "TELNETCONSOLE_ENABLED": False,
            "REMOTE_CONTROL_ENABLED": False,
        }
    )
    process.crawl(BareSpider)
    started = time.perf_counter()
    process.start()
    return {"pages": len(done), "seconds": time.perf_counter() - started, "steady": done[-1] - done[0]}


def _run_child(*args: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.ingest", "--child", *args],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main(argv: list[str]) -> None:
    """Measure and write the ingest section of results.md."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks ingest")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        kind, *rest = args.child
        result = _child_full(*rest) if kind == "full" else _child_bare(*rest)
        print(json.dumps(result))
        return

    from crawler.demo import DemoSiteProcess

    full_rates: list[float] = []
    bare_rates: list[float] = []
    full_steady: list[float] = []
    bare_steady: list[float] = []
    pages_seen: list[int] = []
    with (
        tempfile.TemporaryDirectory() as scratch,
        DemoSiteProcess(slow_delay=0.2, oversize_bytes=9_000_000) as site,
    ):
        site.start()
        folder = Path(scratch)
        sources = folder / "sources.yaml"
        sources.write_text(yaml.safe_dump({"sources": site.sources()}, allow_unicode=True), encoding="utf-8")
        urls_file = folder / "urls.json"
        for round_no in range(args.rounds):
            db = f"sqlite:///{folder / f'full-{round_no}.db'}"
            full = _run_child("full", str(sources), db)
            if round_no == 0:
                from crawler.storage import Store

                with Store(db) as store:
                    urls = [r["url"] for r in store.articles.export_rows()]
                urls_file.write_text(json.dumps(urls), encoding="utf-8")
            bare = _run_child("bare", str(urls_file))
            full_rates.append(full["pages"] / full["seconds"])
            bare_rates.append(bare["pages"] / bare["seconds"])
            full_steady.append((full["pages"] - 1) / full["steady"])
            bare_steady.append((bare["pages"] - 1) / bare["steady"])
            pages_seen.append(int(full["pages"]))
            print(
                f"round {round_no + 1}: full {full['pages']} pages in {full['seconds']:.2f} s, "
                f"bare {bare['pages']} pages in {bare['seconds']:.2f} s",
                flush=True,
            )
    full_median, bare_median = statistics.median(full_rates), statistics.median(bare_rates)
    ratios = [f / b for f, b in zip(full_rates, bare_rates, strict=True)]
    full_all = ", ".join(f"{r:.1f}" for r in full_rates)
    bare_all = ", ".join(f"{r:.1f}" for r in bare_rates)
    ratio_all = ", ".join(f"{r:.2f}" for r in ratios)
    body = f"""
Demo corpus served by a child process on 127.0.0.1; {pages_seen[0]} article pages stored per full run;
{args.rounds} rounds, full and bare alternating, each in a fresh process, concurrency {CONCURRENCY}.

| | pages/s (median) | all rounds |
|---|---|---|
| full pipeline (feeds, robots.txt, extraction, relevance, judging, SQLite) | {full_median:.1f} | {full_all} |
| bare Scrapy spider, same pages, same extractor, nothing stored | {bare_median:.1f} | {bare_all} |
| **ratio full / bare** (target ≥ 0.8) | **{full_median / bare_median:.2f}** | per round: {ratio_all} |

Steady state (first to last page stored, resp. extracted; start-up excluded): full
{statistics.median(full_steady):.1f} pages/s, bare {statistics.median(bare_steady):.1f} pages/s,
ratio **{statistics.median(full_steady) / statistics.median(bare_steady):.2f}**.

The full run extracts and analyses pages in worker processes (`crawl.extract_processes`, here
{os.environ.get("BENCH_PROCESSES", "-1")} = one per CPU), the bare spider in its own process; start-up
(imports, database, judge warm start, workers loading their dictionaries) is a large share of so short a run.
The full run also fetches the feeds, sitemaps and listing pages, robots.txt, the redirects of the news-search
feed and the broken pages of the corpus; the bare spider fetches only the article pages the full run stored.
"""
    write_section("ingest", "Ingest throughput (full pipeline vs bare Scrapy spider)", body)
    print(body)


if __name__ == "__main__":
    main(sys.argv[1:])
