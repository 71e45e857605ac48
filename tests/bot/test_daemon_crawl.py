"""The real daemon crawling the demo web on a short schedule: a crashing crawl does not stop the next cycle,
the bot answers throughout, admins hear of problems once, and SIGTERM ends a hung crawl cleanly.

The crawl command (`daemon.crawl_command`) is a wrapper around `python -m bot`: its first call crashes with
SIGSEGV, its second runs the real crawl, its third hangs with a worker process, as a broken crawl would.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from bot.cli import main
from bot.supervise import pid_alive
from crawler.demo import DemoSiteProcess
from crawler.storage import Store
from tests.bot.daemon_helpers import FAST_CRAWL, DaemonProcess, daemon_env, wait_until
from tests.fakes.telegram_api import FakeTelegram

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("demo-crawl")]

ADMIN, USER = 4242, 5151
WRAPPER = """
import os, signal, subprocess, sys, time

calls_file, args = sys.argv[1], sys.argv[2:]
calls = int(open(calls_file).read()) if os.path.exists(calls_file) else 0
with open(calls_file, "w") as handle:
    handle.write(str(calls + 1))
if calls == 0:
    os.kill(os.getpid(), signal.SIGSEGV)  # the first crawl crashes
if calls >= 2:  # the third hangs, as a stuck crawl does, with a worker process
    from crawler.storage import Store
    Store(os.environ["SEEDWATCH_DATABASE_URL"]).runs.start(trigger="scheduled", pid=os.getpid())
    worker = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    with open(calls_file + ".pids", "w") as handle:
        handle.write(f"{os.getpid()} {worker.pid}")
    time.sleep(600)
os.execv(sys.executable, [sys.executable, "-m", "bot", *args])  # the second is the real crawl
"""


@pytest.fixture(scope="module")
def site() -> Iterator[DemoSiteProcess]:
    with DemoSiteProcess(slow_delay=6.0, oversize_bytes=3_000_000) as demo:
        demo.start()
        yield demo


@pytest.fixture
async def api() -> AsyncIterator[FakeTelegram]:
    fake = FakeTelegram()
    await fake.start()
    yield fake
    await fake.close()


def calls(tmp_path: Path) -> int:
    path = tmp_path / "calls"
    return int(path.read_text()) if path.exists() and path.read_text() else 0


async def ask_help(api: FakeTelegram, daemon: DaemonProcess) -> None:
    before = len(api.sent(USER))
    api.send(USER, USER, "/help")
    await wait_until(lambda: len(api.sent(USER)) > before, daemon, what="for the bot to answer /help")
    assert "/subscribe" in api.sent(USER)[-1].text


async def test_a_crashing_or_hanging_crawl_never_stops_the_daemon(
    site: DemoSiteProcess, api: FakeTelegram, tmp_path: Path
) -> None:
    wanted = {"TechWire Daily", "Pacific Newswire", "Offline Tech Blog", "Broken Feed Blog"}
    sources = [s for s in site.sources() if s["name"] in wanted]
    (tmp_path / "sources.yaml").write_text(yaml.safe_dump({"sources": sources}), encoding="utf-8")
    (tmp_path / "wrapper.py").write_text(WRAPPER, encoding="utf-8")
    api.private_chat(ADMIN)
    api.private_chat(USER)
    env = daemon_env(
        tmp_path,
        api,
        sources_file=str(tmp_path / "sources.yaml"),
        bot__admin_ids=f"[{ADMIN}]",
        crawl__interval_minutes="0.04",
        crawl__jitter_seconds="0",
        crawl__failure_alert_after="1",
        daemon__crawl_command=f'["{sys.executable}", "{tmp_path / "wrapper.py"}", "{tmp_path / "calls"}"]',
    )
    env.update(FAST_CRAWL)
    store = Store(env["SEEDWATCH_DATABASE_URL"])
    daemon = await DaemonProcess(env, tmp_path / "daemon.log").start()

    def admin_said(text: str) -> int:
        return sum(text in m.text for m in api.sent(ADMIN))

    await wait_until(lambda: admin_said("Crawl crashed") == 1, daemon, what="for the crash notice")
    await ask_help(api, daemon)
    await wait_until(
        lambda: any(r.status == "completed" and r.articles_new > 0 for r in store.runs.latest(5)),
        daemon,
        timeout=240,  # a whole crawl of four sources: minutes on a loaded machine
        what="for the next cycle's real crawl",
    )
    await wait_until((tmp_path / "calls.pids").exists, daemon, what="for the hanging crawl")
    await ask_help(api, daemon)
    pids = [int(p) for p in (tmp_path / "calls.pids").read_text().split()]

    assert await daemon.signal(signal.SIGTERM) == 0, daemon.tail()
    for _ in range(50):
        if not any(pid_alive(pid) for pid in pids):
            break
        await asyncio.sleep(0.1)
    assert not any(pid_alive(pid) for pid in pids), "the hung crawl outlived the daemon"

    runs = {run.id: run for run in store.runs.latest(5)}
    assert [(r.status, r.trigger) for r in sorted(runs.values(), key=lambda r: r.id)] == [
        ("completed", "scheduled"),
        ("interrupted", "scheduled"),
    ]
    assert admin_said("Crawl crashed") == 1 and admin_said("Crawls work again") == 1
    assert admin_said("Source failing: Offline Tech Blog") == 1
    assert admin_said("Source failing: Broken Feed Blog") == 1
    assert admin_said("TechWire") == 0

    offline = store.sources.get(next(s["url"] for s in sources if s["name"] == "Offline Tech Blog"))
    healthy = store.sources.get(next(s["url"] for s in sources if s["name"] == "TechWire Daily"))
    assert offline is not None and healthy is not None
    assert offline.next_crawl_at is not None and healthy.next_crawl_at is not None
    assert offline.next_crawl_at > healthy.next_crawl_at  # the failing source backs off

    status = CliRunner().invoke(main, ["status", "--db", env["SEEDWATCH_DATABASE_URL"]])
    assert status.exit_code == 0, status.output
    assert "Daemon: not running" in status.output
    assert "interrupted (scheduled)" in status.output
    assert "⚠ Offline Tech Blog: 1 failure in a row" in status.output
    assert "✓ TechWire Daily: last success" in status.output
    store.close()
