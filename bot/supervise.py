"""Crawls in child processes: started, watched, time-limited, stopped, and always recorded.

Scrapy's reactor cannot restart inside one process, and a crawl that crashes or hangs must not take the bot
down, so every crawl of the daemon is a `seedwatch crawl` child process in a process group of its own
(with its extraction workers). The supervisor never runs two at once (its own lock, plus a look at the runs
the database says are running and whether their processes live), kills the whole group when the time
limit passes, and closes the run the child could not close itself (killed, crashed, interrupted).

The database URL reaches the child through the environment, never its command line (where `ps` shows it).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import socket
import sys
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from crawler.config import Settings
from crawler.storage import Store, utcnow

logger = logging.getLogger(__name__)

CHILD_FACT = "crawl.child"
DAEMON_TRIGGERS = ("scheduled", "admin")  # runs the daemon starts: on its schedule, or by /crawl
TERM_GRACE = 10.0  # seconds between SIGTERM and SIGKILL of a crawl's process group


@dataclass(frozen=True)
class ChildCommand:
    """How to start a crawl child: the program (argv before `crawl`), its environment, the config file."""

    program: Sequence[str]
    env: Mapping[str, str]
    config_file: str | None = None
    workers: int = 0  # worker processes the crawl starts beside it (a shared frontier only)

    @classmethod
    def for_settings(
        cls, settings: Settings, environ: Mapping[str, str], config_file: str | None
    ) -> ChildCommand:
        """This seedwatch (or `daemon.crawl_command`), with the database URL in the environment."""
        program = list(settings.daemon.crawl_command) or [sys.executable, "-m", "bot"]
        env = {key: value for key, value in environ.items() if key != "TELEGRAM_BOT_TOKEN"}
        env["SEEDWATCH_DATABASE_URL"] = settings.database  # the child must use the daemon's database
        config = str(Path(config_file).resolve()) if config_file else None
        workers = settings.daemon.crawl_workers if settings.redis_url else 0
        return cls(tuple(program), env, config, workers)

    def argv(self, trigger: str, due_only: bool) -> list[str]:
        """The full command line of one crawl."""
        args = [*self.program, "crawl", "--trigger", trigger]
        if due_only:
            args.append("--due-only")
        if self.workers:
            args += ["--workers", str(self.workers)]
        if self.config_file:
            args += ["--config", self.config_file]
        return args


@dataclass
class CrawlOutcome:
    """How one crawl ended."""

    status: str  # completed | failed | killed | crashed | interrupted | skipped | nothing_due
    detail: str = ""
    run_ids: list[int] = field(default_factory=list)
    returncode: int | None = None
    pid: int | None = None
    started_at: datetime | None = None

    @property
    def ok(self) -> bool:
        """Whether the crawl process did its job (sources may still have failed)."""
        return self.status in ("completed", "nothing_due")

    def summary(self) -> str:
        """One line for logs, admins and /crawl."""
        runs = ", ".join(f"#{run_id}" for run_id in self.run_ids)
        text = self.status + (f" (run {runs})" if runs else "")
        return text + (f": {self.detail}" if self.detail else "")


def pid_alive(pid: int | None, marker: str | None = None) -> bool:
    """Whether a process lives on this host (not a zombie); with `marker`, its command line must hold it."""
    if not pid or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    proc = Path(f"/proc/{pid}")
    if not proc.exists():
        return True  # no /proc here: trust kill(0)
    try:
        state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
        cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
    except (OSError, IndexError):
        return False
    return state != "Z" and (marker is None or marker in cmdline)


def kill_group(pgid: int, sig: int) -> bool:
    """Send a signal to a process group; False when the group is gone."""
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        return False
    except PermissionError:
        logger.warning("not allowed to signal process group %d", pgid)
        return False
    return True


async def end_group(pgid: int, grace: float, wait: Callable[[], object] | None = None) -> None:
    """SIGTERM a process group, then SIGKILL whatever is left after `grace` seconds."""
    if not kill_group(pgid, signal.SIGTERM):
        return
    deadline = asyncio.get_running_loop().time() + grace
    while asyncio.get_running_loop().time() < deadline:
        if not _group_alive(pgid):
            return
        await asyncio.sleep(0.1)
    kill_group(pgid, signal.SIGKILL)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    proc = Path("/proc")
    if not proc.exists():
        return True
    for entry in proc.iterdir():  # kill(0) also answers for zombies: look for a live member
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if int(fields[2]) == pgid and fields[0] != "Z":
                return True
    return False


class CrawlSupervisor:
    """Runs crawl children one at a time, with a time limit, and records how each ended."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        command: ChildCommand,
        *,
        clock: Callable[[], datetime] = utcnow,
        term_grace: float = TERM_GRACE,
    ) -> None:
        self.settings = settings
        self.term_grace = term_grace
        self.store = store
        self.command = command
        self.clock = clock
        self.host = socket.gethostname()
        self.process: asyncio.subprocess.Process | None = None
        self._lock = asyncio.Lock()
        self._stopping = False
        self._stop_requested_for: int | None = None

    @property
    def busy(self) -> bool:
        """Whether a crawl child is running now."""
        return self._lock.locked()

    @property
    def time_limit(self) -> float:
        """Seconds a crawl may take."""
        return self.settings.crawl.time_limit_minutes * 60

    async def run(self, *, trigger: str = "scheduled", due_only: bool = True) -> CrawlOutcome:
        """One crawl in a child process; never two at once, never longer than the time limit."""
        if self._stopping:
            return CrawlOutcome("skipped", "the daemon is stopping")
        if self._lock.locked():
            return CrawlOutcome("skipped", "a crawl is already running")
        async with self._lock:
            other = await asyncio.to_thread(self.other_crawl)
            if other:
                return CrawlOutcome("skipped", other)
            return await self._run_child(trigger, due_only)

    def other_crawl(self) -> str:
        """Why another crawl counts as running (a live process behind a running run), or ''."""
        horizon = self.clock() - timedelta(seconds=self.time_limit + 2 * self.term_grace)
        for run in self.store.runs.running_runs():
            if run.started_at >= horizon and pid_alive(run.pid, "crawl"):
                return f"crawl run #{run.run_id} (pid {run.pid}) is still running"
        return ""

    async def _run_child(self, trigger: str, due_only: bool) -> CrawlOutcome:
        started = self.clock()
        argv = self.command.argv(trigger, due_only)
        logger.info("crawl starting: %s", " ".join(argv[len(self.command.program) :]))
        try:
            process = await asyncio.create_subprocess_exec(
                *argv,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE,
                env=dict(self.command.env),
                start_new_session=True,  # its own process group: one signal reaches its workers too
            )
        except OSError as exc:
            return CrawlOutcome("crashed", f"cannot start {argv[0]}: {exc}", started_at=started)
        self.process = process
        await asyncio.to_thread(
            self.store.daemon.put_fact,
            CHILD_FACT,
            {"pid": process.pid, "host": self.host, "started_at": started.isoformat()},
        )
        tail: deque[str] = deque(maxlen=20)
        reader = asyncio.create_task(_relay(process, tail, self.settings.log_format == "json"))
        timed_out = False
        try:
            await asyncio.wait_for(_exit_of(process), self.time_limit)
        except TimeoutError:
            timed_out = True
            logger.error("crawl pid %d passed its time limit; killing its process group", process.pid)
            await end_group(process.pid, self.term_grace)
            await _exit_of(process)
        finally:
            if _group_alive(process.pid):  # workers outliving their crawl would leak, holding its stderr
                logger.warning("crawl pid %d left processes behind; ending them", process.pid)
                await end_group(process.pid, self.term_grace)
            done, _pending = await asyncio.wait([reader], timeout=5)
            if not done:
                reader.cancel()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(process.wait(), 5)  # lets asyncio close the pipes
            self.process = None
        outcome = await asyncio.to_thread(self._record, process, trigger, started, timed_out, list(tail))
        await asyncio.to_thread(self.store.daemon.drop_fact, CHILD_FACT)
        log = logger.info if outcome.ok else logger.error
        log("crawl %s", outcome.summary())
        return outcome

    def _record(
        self,
        process: asyncio.subprocess.Process,
        trigger: str,
        started: datetime,
        timed_out: bool,
        tail: list[str],
    ) -> CrawlOutcome:
        """Close what the child left open and say how it ended."""
        code = process.returncode
        interrupted = self._stop_requested_for == process.pid
        since = started - timedelta(seconds=1)
        runs = list(self.store.runs.runs_since(since, pid=process.pid))
        if not runs:  # a wrapper in daemon.crawl_command may run the crawl under another pid
            runs = [r for r in self.store.runs.runs_since(since) if r.trigger == trigger]
        if timed_out:
            status = "killed"
            detail = f"killed after the time limit of {self.settings.crawl.time_limit_minutes:g} min"
        elif interrupted:
            status, detail = "interrupted", "stopped: the daemon is shutting down"
        elif code == 0:
            status, detail = "completed", ""
        else:
            status = "crashed"
            reason = f"killed by signal {-code}" if code is not None and code < 0 else f"exit status {code}"
            last = next((line for line in reversed(tail) if line.strip()), "")
            detail = f"crawl process {reason}" + (f": {last[-300:]}" if last else "")
        for run in runs:
            if status == "interrupted":
                # Scrapy finishes gracefully on SIGTERM and calls the run completed; it was cut short.
                if run.status in ("running", "completed"):
                    self.store.runs.close_run(run.id, "interrupted", detail, running_only=False)
            elif run.status == "running":
                self.store.runs.close_run(run.id, "failed", detail or "ended without closing its run")
            elif status in ("completed", "crashed") and run.status in ("failed", "interrupted"):
                # The crawl closed its run as failed (every source failed, its frontier unreachable) or
                # interrupted (a signal) and exited non-zero: the run says why better than the status.
                status, detail = run.status, run.error or f"the crawl {run.status}"
        if status == "completed" and not runs:
            status = "nothing_due"
        return CrawlOutcome(status, detail, [r.id for r in runs], code, process.pid, started)

    async def stop(self, grace: float | None = None) -> None:
        """Stop the crawl in progress (SIGTERM, then SIGKILL after `grace`); no new crawl starts."""
        self._stopping = True
        process = self.process
        if process is None or process.returncode is not None:
            return
        logger.info("stopping crawl pid %d", process.pid)
        self._stop_requested_for = process.pid
        await end_group(process.pid, self.term_grace if grace is None else grace)
        await _exit_of(process)

    def clean_up_after_restart(self) -> list[str]:
        """After a restart: end a crawl child the previous daemon left behind, close runs nobody runs."""
        notes: list[str] = []
        fact = self.store.daemon.fact(CHILD_FACT)
        if fact and fact.get("host") == self.host:
            pid = int(fact.get("pid") or 0)
            if pid_alive(pid, "crawl"):
                notes.append(f"ended crawl pid {pid} left by the previous daemon")
                _end_group_now(pid)
        self.store.daemon.drop_fact(CHILD_FACT)
        for run in self.store.runs.running_runs():
            if run.trigger in DAEMON_TRIGGERS and not pid_alive(run.pid, "crawl"):
                self.store.runs.close_run(run.run_id, "failed", "abandoned: the daemon stopped during it")
                notes.append(f"closed crawl run #{run.run_id} left running")
        return notes


def _end_group_now(pgid: int) -> None:
    """The synchronous `end_group`, for start-up before the event loop runs."""
    import time

    if not kill_group(pgid, signal.SIGTERM):
        return
    deadline = time.monotonic() + TERM_GRACE
    while time.monotonic() < deadline and _group_alive(pgid):
        time.sleep(0.1)
    kill_group(pgid, signal.SIGKILL)


async def _exit_of(process: asyncio.subprocess.Process) -> None:
    """Wait for the process to exit. (`Process.wait()` also waits for its pipes to close, which a worker
    that inherited them can hold open long after.)"""
    while process.returncode is None:
        await asyncio.sleep(0.1)


async def _relay(process: asyncio.subprocess.Process, tail: deque[str], as_json: bool) -> None:
    """Pass the child's log lines on to ours (stderr) and keep the last few for the error message.

    With JSON logs, the child's plain lines (its progress lines) are wrapped, so every line stays JSON.
    """
    stream = process.stderr
    if stream is None:
        return
    while True:
        try:
            line = await stream.readline()
        except (ValueError, asyncio.LimitOverrunError):  # an absurdly long line: skip it
            continue
        if not line:
            return
        text = line.decode("utf-8", "replace")
        tail.append(text.rstrip())
        if as_json and not text.lstrip().startswith("{"):
            record = {"time": utcnow().isoformat(timespec="seconds"), "level": "INFO"}
            text = json.dumps({**record, "logger": "seedwatch.crawl", "message": text.rstrip()}) + "\n"
        with contextlib.suppress(OSError, ValueError):
            sys.stderr.write(text)
            sys.stderr.flush()
