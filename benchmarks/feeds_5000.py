"""Polling thousands of feeds: 5,000 feeds on 10 hosts, about 10 % changed per cycle, on loopback.

A child process serves the feeds (aiohttp) under host names `news<K>.bench.test` that a fake DNS in the
crawl process answers with 127.0.0.1 (as `tests.fakes.hostile_site` installs it), so Scrapy keeps one
download slot per host as it would on the web. Each feed honours ETag / If-None-Match: an unchanged feed
costs a 304. A changed feed gains one new article (published now); older entries are past
`crawl.max_age_days` and are not fetched.

Three `seedwatch crawl` cycles over the same database: the first fetches every feed (200), the next two
send conditional GETs. Reported per cycle: wall time, the crawl process's peak RSS, the server's count
of 200/304 answers and article fetches, and the most requests one host saw at once (politeness: it
must not exceed `crawl.concurrent_per_domain`). The baseline in the same script is a bare Scrapy
spider sending the same conditional GETs with the same politeness and nothing else (no storage, no
judging, no extraction), so the ratio says what seedwatch adds to the network floor.

`python -m benchmarks feeds_5000 [--feeds N] [--hosts H]`
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path
from typing import Any

import yaml

from benchmarks._results import write_section

PER_DOMAIN = 4
CHANGED_PERCENT = 10


def host_name(k: int) -> str:
    return f"news{k}.bench.test"


def changed(feed: int, cycle: int) -> bool:
    """Whether a feed has a new item in this cycle (about CHANGED_PERCENT % of feeds each cycle)."""
    return cycle == 0 or zlib.crc32(f"{feed}:{cycle}".encode()) % 100 < CHANGED_PERCENT


# --- the server (a child process) -------------------------------------------------------------------------


def serve(feeds: int, hosts: int) -> None:  # noqa: PLR0915 - one aiohttp app, its handlers inline
    """Serve the feeds and articles; print the port; GET /_cycle/N moves to cycle N; /_stats counts."""
    import asyncio
    from collections import Counter
    from datetime import UTC, datetime
    from email.utils import format_datetime

    from aiohttp import web

    state: dict[str, Any] = {"cycle": 0, "version": [0] * feeds}
    stats: Counter[str] = Counter()
    active: Counter[str] = Counter()
    peak: Counter[str] = Counter()

    def track(host: str) -> None:
        active[host] += 1
        peak[host] = max(peak[host], active[host])

    async def feed(request: web.Request) -> web.StreamResponse:
        host = request.host.split(":")[0]
        number = int(request.match_info["n"])
        track(host)
        try:
            await asyncio.sleep(0.002)  # a network round trip's worth
            etag = f'"v{state["version"][number]}"'
            if request.headers.get("If-None-Match") == etag:
                stats["304"] += 1
                return web.Response(status=304, headers={"ETag": etag})
            stats["200"] += 1
            now = format_datetime(datetime.now(UTC))
            base = f"http://{request.host}"
            items = [
                f"<item><title>Old report {number}-{i}</title><link>{base}/a/{number}-old{i}.html</link>"
                f"<pubDate>Mon, 06 Jan 2020 10:00:00 GMT</pubDate></item>"
                for i in range(2)
            ]
            version = state["version"][number]
            if version:
                link = f"{base}/a/{number}-{version}.html"
                items.insert(
                    0,
                    f"<item><title>Report {number} v{version}</title><link>{link}</link>"
                    f"<pubDate>{now}</pubDate></item>",
                )
            body = (
                f'<?xml version="1.0"?><rss version="2.0"><channel><title>Feed {number}</title>'
                f"{''.join(items)}</channel></rss>"
            )
            return web.Response(
                body=body.encode(), content_type="application/rss+xml", headers={"ETag": etag}
            )
        finally:
            active[host] -= 1

    async def article(request: web.Request) -> web.Response:
        host = request.host.split(":")[0]
        track(host)
        try:
            stats["article"] += 1
            name = request.match_info["name"]
            paragraphs = "".join(
                f"<p>Report {name}, paragraph {i}: the city council met on Monday to discuss the harbour "
                f"budget, the ferry timetable and a new bridge, and agreed to meet again next month.</p>"
                for i in range(6)
            )
            html = f"<html><head><title>Report {name}</title></head><body><article>{paragraphs}</article>"
            return web.Response(text=html, content_type="text/html")
        finally:
            active[host] -= 1

    async def cycle(request: web.Request) -> web.Response:
        number = int(request.match_info["n"])
        state["cycle"] = number
        for feed_number in range(feeds):
            if changed(feed_number, number) and number > 0:
                state["version"][feed_number] += 1
        stats.clear()
        peak.clear()
        return web.json_response({"cycle": number})

    async def report(_: web.Request) -> web.Response:
        return web.json_response({"stats": dict(stats), "peak_per_host": max(peak.values(), default=0)})

    app = web.Application()
    app.router.add_get("/feeds/{n}.xml", feed)
    app.router.add_get("/a/{name}.html", article)
    app.router.add_get("/_cycle/{n}", cycle)
    app.router.add_get("/_stats", report)

    async def robots(_: web.Request) -> web.Response:
        return web.Response(text="User-agent: *\nAllow: /\n")

    app.router.add_get("/robots.txt", robots)

    async def main() -> None:
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        print(port, flush=True)
        await asyncio.Event().wait()

    asyncio.run(main())


# --- the driver -------------------------------------------------------------------------------------------


def _get(port: int, path: str) -> dict[str, Any]:
    import urllib.request

    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=30) as answer:
        return json.loads(answer.read())


def _peak_rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _crawl(env: dict[str, str], dns: dict[str, list[str]], sources: Path) -> tuple[float, float, str]:
    """One `seedwatch crawl` of the source list: (seconds, peak RSS MB, stderr tail)."""
    command = [
        sys.executable,
        "-m",
        "tests.fakes.hostile_site",
        json.dumps(dns),
        "--",
        "crawl",
        "--sources",
        str(sources),
    ]
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = 0.0
    while process.poll() is None:
        peak = max(peak, _peak_rss_mb(process.pid))
        time.sleep(0.2)
    _, err = process.communicate()
    seconds = time.perf_counter() - started
    if process.returncode != 0:
        raise SystemExit(f"crawl failed ({process.returncode}): {err[-2000:]}")
    return seconds, peak, err[-500:]


BARE_SPIDER = r"""
import json, sys
from scrapy import Request, Spider
from scrapy.crawler import CrawlerProcess
sys.path.insert(0, ".")
from tests.fakes.hostile_site import _install_fake_dns
_install_fake_dns(json.loads(sys.argv[1]))
urls = json.loads(open(sys.argv[2]).read())
etags = json.loads(open(sys.argv[3]).read()) if sys.argv[3] != "-" else {}
seen = {}
class Bare(Spider):
    name = "bare"
    custom_settings = {"HTTPERROR_ALLOWED_CODES": [304]}
    async def start(self):
        for url in urls:
            headers = {"If-None-Match": etags[url]} if url in etags else {}
            yield Request(url, headers=headers, callback=self.parse, dont_filter=True)
    def parse(self, response):
        seen[response.url] = (response.headers.get("ETag") or b"").decode()
process = CrawlerProcess({"CONCURRENT_REQUESTS": 16, "CONCURRENT_REQUESTS_PER_DOMAIN": int(sys.argv[4]),
    "DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False, "ROBOTSTXT_OBEY": True, "LOG_LEVEL": "ERROR",
    "TELNETCONSOLE_ENABLED": False})
process.crawl(Bare)
process.start()
print(json.dumps(seen))
"""


def _bare(
    dns: dict[str, list[str]], urls_file: Path, etags_file: Path | None
) -> tuple[float, dict[str, str]]:
    etags = str(etags_file) if etags_file is not None else "-"
    args = [sys.executable, "-c", BARE_SPIDER, json.dumps(dns), str(urls_file), etags, str(PER_DOMAIN)]
    started = time.perf_counter()
    done = subprocess.run(args, capture_output=True, text=True, check=True)
    return time.perf_counter() - started, json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks feeds_5000")
    parser.add_argument("--feeds", type=int, default=5000)
    parser.add_argument("--hosts", type=int, default=10)
    parser.add_argument("--cycles", type=int, default=3)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve(args.feeds, args.hosts)
        return

    server = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.feeds_5000", "--serve", "--feeds", str(args.feeds)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        port = int(server.stdout.readline())
        dns = {host_name(k): ["127.0.0.1"] for k in range(args.hosts)}
        folder = Path(tempfile.mkdtemp(prefix="feeds5000-"))
        urls = [f"http://{host_name(n % args.hosts)}:{port}/feeds/{n}.xml" for n in range(args.feeds)]
        sources = folder / "sources.yaml"
        sources.write_text(
            yaml.safe_dump(
                {
                    "sources": [
                        {"name": f"Feed {n}", "kind": "rss", "lang": "en", "url": url}
                        for n, url in enumerate(urls)
                    ]
                }
            ),
            encoding="utf-8",
        )
        (folder / "urls.json").write_text(json.dumps(urls))
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("SEEDWATCH_")},
            "SEEDWATCH_DATABASE_URL": f"sqlite:///{folder / 'feeds.db'}",
            "SEEDWATCH_DATA_DIR": str(folder / "data"),
            "SEEDWATCH_LOG_LEVEL": "WARNING",
            "SEEDWATCH_CRAWL__ALLOWED_NETWORKS": '["127.0.0.1/32"]',
            "SEEDWATCH_CRAWL__CONCURRENT_REQUESTS": "16",
            "SEEDWATCH_CRAWL__CONCURRENT_PER_DOMAIN": str(PER_DOMAIN),
            "SEEDWATCH_CRAWL__DOWNLOAD_DELAY": "0",
            "SEEDWATCH_CRAWL__AUTOTHROTTLE": "false",
            "SEEDWATCH_CRAWL__MAX_AGE_DAYS": "30",
        }
        rows = []
        etags: dict[str, str] = {}
        for cycle in range(args.cycles):
            _get(port, f"/_cycle/{cycle}")
            seconds, rss, _ = _crawl(env, dns, sources)
            ours = _get(port, "/_stats")
            # The baseline sends the same requests (conditional after the first cycle) with nothing else.
            etags_file = None
            if etags:
                etags_file = folder / "etags.json"
                etags_file.write_text(json.dumps(etags))
            bare_seconds, seen = _bare(dns, folder / "urls.json", etags_file)
            etags.update({url: tag for url, tag in seen.items() if tag})
            rows.append((cycle, seconds, bare_seconds, rss, ours))
            print(
                f"cycle {cycle}: {seconds:.1f} s (bare {bare_seconds:.1f} s), {rss:.0f} MB, {ours}",
                flush=True,
            )
    finally:
        server.terminate()
        server.wait(timeout=10)

    lines = [
        f"{args.feeds} feeds on {args.hosts} host names (fake DNS → 127.0.0.1, one Scrapy download slot "
        f"each), ETag/If-None-Match, about {CHANGED_PERCENT} % of feeds gain one new article per cycle; "
        f"`concurrent_per_domain` = {PER_DOMAIN}, no download delay, AutoThrottle off; SQLite. The bare "
        "spider sends the same feed requests (conditional after the first cycle) with the same politeness "
        "and does nothing else (no storage, judging or article fetches): a floor, not like for like.",
        "",
        "| cycle | seedwatch crawl | bare spider | ratio | peak RSS | 200 | 304 | articles "
        "| most at once on one host |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for cycle, seconds, bare_seconds, rss, ours in rows:
        stats = ours["stats"]
        counts = " | ".join(str(stats.get(key, 0)) for key in ("200", "304", "article"))
        lines.append(
            f"| {cycle + 1} | {seconds:.1f} s | {bare_seconds:.1f} s | {seconds / bare_seconds:.2f} "
            f"| {rss:.0f} MB | {counts} | {ours['peak_per_host']} |"
        )
    write_section("feeds_5000", "Polling 5,000 feeds", "\n".join(lines))


if __name__ == "__main__":
    main(sys.argv[1:])
