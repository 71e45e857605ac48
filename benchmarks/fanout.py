"""Fan-out: one day's digest to many subscribed chats through the Telegram stand-in enforcing 30 msg/s.

The stand-in runs in a child process (so its memory is not counted) and answers 429 whenever more than
30 messages arrive in any second overall, more than 1 per second to one chat, or more than 20 per minute to
one group. The sender is the real thing: `Deliverer.deliver_due` with `FloodLimiter`, recording every
delivery in SQLite. Figures: sustained messages/s at the stand-in (aim ≥ 28), 429s received (aim 0), the
sender's memory, and every chat's delivery checked exactly once. The baseline is PTB's own
`AIORateLimiter` on a smaller fan-out through the same stand-in.

Then the SIGKILL bound (`--kills`, default 20): the real daemon (`python -m bot run`) fans a digest of two
parts out to `--kill-chats` chats through the stand-in and is SIGKILLed at random points, restarted after
each (`tests.fakes.telegram_kills`). Figures: parts doubled per kill against the requests on the wire at
that kill, and every chat checked for its whole digest, once, in order.

    python -m benchmarks fanout                 # 10,000 chats (about six minutes), then 20 kills
    python -m benchmarks.fanout --chats 300 --kills 5    # a quick run
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import random
import statistics
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from benchmarks._results import write_section
from bot.delivery import Deliverer
from bot.ratelimit import FloodLimiter
from crawler.config import Settings, load_settings
from crawler.judge.text import content_hash
from crawler.judge.types import ClaimMatch, StoredArticle
from crawler.storage import Chat, Store
from tests.fakes.telegram_api import TOKEN, FakeTelegram, Limits

GROUP_SHARE = 10  # one chat in ten is a group


def _chat_id(index: int) -> int:
    return -(10**6 + index) if index % GROUP_SHARE == 0 else 10**6 + index


def _serve(conn: Connection, chats: int, rate: float) -> None:
    async def run() -> None:
        api = FakeTelegram(limits=Limits(rate, 1.0, 20.0), keep_text=False)
        for index in range(chats):
            chat_id = _chat_id(index)
            if chat_id < 0:
                api.group(chat_id, f"group {index}")
            else:
                api.private_chat(chat_id)
        conn.send(await api.start())
        while not conn.poll():
            await asyncio.sleep(0.2)
        conn.recv()
        per_chat: dict[int, int] = {}
        for message in api.messages:
            per_chat[message.chat_id] = per_chat.get(message.chat_id, 0) + 1
        stats = {
            "sent_at": api.sent_at,
            "errors": dict(api.errors),
            "per_chat": per_chat,
            "limited": dict(api.limited),
        }
        conn.send(stats)
        await api.close()

    asyncio.run(run())


def _day_of_news(store: Store, now: datetime) -> None:
    body = "DeepSeek's model and the Stargate project keep the industry busy. " * 20
    for story in range(10):
        when = now - timedelta(hours=23 - 2 * story)
        zh = story % 3 == 0
        title = f"深度求索新闻 {story}：新模型与价格" if zh else f"DeepSeek story {story}: what changed today"
        claims = (ClaimMatch("r1-2000-gpus", "disputes", 0.8, "Far more GPUs were used."),)
        lead = store.articles.add(
            replace(
                _article(f"lead-{story}", title, body * (2 if story % 2 else 1), when, "Wire Service"),
                claims=claims if story % 4 == 0 else (),
            ),
            new_story_title=title,
        )
        for copy in range(story % 4 + 1):
            article = _article(
                f"copy-{story}-{copy}", title, body, when + timedelta(minutes=10 + copy), f"Outlet {copy}"
            )
            store.articles.add(
                replace(article, story=lead.story_id, duplicate_of=lead.article_id, duplicate_kind="near")
            )
    for n in range(8):
        store.articles.add(
            replace(_article(f"other-{n}", f"Cooking {n}", "Soup. " * 50, now, "Food"), relevant=False)
        )


def _article(key: str, title: str, text: str, fetched: datetime, outlet: str) -> StoredArticle:
    url = f"https://news.example/{key}"
    return StoredArticle(
        url=url,
        canonical_url=url,
        outlet=outlet,
        title=title,
        text=f"{title}\n{text}",
        lang="en",
        fetched=fetched,
        published=fetched,
        content_hash=content_hash(key),
        relevant=True,
        relevance=0.9,
        topics=("deepseek",),
        novelty=0.5,
    )


def _subscribers(store: Store, chats: int, due: datetime) -> None:
    # A thousand chats per transaction: setting up 10,000 rows one by one would dominate the run.
    for first in range(0, chats, 1000):
        with store.db.session() as session:
            session.add_all(
                Chat(
                    chat_id=_chat_id(i),
                    kind="group" if _chat_id(i) < 0 else "private",
                    lang="zh" if i % 2 else "en",
                    timezone="Asia/Shanghai" if i % 3 == 0 else "UTC",
                    subscribed=True,
                    next_due_at=due,
                )
                for i in range(first, min(first + 1000, chats))
            )


def _rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


async def _fan_out(settings: Settings, store: Store, limiter: Any) -> tuple[Deliverer, float, float]:
    from telegram.ext import ExtBot

    peak = [_rss_mb()]

    async def sample() -> None:
        while True:
            peak[0] = max(peak[0], _rss_mb())
            await asyncio.sleep(0.25)

    bot: ExtBot[Any] = ExtBot(TOKEN, base_url=settings.bot.base_url, rate_limiter=limiter)
    async with bot:
        deliverer = Deliverer(settings, store, bot)
        sampler = asyncio.create_task(sample())
        started = time.perf_counter()
        await deliverer.deliver_due()
        elapsed = time.perf_counter() - started
        sampler.cancel()
        return deliverer, elapsed, max(peak[0], _rss_mb())


def run(chats: int, rate: float, limiter_kind: str) -> dict[str, Any]:
    """One fan-out to `chats` chats; the measured figures."""
    with tempfile.TemporaryDirectory() as tmp:
        parent, child = multiprocessing.Pipe()
        server = multiprocessing.get_context("spawn").Process(
            target=_serve, args=(child, chats, rate), daemon=True
        )
        server.start()
        base_url = parent.recv()
        settings = load_settings(
            environ={},
            overrides={"database_url": f"sqlite:///{Path(tmp) / 'fanout.db'}", "bot.base_url": base_url,
                       "bot.overall_per_second": rate, "telegram_token": TOKEN},
        )  # fmt: skip
        store = Store(settings.database)
        now = datetime.now(UTC)
        _day_of_news(store, now)
        _subscribers(store, chats, now - timedelta(minutes=1))
        rss_before = _rss_mb()
        if limiter_kind == "ours":
            bot = settings.bot
            limiter: Any = FloodLimiter(
                rate, 1.0, 20.0, max_in_flight=bot.concurrent_sends, max_retry_after=bot.max_retry_after
            )
        else:
            from telegram.ext import AIORateLimiter

            limiter = AIORateLimiter(overall_max_rate=rate, group_max_rate=20)
        cpu = time.process_time()
        deliverer, elapsed, rss_peak = asyncio.run(_fan_out(settings, store, limiter))
        cpu = time.process_time() - cpu
        parent.send("stop")
        stats = parent.recv()
        server.join(10)
        statuses = store.deliveries.counts_since(now - timedelta(days=1))
        recorded = store.deliveries.parts_by_chat(now - timedelta(days=1))
        store.close()
    # Exactly once: one delivery per chat, and the chat received exactly the parts recorded for it.
    per_chat = stats["per_chat"]
    wrong = sum(
        1 for chat_id, (count, parts) in recorded.items() if count != 1 or per_chat.get(chat_id, 0) != parts
    )
    sent_at = sorted(stats["sent_at"])
    span = sent_at[-1] - sent_at[0] if len(sent_at) > 1 else 0.0
    return {
        "chats": chats,
        "messages": len(sent_at),
        "rate": (len(sent_at) - 1) / span if span else 0.0,
        "elapsed": elapsed,
        "cpu": cpu,
        "errors_429": stats["errors"].get(429, 0),
        "limited": stats["limited"],
        "wrong": wrong,
        "reached": len(per_chat),
        "statuses": statuses,
        "rss_before": rss_before,
        "rss_peak": rss_peak,
        "sent_by_us": deliverer.messages_sent,
        "latency_ms": 1000 * limiter.throttled_seconds / max(1, limiter.throttled_requests)
        if isinstance(limiter, FloodLimiter)
        else None,
    }


def run_kills(chats: int, kills: int, seed: int | None) -> dict[str, Any]:
    """The daemon SIGKILLed `kills` times during a fan-out to `chats` chats; what each kill doubled."""
    from tests.fakes.telegram_kills import analyse, fan_out_with_kills, prepare

    async def go(tmp: Path) -> dict[str, Any]:
        api = FakeTelegram()
        api.latency = (0.001, 0.01)
        await api.start()
        store = Store(f"sqlite:///{tmp / 'daemon.db'}")
        try:
            chat_ids = prepare(store, api, chats)
            started = time.perf_counter()
            points = await fan_out_with_kills(tmp, api, store, chat_ids, kills=kills, rng=random.Random(seed))
            elapsed = time.perf_counter() - started
            outcome = analyse(api, store, chat_ids, points)
        finally:
            store.close()
            api.release_answers()
            await api.close()
        return {"outcome": outcome, "elapsed": elapsed}

    with tempfile.TemporaryDirectory() as tmp:
        return asyncio.run(go(Path(tmp)))


def _kills_report(result: dict[str, Any]) -> str:
    outcome = result["outcome"]
    doubled = outcome.doubled_per_kill
    wire = [len(point.in_flight) for point in outcome.kills]
    rows = "\n".join(
        f"| {k + 1} | {point.accepted:,} | {len(point.in_flight)} | {doubled[k]} |"
        for k, point in enumerate(outcome.kills)
    )
    return (
        f"The real daemon (`python -m bot run`, `bot.concurrent_sends` = 4, SQLite) fanned one digest "
        f"({outcome.parts / max(1, outcome.chats):.0f} parts) out to {outcome.chats:,} chats through the "
        f"stand-in (1–10 ms between taking a message and answering it) and was SIGKILLed {len(doubled)} "
        "times at random points (after 15–60 more accepted messages each), restarted after each. At each "
        "kill point the stand-in held its answers, waited until every answer it had given was recorded as "
        "sent, and the daemon was killed 0–0.2 s later: the requests then on the wire were taken by "
        "Telegram but never answered, the case no sender can resolve. Held answers let the sender fill "
        "every in-flight slot before the kill, so each kill here is the worst case for its moment.\n\n"
        "| kill | messages accepted before it | requests on the wire | parts doubled |\n|---|---|---|---|\n"
        f"{rows}\n\n"
        f"- Parts doubled per kill: mean {statistics.mean(doubled):.2f}, most {max(doubled)}, total "
        f"{sum(doubled)} over {len(doubled)} kills; requests on the wire per kill: mean "
        f"{statistics.mean(wire):.2f}, most {max(wire)} (the bound is `bot.concurrent_sends`).\n"
        f"- Every doubled part was a request on the wire at a kill, at most one per chat per kill; chats "
        f"whose messages were not their whole digest once in order (doubles aside): "
        f"{len(outcome.problems)}{': ' + '; '.join(outcome.problems[:5]) if outcome.problems else ''}.\n"
        f"- Messages {outcome.messages:,} for {outcome.parts:,} parts; wall time {result['elapsed']:.0f} s "
        f"including the {len(doubled) + 1} daemon starts; load average at the end "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs.\n"
    )


def _row(name: str, r: dict[str, Any], rate: float) -> str:
    return (
        f"| {name} | {r['chats']:,} | {r['messages']:,} | {r['rate']:.2f} | {r['rate'] / rate:.1%} | "
        f"{r['errors_429']} | {r['reached']:,} | {r['statuses'].get('sent', 0):,} | "
        f"{r['statuses'].get('pending', 0) + r['statuses'].get('failed', 0):,} | "
        f"{r['elapsed']:.0f} s | {r['cpu']:.0f} s | {r['rss_peak']:.0f} MB |"
    )


def main(argv: list[str]) -> None:
    """Run the fan-out benchmark and write its section of benchmarks/results.md."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.fanout", description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=10_000, help="subscribed chats (default 10,000)")
    parser.add_argument(
        "--baseline-chats", type=int, default=600, help="chats for the AIORateLimiter baseline"
    )
    parser.add_argument("--rate", type=float, default=30.0, help="messages/s the stand-in allows overall")
    parser.add_argument("--kills", type=int, default=20, help="SIGKILLs of the daemon (0: skip)")
    parser.add_argument("--kill-chats", type=int, default=600, help="chats of the fan-out killed")
    parser.add_argument("--seed", type=int, default=None, help="random seed of the kill points")
    parser.add_argument("--no-write", action="store_true", help="print only; leave results.md alone")
    args = parser.parse_args(argv)

    if args.kills:
        killed = run_kills(args.kill_chats, args.kills, args.seed)
        body = _kills_report(killed)
        if not args.no_write:
            write_section("fanout_kills", "Fan-out under SIGKILL: parts doubled per kill", body)
        print(body, flush=True)
    if not args.chats:
        return

    ours = run(args.chats, args.rate, "ours")
    print(_row("FloodLimiter (ours)", ours, args.rate), flush=True)
    base = run(min(args.baseline_chats, args.chats), args.rate, "aio") if args.baseline_chats else None
    if base:
        print(_row("AIORateLimiter (PTB)", base, args.rate), flush=True)
    body = _report(ours, base, args.rate)
    if not args.no_write:
        write_section("fanout", "Fan-out: one digest to many chats (Telegram stand-in, 30 msg/s)", body)
    print(body)


def _report(ours: dict[str, Any], base: dict[str, Any] | None, rate: float) -> str:
    header = (
        "| sender | chats | messages | msg/s at stand-in | of the limit | 429s | chats reached | delivered "
        "| pending or failed | wall | sender CPU | sender RSS, peak during the fan-out |\n"
        + "|---" * 12
        + "|"
    )
    rows = [_row("FloodLimiter (ours)", ours, rate)]
    if base:
        rows.append(_row("AIORateLimiter (PTB), baseline", base, rate))
    per_chat = ours["messages"] / max(1, ours["reached"])
    return (
        f"One day's digest (10 stories; {per_chat:.2f} messages per chat on average; half the chats in "
        f"Chinese; one chat in {GROUP_SHARE} a group) fanned out to subscribed chats through the Telegram "
        f"stand-in, which answers 429 above {rate:g} msg/s overall, 1/s per chat and 20/min per group. Every "
        "delivery is recorded in SQLite before sending. msg/s is measured at the stand-in, from the first to "
        "the last accepted message.\n\n"
        f"{header}\n" + "\n".join(rows) + "\n\n"
        "- Chats whose messages differ from their one recorded delivery (missing or doubled): "
        f"{ours['wrong']}.\n"
        f"- Mean time a message holds its slots (taken to Telegram's answer): {ours['latency_ms']:.1f} ms; "
        f"a slot frees one period after the answer, so the ceiling is {rate:g} / (1 + that) per second.\n"
        f"- Sender RSS before the fan-out: {ours['rss_before']:.0f} MB (articles and chats already in "
        "SQLite; the peak in the table is sampled every 0.25 s while sending).\n"
        "- The baseline is PTB's `AIORateLimiter` (no retries, a leaky bucket that bursts); a delivery that "
        "meets a 429 there stays pending for the next pass.\n"
        f"- Load average at the end of the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs.\n"
    )


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
