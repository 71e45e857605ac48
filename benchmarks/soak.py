"""Soak: one daemon, many crawl cycles of the demo corpus on a compressed schedule.

The real daemon (`python -m bot run`) crawls the demo web (served by a child process) every few seconds and
talks to the Telegram stand-in (served here) with subscribers and an admin. After each cycle the script
reads, from /proc, the daemon's resident memory, its open file descriptors and the processes it still has
as children (none should remain between cycles: each crawl is a child process that must be reaped, with
its workers). Figures: memory at cycle 10 and at the last cycle (aim: under 10 % growth), descriptors,
leftover children, cycle time, a clean exit on SIGTERM.

    python -m benchmarks soak                 # 200 cycles, roughly 15-30 minutes
    python -m benchmarks soak --cycles 30     # a quick run
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import signal
import statistics
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml

from benchmarks._results import write_section
from crawler.demo import DemoSiteProcess
from crawler.storage import Store
from tests.bot.conftest import add_article, subscribe_chat
from tests.bot.daemon_helpers import FAST_CRAWL, DaemonProcess, daemon_env, wait_until
from tests.fakes.telegram_api import FakeTelegram

ADMIN = 4242


def rss_kib(pid: int) -> int:
    """Resident memory of a process, KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for pid {pid}")


def open_fds(pid: int) -> int:
    """Open file descriptors of a process."""
    return len(os.listdir(f"/proc/{pid}/fd"))


def children(pid: int) -> list[tuple[int, str]]:
    """Processes whose parent is `pid`, with their state (Z for a zombie)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid:
            found.append((int(entry.name), fields[0]))
    return found


def finished_cycles(store: Store) -> int:
    """Scheduled crawl runs that ended."""
    with store.db.session() as session:
        from crawler.storage import CrawlRun

        return (
            session.query(CrawlRun)
            .filter(CrawlRun.trigger == "scheduled", CrawlRun.status != "running")
            .count()
        )


async def soak(cycles: int, interval_seconds: float, folder: Path) -> SoakResult:
    """Run the daemon for `cycles` crawl cycles; returns the measurements."""
    site = DemoSiteProcess(slow_delay=6.0, oversize_bytes=3_000_000)
    site.start()
    api = FakeTelegram(keep_text=False)
    await api.start()
    try:
        (folder / "sources.yaml").write_text(
            yaml.safe_dump({"sources": site.sources()}, allow_unicode=True), encoding="utf-8"
        )
        store = Store(f"sqlite:///{folder / 'daemon.db'}")
        api.private_chat(ADMIN)
        for chat_id in range(9000, 9020):
            api.private_chat(chat_id)
            # Due at once: the day's fan-out (and the connections it opens) comes before cycle 10.
            subscribe_chat(store, chat_id, due=datetime.now(UTC) - timedelta(minutes=1))
        for title in ("DeepSeek R1 tops the app store", "Stargate site in Abilene"):
            add_article(store, title, topics=("deepseek", "stargate"))  # so those digests are not empty
        env = daemon_env(
            folder,
            api,
            sources_file=str(folder / "sources.yaml"),
            bot__admin_ids=f"[{ADMIN}]",
            crawl__interval_minutes=str(interval_seconds / 60),
            crawl__jitter_seconds="0",
            daemon__dispatch_every_seconds="1",
            log_level="WARNING",
        )
        env.update(FAST_CRAWL)
        env.pop("SEEDWATCH_CRAWL__EXTRACT_PROCESSES")  # the default: extraction in worker processes
        daemon = await DaemonProcess(env, folder / "daemon.log").start()
        return await _measure(daemon, store, api, cycles)
    finally:
        await api.close()
        site.stop()


@dataclass
class SoakResult:
    """What the soak measured: per cycle (RSS KiB, open fds, children), timings, the exit status."""

    samples: dict[int, tuple[int, int, list[tuple[int, str]]]]
    seconds: float
    cycle_seconds: list[float]
    exit_status: int
    messages: int


async def _measure(daemon: DaemonProcess, store: Store, api: FakeTelegram, cycles: int) -> SoakResult:
    samples: dict[int, tuple[int, int, list[tuple[int, str]]]] = {}
    stamps: list[float] = []
    started = time.monotonic()
    for cycle in range(1, cycles + 1):

        def done(wanted: int = cycle) -> bool:
            return finished_cycles(store) >= wanted

        await wait_until(done, daemon, timeout=600, what=f"cycle {cycle}")
        # The run is closed before its process exits: wait for the supervisor to reap it.
        await wait_until(
            lambda: store.daemon.fact("crawl.child") is None, daemon, timeout=120, what="the child to exit"
        )
        stamps.append(time.monotonic())
        samples[cycle] = (rss_kib(daemon.pid), open_fds(daemon.pid), children(daemon.pid))
        if cycle % 10 == 0:
            rss, fds, kids = samples[cycle]
            print(f"cycle {cycle}: rss {rss / 1024:.1f} MiB, fds {fds}, children {len(kids)}", flush=True)
    before = len(api.sent(ADMIN))
    api.send(ADMIN, ADMIN, "/help")
    await wait_until(lambda: len(api.sent(ADMIN)) > before, daemon, what="the bot to answer")
    exit_status = await daemon.signal(signal.SIGTERM)
    return SoakResult(
        samples=samples,
        seconds=time.monotonic() - started,
        cycle_seconds=[b - a for a, b in itertools.pairwise(stamps)],
        exit_status=exit_status,
        messages=len(api.messages),
    )


def report(cycles: int, interval: float, result: SoakResult) -> str:
    """The results.md section."""
    samples = result.samples
    first, tenth, last = samples[1], samples[min(10, cycles)], samples[cycles]
    quarters = sorted({cycles * q // 4 for q in (1, 2, 3)} - {1, min(10, cycles), cycles})
    trend = "".join(
        f"| daemon RSS after cycle {c} | {samples[c][0] / 1024:.1f} MiB |\n" for c in quarters if c > 10
    )
    growth = (last[0] - tenth[0]) / tenth[0] * 100
    leftovers = max(len(kids) for _, _, kids in samples.values())
    zombies = sum(1 for _, _, kids in samples.values() for _, state in kids if state == "Z")
    cycle_seconds = result.cycle_seconds
    median_cycle = statistics.median(cycle_seconds) if cycle_seconds else 0.0
    fds = [fd for _, fd, _ in samples.values()]
    return f"""
`python -m benchmarks soak --cycles {cycles}`: one `seedwatch run` daemon crawling the whole demo web
(16 sources, 2 of them broken and backing off) every {interval:g} s through `seedwatch crawl` child
processes (extraction in worker processes), with an admin and 20 subscribers whose daily digests fall due
at the start (so that fan-out, and the connections it opens, come before cycle 10), through the Telegram
stand-in; digest dispatch every second. Memory is the daemon's resident set (VmRSS), read after each cycle
once its crawl child was reaped.

| measure | value |
|---|---|
| crawl cycles | {cycles} in {result.seconds / 60:.1f} min (median {median_cycle:.1f} s per cycle) |
| daemon RSS after cycle 1 | {first[0] / 1024:.1f} MiB |
| daemon RSS after cycle {min(10, cycles)} | {tenth[0] / 1024:.1f} MiB |
{trend}| daemon RSS after cycle {cycles} | {last[0] / 1024:.1f} MiB |
| **RSS growth, cycle {min(10, cycles)} → {cycles}** | **{growth:+.1f} %** (aim: under 10 %) |
| open file descriptors after cycle {min(10, cycles)} / {cycles} | {tenth[1]} / {last[1]} |
| open file descriptors, fewest / most over all cycles | {min(fds)} / {max(fds)} |
| child processes left between cycles (most seen) | {leftovers} (zombies seen: {zombies}) |
| messages sent (digests, alerts, replies) | {result.messages} |
| exit status on SIGTERM | {result.exit_status} |
"""


def main(argv: list[str]) -> None:
    """`python -m benchmarks soak [--cycles N] [--interval-seconds S]`."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks soak", description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=200, help="crawl cycles to run (default 200)")
    parser.add_argument("--interval-seconds", type=float, default=3.0, help="crawl interval (default 3 s)")
    args = parser.parse_args(argv)
    if args.cycles < 2:
        parser.error("--cycles must be at least 2")
    with tempfile.TemporaryDirectory(prefix="seedwatch-soak-") as folder:
        result = asyncio.run(soak(args.cycles, args.interval_seconds, Path(folder)))
    body = report(args.cycles, args.interval_seconds, result)
    print(body)
    write_section("soak", "Soak: one daemon, many crawl cycles", body)


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
