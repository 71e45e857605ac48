"""Crawl children: a time limit that kills the whole process group, crashes recorded, clean stops, no overlap.

The child here is a small stand-in program started exactly as the daemon starts `seedwatch crawl` (the
configurable `daemon.crawl_command`): it opens a run like a real crawl, then hangs, crashes or finishes.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.supervise import CHILD_FACT, ChildCommand, CrawlSupervisor, pid_alive
from crawler.config import Settings, load_settings
from crawler.storage import Store

FAKE_CRAWL = """
import os, signal, subprocess, sys, time
from crawler.storage import Store

mode = os.environ["FAKE_CRAWL_MODE"]
trigger = sys.argv[sys.argv.index("--trigger") + 1]
store = Store(os.environ["SEEDWATCH_DATABASE_URL"])
run = store.runs.start(trigger=trigger, pid=os.getpid())
if mode == "ok":
    store.runs.finish(run)
    sys.exit(0)
if mode == "crash":
    print("about to crash: the parser met something awful", file=sys.stderr, flush=True)
    os.kill(os.getpid(), signal.SIGSEGV)
if mode == "leaves-worker":  # exits, but a worker it started lives on (holding its stderr open)
    worker = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    with open(os.environ["FAKE_CRAWL_PIDS"], "w") as handle:
        handle.write(f"{os.getpid()} {worker.pid}")
    store.runs.finish(run)
    sys.exit(0)
stubborn = mode == "stubborn"  # ignores SIGTERM, and so does its worker: only SIGKILL ends them
if stubborn:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
code = "import signal, time\\n" + ("signal.signal(signal.SIGTERM, signal.SIG_IGN)\\n" if stubborn else "")
worker = subprocess.Popen([sys.executable, "-c", code + "time.sleep(600)"])
with open(os.environ["FAKE_CRAWL_PIDS"], "w") as handle:
    handle.write(f"{os.getpid()} {worker.pid}")
time.sleep(600)
"""


def make_settings(tmp_path: Path, **overrides: object) -> Settings:
    values = {"database_url": f"sqlite:///{tmp_path / 'sup.db'}", "crawl.time_limit_minutes": 5, **overrides}
    return load_settings(environ={}, overrides=values)


def supervisor(tmp_path: Path, mode: str, settings: Settings, store: Store) -> CrawlSupervisor:
    script = tmp_path / "fake_crawl.py"
    script.write_text(FAKE_CRAWL, encoding="utf-8")
    environ = {**os.environ, "FAKE_CRAWL_MODE": mode, "FAKE_CRAWL_PIDS": str(tmp_path / "pids")}
    command = ChildCommand.for_settings(settings, environ, None)
    command = ChildCommand((sys.executable, str(script)), command.env, None)
    return CrawlSupervisor(settings, store, command, term_grace=0.5)


async def pids_of(tmp_path: Path) -> list[int]:
    path = tmp_path / "pids"
    for _ in range(300):
        if path.exists() and path.read_text().strip():
            return [int(p) for p in path.read_text().split()]
        await asyncio.sleep(0.05)
    raise AssertionError("the fake crawl never started")


async def gone(pids: list[int]) -> bool:
    for _ in range(50):
        if not any(pid_alive(pid) for pid in pids):
            return True
        await asyncio.sleep(0.05)
    return False


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(f"sqlite:///{tmp_path / 'sup.db'}")


async def test_a_crawl_past_its_time_limit_is_killed_with_its_workers_and_recorded(
    tmp_path: Path, store: Store
) -> None:
    # 6 s: time for the stand-in to import and open its run on a loaded machine, then the limit strikes.
    settings = make_settings(tmp_path, **{"crawl.time_limit_minutes": 0.1})
    outcome = await supervisor(tmp_path, "stubborn", settings, store).run()
    assert outcome.status == "killed" and "time limit" in outcome.detail
    assert await gone(await pids_of(tmp_path)), "the crawl or its worker survived"
    [run_id] = outcome.run_ids
    run = store.runs.get(run_id)
    assert run is not None and run.status == "failed" and "time limit" in (run.error or "")
    assert store.daemon.fact(CHILD_FACT) is None


async def test_a_crash_is_recorded_with_its_last_words(tmp_path: Path, store: Store) -> None:
    outcome = await supervisor(tmp_path, "crash", make_settings(tmp_path), store).run()
    assert outcome.status == "crashed" and not outcome.ok
    assert "signal 11" in outcome.detail and "something awful" in outcome.detail
    run = store.runs.get(outcome.run_ids[0])
    assert run is not None and run.status == "failed" and "signal 11" in (run.error or "")


async def test_with_json_logs_every_line_of_the_crawl_stays_json(
    tmp_path: Path, store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = make_settings(tmp_path, log_format="json")
    await supervisor(tmp_path, "crash", settings, store).run()
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]
    assert any("something awful" in record["message"] for record in records)


async def test_a_finished_crawl_is_completed(tmp_path: Path, store: Store) -> None:
    outcome = await supervisor(tmp_path, "ok", make_settings(tmp_path), store).run(trigger="admin")
    run = store.runs.get(outcome.run_ids[0])
    assert (
        outcome.status == "completed"
        and run is not None
        and (run.status, run.trigger)
        == (
            "completed",
            "admin",
        )
    )


async def test_workers_outliving_their_crawl_are_ended(tmp_path: Path, store: Store) -> None:
    outcome = await supervisor(tmp_path, "leaves-worker", make_settings(tmp_path), store).run()
    assert outcome.status == "completed"
    assert await gone(await pids_of(tmp_path)), "a worker of the finished crawl was left running"


async def test_stopping_terminates_the_crawl_and_records_it_interrupted(tmp_path: Path, store: Store) -> None:
    sup = supervisor(tmp_path, "hang", make_settings(tmp_path), store)
    crawl = asyncio.create_task(sup.run())
    pids = await pids_of(tmp_path)
    await sup.stop()
    outcome = await crawl
    assert outcome.status == "interrupted"
    assert await gone(pids)
    run = store.runs.get(outcome.run_ids[0])
    assert run is not None and run.status == "interrupted"
    assert (await sup.run()).status == "skipped"  # nothing new starts once stopping


async def test_crawls_never_overlap_even_across_daemons(tmp_path: Path, store: Store) -> None:
    settings = make_settings(tmp_path)
    first = supervisor(tmp_path, "hang", settings, store)
    crawl = asyncio.create_task(first.run())
    await pids_of(tmp_path)
    assert (await first.run()).detail == "a crawl is already running"
    # Another supervisor (a second daemon, or one restarted while the old child lives) sees the run.
    other = await supervisor(tmp_path, "ok", settings, store).run()
    assert other.status == "skipped" and "is still running" in other.detail
    await first.stop()
    await crawl


async def test_after_a_restart_a_left_over_crawl_is_ended_and_its_run_closed(
    tmp_path: Path, store: Store
) -> None:
    settings = make_settings(tmp_path)
    sup = supervisor(tmp_path, "hang", settings, store)
    argv = sup.command.argv("scheduled", True)
    # The crawl a SIGKILLed daemon left behind: still running, in its own process group.
    orphan = subprocess.Popen(argv, env=dict(sup.command.env), start_new_session=True)
    pids = await pids_of(tmp_path)
    store.daemon.put_fact(CHILD_FACT, {"pid": orphan.pid, "host": sup.host, "started_at": "x"})
    dead = store.runs.start(trigger="scheduled", pid=2**22 + 17)  # its process is long gone
    notes = sup.clean_up_after_restart()
    orphan.wait(timeout=10)
    assert await gone(pids)
    assert any("ended crawl pid" in note for note in notes)
    statuses = {run.id: run.status for run in store.runs.latest(5)}
    assert statuses[dead] == "failed" and set(statuses.values()) == {"failed"}
    assert store.daemon.fact(CHILD_FACT) is None


def test_the_database_password_travels_in_the_environment_not_the_command_line(tmp_path: Path) -> None:
    url = "postgresql+psycopg://seedwatch:s3cret@db.example/seedwatch"
    settings = load_settings(environ={}, overrides={"database_url": url})
    environ = {"TELEGRAM_BOT_TOKEN": "1:abc", "PATH": "/usr/bin"}
    command = ChildCommand.for_settings(settings, environ, str(tmp_path / "my.toml"))
    argv = command.argv("scheduled", True)
    assert "s3cret" not in " ".join(argv)
    config = str((tmp_path / "my.toml").resolve())
    assert argv[:3] == [sys.executable, "-m", "bot"]
    assert argv[3:] == ["crawl", "--trigger", "scheduled", "--due-only", "--config", config]
    assert command.env["SEEDWATCH_DATABASE_URL"] == url
    assert "TELEGRAM_BOT_TOKEN" not in command.env  # the crawl does not need the bot's token


def test_with_a_shared_frontier_the_daemons_crawl_starts_its_configured_workers() -> None:
    environ = {"SEEDWATCH_DAEMON__CRAWL_WORKERS": "2"}
    shared = load_settings(environ={**environ, "SEEDWATCH_REDIS_URL": "redis://127.0.0.1:6379/0"})
    argv = ChildCommand.for_settings(shared, {}, None).argv("scheduled", True)
    assert argv[argv.index("--workers") + 1] == "2"
    alone = load_settings(environ=environ)  # no frontier: nobody could join, so no workers
    assert "--workers" not in ChildCommand.for_settings(alone, {}, None).argv("scheduled", True)


def test_pid_alive_knows_the_dead_and_the_living() -> None:
    assert pid_alive(os.getpid())
    assert not pid_alive(None) and not pid_alive(0)
    done = subprocess.Popen([sys.executable, "-c", "pass"])
    done.wait()
    assert not pid_alive(done.pid)
    sleeper = subprocess.Popen(["sleep", "30"])
    try:
        for _ in range(100):  # Popen may return before the kernel shows the new program's command line
            if Path(f"/proc/{sleeper.pid}/cmdline").read_bytes():
                break
            time.sleep(0.01)
        assert pid_alive(sleeper.pid) and pid_alive(sleeper.pid, "sleep")
        assert not pid_alive(sleeper.pid, "crawl")
    finally:
        sleeper.send_signal(signal.SIGKILL)
        sleeper.wait()
