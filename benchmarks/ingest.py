"""Ingest throughput: the full crawl pipeline against a bare Scrapy spider, on two corpora.

Full: `run_crawl` over the corpus's sources (feeds, sitemaps, listings; robots.txt, extraction,
relevance, judging, storage). Bare: a plain Scrapy spider that fetches the same article pages with the
same concurrency and runs the same extractor on each, storing nothing. Each run happens in a child
process (Scrapy's reactor runs once per process); the two kinds alternate, and the medians are compared.

Corpora: the demo site (`crawler.demo`, with its broken and slow pages), and a synthetic site of 2,000
ordinary news pages in one RSS feed (`benchmarks.synthetic_site`). `--profile` adds a cProfile summary of
one full run's main process (where the reactor, the pipelines and storage run) and of extracting and
analysing its pages in one process (what the page workers do).

    python -m benchmarks ingest [--rounds 5] [--corpus demo|synthetic|both] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
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


def _child_full(sources_file: str, db: str, profile: str = "") -> dict[str, Any]:
    profiler = cProfile.Profile() if profile else None
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
        "crawl.allowed_networks": ["127.0.0.1/32"],
        "crawl.download_timeout": 10,
        "crawl.extract_processes": int(os.environ.get("BENCH_PROCESSES", "-1")),
        "crawl.max_items_per_source": 100_000,
    }
    if os.environ.get("BENCH_BACKEND"):  # benchmarks.semantic compares embedding backends
        overrides["judge.embedding_backend"] = os.environ["BENCH_BACKEND"]
    settings = load_settings(environ={}, overrides=overrides)
    sources = load_sources(Path(sources_file))
    started = time.perf_counter()  # as before: the entry point's imports are not timed, in either kind
    if profiler is not None:
        profiler.enable()
    summary = run_crawl(settings, sources, trigger="benchmark")
    elapsed = time.perf_counter() - started
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(profile)
    _stop_fork_server()
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


def _stop_fork_server() -> None:
    """Wait for the page workers' fork server, so that its CPU time and its workers' (reaped by it) count
    in the run's: left to end on its own when the run's process exits, it is nobody's child any more."""
    from multiprocessing import forkserver

    server: Any = forkserver._forkserver  # type: ignore[attr-defined]
    if server._forkserver_pid is not None:
        server._stop()


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

    started = time.perf_counter()  # as in the full run: Scrapy's process and its components are timed
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
    process.start()
    return {"pages": len(done), "seconds": time.perf_counter() - started, "steady": done[-1] - done[0]}


def _children_cpu() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _run_child(*args: str) -> dict[str, Any]:
    cpu = _children_cpu()
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.ingest", "--child", *args],
        capture_output=True,
        text=True,
        check=True,
        timeout=1800,
    )
    result = dict(json.loads(out.stdout.strip().splitlines()[-1]))
    # CPU of the run and its page workers: far less sensitive than wall time to a machine's other load.
    result["cpu"] = _children_cpu() - cpu
    return result


def _run_pair(kind: str, sources: Path, folder: Path, rounds: int, profile: Path | None) -> dict[str, Any]:
    """`rounds` alternating full and bare runs on one corpus; rates, steady rates and stored pages."""
    urls_file = folder / f"{kind}-urls.json"
    full_rates, bare_rates, full_steady, bare_steady, stored = [], [], [], [], []
    loads: list[float] = []
    full_cpu: list[float] = []
    bare_cpu: list[float] = []
    if profile is not None:  # an extra run: the profiler's overhead stays out of the rates
        _run_child("full", str(sources), f"sqlite:///{folder / f'{kind}-profiled.db'}", str(profile))
    for round_no in range(rounds):
        db = f"sqlite:///{folder / f'{kind}-full-{round_no}.db'}"
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
        stored.append(int(full["pages"]))
        loads.append(os.getloadavg()[0])
        full_cpu.append(full["cpu"] / full["pages"])
        bare_cpu.append(bare["cpu"] / bare["pages"])
        print(
            f"{kind} round {round_no + 1}: full {full['pages']} pages in {full['seconds']:.2f} s "
            f"(outside its first to last page extracted {full['seconds'] - full['steady']:.2f} s), "
            f"bare {bare['pages']} pages in {bare['seconds']:.2f} s, load average {loads[-1]:.1f}; "
            f"CPU per page full {full_cpu[-1] * 1000:.0f} ms, bare {bare_cpu[-1] * 1000:.0f} ms",
            flush=True,
        )
    return {
        "full": full_rates,
        "bare": bare_rates,
        "full_steady": full_steady,
        "bare_steady": bare_steady,
        "stored": stored,
        "loads": loads,
        "full_cpu": full_cpu,
        "bare_cpu": bare_cpu,
    }


def _table(name: str, result: dict[str, Any]) -> str:
    full, bare = result["full"], result["bare"]
    ratios = ", ".join(f"{f / b:.2f}" for f, b in zip(full, bare, strict=True))
    full_median, bare_median = statistics.median(full), statistics.median(bare)
    full_steady, bare_steady = (
        statistics.median(result["full_steady"]),
        statistics.median(result["bare_steady"]),
    )
    full_cpu, bare_cpu = statistics.median(result["full_cpu"]), statistics.median(result["bare_cpu"])
    full_all, bare_all = ", ".join(f"{r:.1f}" for r in full), ", ".join(f"{r:.1f}" for r in bare)
    return f"""**{name}**: {result["stored"][0]} article pages stored per full run, {len(full)} rounds.

| | pages/s (median) | all rounds |
|---|---|---|
| full pipeline (feeds, robots.txt, extraction, relevance, judging, SQLite) | {full_median:.1f} | {full_all} |
| bare Scrapy spider, same pages, same extractor, nothing stored | {bare_median:.1f} | {bare_all} |
| **ratio full / bare** (target ≥ 0.8) | **{full_median / bare_median:.2f}** | per round: {ratios} |

Steady state (first to last page extracted; start-up, and the full run's judging and storing after its last
page, excluded): full {full_steady:.1f} pages/s,
bare {bare_steady:.1f} pages/s, ratio **{full_steady / bare_steady:.2f}**. Load average (1 min) after each
round: {", ".join(f"{load:.1f}" for load in result["loads"])} (2 CPUs, shared with other work).

CPU per page (the run's process and its page workers; the bare spider's process): full
{full_cpu * 1000:.0f} ms, bare {bare_cpu * 1000:.0f} ms, ratio bare / full **{bare_cpu / full_cpu:.2f}**:
what the full pipeline's work costs against the bare spider's (the full run spreads it over its page
workers, the bare spider has one process).
"""


def profile_summary(path: Path, top: int = 15) -> str:
    """A profile: own time by package, then the costliest calls by cumulative time."""
    stats = pstats.Stats(str(path))
    entries: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    areas: dict[str, float] = {}
    for (filename, _line, _name), (_cc, _nc, tottime, _ct, _callers) in entries.items():
        areas[_area(filename)] = areas.get(_area(filename), 0.0) + tottime
    total = sum(areas.values()) or 1.0
    lines = ["| area (own time) | seconds | share |", "|---|---|---|"]
    for area, seconds in sorted(areas.items(), key=lambda kv: -kv[1])[:12]:
        lines.append(f"| {area} | {seconds:.2f} | {seconds / total:.0%} |")
    calls = sorted(entries.items(), key=lambda kv: -kv[1][3])
    shown = ["| cumulative s | own s | calls | function |", "|---|---|---|---|"]
    for (filename, line, name), (_cc, ncalls, tottime, cumtime, _callers) in calls:
        if filename == "~" or "importlib" in filename or name in ("<module>", "run", "start"):
            continue
        where = filename.split("site-packages/")[-1].split("/wt-extract/")[-1].split("/crawler/")[-1]
        shown.append(f"| {cumtime:.2f} | {tottime:.2f} | {ncalls} | `{name}` ({where}:{line}) |")
        if len(shown) >= top + 2:
            break
    return "\n".join(lines) + "\n\n" + "\n".join(shown) + "\n"


def _area(filename: str) -> str:
    """The package a profiled function belongs to (our own modules by module)."""
    if filename == "~":
        return "C built-ins (socket and file I/O, selectors, regex, lxml parsing, ...)"
    if "importlib" in filename:
        return "imports"
    if "site-packages/" in filename:
        return filename.split("site-packages/")[1].split("/", maxsplit=1)[0].split(".", maxsplit=1)[0]
    if "/crawler/" in filename:
        return "crawler." + filename.split("/crawler/")[1].split("/", maxsplit=1)[0].removesuffix(".py")
    if "/python3" in filename:
        return "standard library: " + filename.rsplit("/", maxsplit=1)[-1].removesuffix(".py")
    return filename


def main(argv: list[str]) -> None:
    """Measure and write the ingest section of results.md."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks ingest")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--corpus", choices=("demo", "synthetic", "both"), default="both")
    parser.add_argument("--pages", type=int, default=2000, help="pages of the synthetic site")
    parser.add_argument("--profile", action="store_true", help="profile one full run per corpus")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        kind, *rest = args.child
        result = _child_full(*rest) if kind == "full" else _child_bare(*rest)
        print(json.dumps(result))
        return

    from benchmarks.synthetic_site import SyntheticSite
    from crawler.demo import DemoSiteProcess

    sections: list[str] = []
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        if args.corpus in ("demo", "both"):
            with DemoSiteProcess(slow_delay=0.2, oversize_bytes=9_000_000) as site:
                site.start()
                sources = folder / "demo.yaml"
                sources.write_text(
                    yaml.safe_dump({"sources": site.sources()}, allow_unicode=True), encoding="utf-8"
                )
                profile = folder / "demo.prof" if args.profile else None
                result = _run_pair("demo", sources, folder, args.rounds, profile)
            sections.append(
                _table("Demo corpus (served by a child process, with its broken and slow pages)", result)
            )
            if profile is not None:
                sections.append(
                    "Profile of one full run's main process, demo corpus:\n\n" + profile_summary(profile)
                )
        if args.corpus in ("synthetic", "both"):
            with SyntheticSite(pages=args.pages) as synthetic:
                sources = folder / "synthetic.yaml"
                feed = {"name": "Valley Courier", "url": synthetic.feed_url, "kind": "rss", "lang": "en"}
                sources.write_text(yaml.safe_dump({"sources": [feed]}), encoding="utf-8")
                profile = folder / "synthetic.prof" if args.profile else None
                result = _run_pair("synthetic", sources, folder, args.rounds, profile)
            sections.append(
                _table(
                    f"Synthetic site ({args.pages} ordinary news pages, one RSS feed, `synthetic_site`)",
                    result,
                )
            )
            if profile is not None:
                sections.append(
                    "Profile of one full run's main process, synthetic site:\n\n" + profile_summary(profile)
                )
    body = f"""
Each run in a fresh child process, full and bare alternating, concurrency {CONCURRENCY}; times from the
call that starts the crawl (resp. the Scrapy process) to its end, the entry point's imports excluded in
both kinds. The full run extracts and analyses pages in worker processes (`crawl.extract_processes`, here
{os.environ.get("BENCH_PROCESSES", "-1")} = one per CPU), the bare spider in its own process. The full run
also fetches the feeds, sitemaps and listing pages, robots.txt (and on the demo corpus the redirects of the
news-search feed and the broken pages); the bare spider fetches only the article pages the full run stored.

""" + "\n".join(sections)
    write_section("ingest", "Ingest throughput (full pipeline vs bare Scrapy spider)", body)
    print(body)


if __name__ == "__main__":
    main(sys.argv[1:])
