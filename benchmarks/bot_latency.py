"""Bot latency: how fast the real bot answers many users while digests are being sent.

The Telegram stand-in runs in a child process and enforces Telegram's limits (30 msg/s overall, 1 msg/s per
chat); it plays the users and timestamps both their messages and the bot's answers, so latency is measured
on one clock, from the user's message reaching "Telegram" to the answer reaching it. The bot is the real
`build_application` polling the stand-in, with the default limits, on SQLite.

    phase 1   20 users ask for /digest; while those are sent, 200 other users send /help, spread over 10 s:
              /help latency p50 / p95 / max (aim: p95 under 1 s)
    phase 2   200 users send /help and /status back to back, all at once: time until all 400 are answered
              (the 30 msg/s limit alone needs 13.3 s)

The baseline is the same bot handling one update at a time (`bot.concurrent_updates = 1`, as PTB's default
does), on the same workload.

    python -m benchmarks bot_latency              # both runs, about five minutes (the baseline is slow)
    python -m benchmarks bot_latency --quick      # 50 users, 5 digests, no baseline
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from benchmarks._results import write_section
from benchmarks.fanout import _values
from bot.application import build_application
from crawler.config import load_settings
from crawler.storage import Store
from tests.fakes.telegram_api import TOKEN, FakeTelegram, Limits

FIRST_USER = 5_000_000
SPREAD_SECONDS = 10.0
STORIES = 100  # a digest of about eight messages: eight seconds of sending at 1 msg/s per chat


class TimedTelegram(FakeTelegram):
    """The stand-in, noting when each user's message came in and when each answer reached it."""

    def __init__(self) -> None:
        super().__init__(limits=Limits(30.0, 1.0, 20.0), clock=time.monotonic)
        self.asked: dict[int, list[float]] = {}
        self.answered: dict[int, list[float]] = {}

    def ask(self, chat_id: int, text: str) -> None:
        """A user sends a command."""
        self.asked.setdefault(chat_id, []).append(time.monotonic())
        self.send(chat_id, chat_id, text)

    async def _api_sendMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        result = await super()._api_sendMessage(params)
        self.answered.setdefault(int(params["chat_id"]), []).append(time.monotonic())
        return result


async def _wait(predicate: Any, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("the bot did not answer in time")
        await asyncio.sleep(0.02)


async def _play(conn: Connection, users: int, digests: int) -> None:
    api = TimedTelegram()
    helpers = [FIRST_USER + i for i in range(users)]
    readers = [FIRST_USER + users + i for i in range(digests)]
    for chat_id in helpers + readers:
        api.private_chat(chat_id)
    conn.send(await api.start())
    await _message(conn)  # the bot is polling
    # Phase 1: digests under way, then /help from everyone else, spread out.
    for chat_id in readers:
        api.ask(chat_id, "/digest")
    await _wait(lambda: sum(len(api.answered.get(c, [])) for c in readers) >= 1, 60)
    started = time.monotonic()
    for index, chat_id in enumerate(helpers):
        await asyncio.sleep(max(0.0, started + index * SPREAD_SECONDS / users - time.monotonic()))
        api.ask(chat_id, "/help")
    await _wait(lambda: all(api.answered.get(c) for c in helpers), 900)
    latencies = [api.answered[c][0] - api.asked[c][0] for c in helpers]
    digest_parts = sum(len(api.answered.get(c, [])) for c in readers)
    # Phase 2: two commands from each user at once.
    before = {c: len(api.answered.get(c, [])) for c in helpers}
    started = time.monotonic()
    for chat_id in helpers:
        api.ask(chat_id, "/help")
        api.ask(chat_id, "/status")
    await _wait(lambda: all(len(api.answered[c]) >= before[c] + 2 for c in helpers), 1800)
    burst = time.monotonic() - started
    figures = {"latencies": latencies, "digest_parts": digest_parts, "burst_seconds": burst}
    conn.send({**figures, "errors": dict(api.errors)})
    await _message(conn)  # the bot has stopped polling
    await api.close()


async def _message(conn: Connection) -> Any:
    while not conn.poll():
        await asyncio.sleep(0.05)
    return conn.recv()


def _serve(conn: Connection, users: int, digests: int) -> None:
    asyncio.run(_play(conn, users, digests))


async def _bot(settings: Any, store: Store, conn: Connection) -> None:
    app = build_application(settings, store)
    async with app:
        if app.post_init is not None:
            await app.post_init(app)
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=1)
        conn.send("go")
        while not conn.poll():
            await asyncio.sleep(0.1)
        await app.updater.stop()
        await app.stop()


def run(users: int, digests: int, concurrent: int) -> dict[str, Any]:
    """One run of both phases with `bot.concurrent_updates = concurrent`; the stand-in's figures."""
    with tempfile.TemporaryDirectory() as tmp:
        parent, child = multiprocessing.Pipe()
        player = multiprocessing.get_context("spawn").Process(
            target=_serve, args=(child, users, digests), daemon=True
        )
        player.start()
        base_url = parent.recv()
        settings = load_settings(
            environ={},
            overrides={
                "database_url": f"sqlite:///{Path(tmp) / 'bot.db'}",
                "data_dir": str(Path(tmp) / "data"),
                "telegram_token": TOKEN,
                "bot.base_url": base_url,
                "bot.poll_timeout": 1,
                "bot.concurrent_updates": concurrent,
                "topics.deepseek.aliases": ["DeepSeek"],
                "bot.digest_max_entries": STORIES,
            },
        )
        store = Store(settings.database)
        _news(store, datetime.now(UTC))
        asyncio.run(_bot(settings, store, parent))
        figures: dict[str, Any] = parent.recv()
        parent.send("stop")
        player.join(10)
        store.close()
    return figures


def _news(store: Store, now: datetime) -> None:
    body = "DeepSeek's model and the Stargate project keep the industry busy, say analysts. " * 4
    for story in range(STORIES):
        title = f"DeepSeek story {story}: what changed today for the industry and its investors"
        when = now - timedelta(hours=20, minutes=-story)
        store.articles.add(_values(f"latency-{story}", title, body, when, "Wire"), new_story_title=title)


def _summary(figures: dict[str, Any]) -> dict[str, float]:
    latencies = sorted(figures["latencies"])
    return {
        "p50": statistics.median(latencies),
        "p95": latencies[max(0, round(0.95 * len(latencies)) - 1)],
        "max": latencies[-1],
        "burst": figures["burst_seconds"],
        "parts": figures["digest_parts"],
    }


def main(argv: list[str]) -> None:
    """Measure, print and (for the full run) record in results.md."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks bot_latency")
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--digests", type=int, default=20)
    parser.add_argument("--quick", action="store_true", help="50 users, 5 digests, no baseline, not recorded")
    options = parser.parse_args(argv)
    users, digests = (50, 5) if options.quick else (options.users, options.digests)
    ours = _summary(run(users, digests, 32))
    print(f"concurrent (32): {ours}", flush=True)
    if options.quick:
        return
    base = _summary(run(users, digests, 1))
    print(f"one at a time:   {base}", flush=True)
    rows = [
        ("/help latency p50 (s)", "p50"),
        ("/help latency p95 (s)", "p95"),
        ("/help latency max (s)", "max"),
        (f"{2 * users} commands from {users} users: all answered after (s)", "burst"),
    ]
    table = "\n".join(f"| {label} | {ours[key]:.2f} | {base[key]:.2f} |" for label, key in rows)
    body = (
        f"{users} users send /help (spread over {SPREAD_SECONDS:.0f} s) while {digests} users' /digest "
        f"are being sent ({ours['parts']:.0f} digest messages), then each of the {users} users sends /help "
        "and /status at once. The real PTB application polls the stand-in (a separate process enforcing "
        "30 msg/s overall and 1 msg/s per chat), with the default limits, on SQLite; latency is measured "
        "by the stand-in from a user's message to the bot's answer. Baseline: the same bot handling one "
        "update at a time (`bot.concurrent_updates = 1`), same workload.\n\n"
        "| figure | concurrent, per-chat order (32) | one at a time |\n|---|---|---|\n"
        f"{table}\n\n"
        f"The 30 msg/s limit alone needs {2 * users / 30:.1f} s for the {2 * users} answers of the burst."
    )
    write_section("bot_latency", "Bot latency under load", body)
