"""`seedwatch run`: the bot and one scheduler (PTB's JobQueue, i.e. APScheduler 3) in one process.

Jobs::

    crawl          one-shot, re-planned after every cycle: at the earliest time a source is due (plus
                   jitter) a `seedwatch crawl --due-only` child crawls the due sources (`bot.supervise`);
                   their next times follow from their health (`crawler.schedule`: failing sources back off)
    dispatch       every `daemon.dispatch_every_seconds`: `Deliverer.deliver_due`, which resumes unfinished
                   deliveries and sends every digest whose time has come, up to `daemon.digest_grace_hours`
                   late. The database says what is due, so digests missed while the daemon was down go out
                   when it is back; APScheduler's own misfire handling never decides that
    housekeeping   every `daemon.housekeeping_hours`: old articles, runs, deliveries and notices go
    heartbeat      every 30 s (a third of `daemon.lease_seconds` when shorter): renews the daemon lock and
                   writes the daemon's fact, for `seedwatch status`

One daemon per database: `claim` takes the database's daemon lock (`crawler.storage.lease`: an advisory lock
on PostgreSQL, a lease row on SQLite) or refuses, naming the holder's host and pid. A holder on this host
whose process is gone is taken over at once; one elsewhere when its lease expires. The first delivery pass
runs as soon as the bot is up.

Everything that matters lives in the database, so a restart loses nothing and doubles nothing. SIGTERM or
SIGINT: polling stops, the messages in flight finish and are recorded (the rest stay pending), the crawl
child is terminated and its run recorded, then the process exits 0.

Errors::

    DaemonError    the daemon cannot start (another one holds the database's daemon lock)
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import random
import signal
import socket
import uuid
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from telegram import Update
from telegram.ext import Application, ContextTypes

from bot.alerts import Alerter
from bot.application import build_application, deliverer_of
from bot.crawl_plan import CrawlPlanner
from bot.i18n import plural
from bot.status import DAEMON_FACT, HEARTBEAT_SECONDS, NEXT_CRAWL_FACT
from bot.supervise import ChildCommand, CrawlOutcome, CrawlSupervisor, pid_alive
from crawler.config import Settings
from crawler.sources import SourceListError
from crawler.storage import DaemonLock, LeaseHolder, Store, utcnow

logger = logging.getLogger(__name__)

SOURCES_KEY = "sources-file"


class DaemonError(Exception):
    """The daemon cannot start."""


def webhook_secret(token: str) -> str:
    """The secret Telegram sends with every webhook call, derived from the token (never the token)."""
    return hashlib.sha256(b"seedwatch-webhook:" + token.encode()).hexdigest()[:48]


def housekeeping(settings: Settings, store: Store, now: datetime) -> dict[str, int]:
    """Delete what retention allows: old articles (not originals newer copies point to), runs,
    finished deliveries, resolved notices. Pending deliveries are never deleted."""
    daemon = settings.daemon
    articles_before = now - timedelta(days=daemon.retention_days)
    deliveries_before = now - timedelta(days=daemon.delivery_retention_days)
    done = {
        "articles": store.articles.prune_articles(articles_before),
        "runs": store.runs.prune_runs(articles_before),
        "deliveries": store.deliveries.delete_before(deliveries_before),
        "notices": store.daemon.prune_notices(deliveries_before),
    }
    logger.info("housekeeping: deleted %s", ", ".join(f"{n} {what}" for what, n in done.items()))
    return done


class Daemon:
    """The long-running process: bot, crawl cycles, digest dispatch, housekeeping."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        command: ChildCommand,
        *,
        rng: random.Random | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.planner = CrawlPlanner(settings, store, rng or random.Random())
        self.host, self.pid = socket.gethostname(), os.getpid()
        self.started_at = utcnow()
        holder = f"{self.host}:{self.pid}:{uuid.uuid4().hex[:8]}"
        lease = timedelta(seconds=settings.daemon.lease_seconds)
        self.lock = DaemonLock(store.db, holder, self.host, self.pid, lease)
        self.supervisor = CrawlSupervisor(settings, store, command)
        self.app: Application = build_application(settings, store, crawl=self.crawl_now)  # type: ignore[type-arg]
        self.deliverer = deliverer_of(self.app)
        self.alerter = Alerter(settings, store, self._send_admin)
        self._stop = asyncio.Event()
        self._tasks: dict[str, asyncio.Task[Any]] = {}

    # -- start-up -----------------------------------------------------------------------------------

    def claim(self) -> list[str]:
        """Take the database's daemon lock (or refuse), then take over what a dead predecessor left."""
        holder = self.lock.acquire(take_from=self._holder_dead)
        if holder is not None:
            raise DaemonError(
                f"another seedwatch daemon holds this database ({holder.describe()}); stop it first, "
                f"or wait until its lease expires if it died"
            )
        notes = self.supervisor.clean_up_after_restart()
        dead = [owner for owner in self.store.deliveries.claim_owners() if self._owner_dead(owner)]
        released = self.store.deliveries.release_claims_of(dead)
        if released:
            notes.append(f"resumed {released} deliveries held by a stopped sender")
        self._heartbeat()
        for note in notes:
            logger.info("start-up: %s", note)
        return notes

    def release(self) -> None:
        """Give the daemon lock up (after a clean stop, or a start that failed)."""
        try:
            self.lock.release()
        except Exception as exc:  # the lease then simply expires
            logger.warning("could not release the daemon lock: %s", exc)

    def _holder_dead(self, holder: LeaseHolder) -> bool:
        # A holder on this host can be checked at once; one elsewhere keeps its lease until it expires.
        return holder.host == self.host and holder.pid != self.pid and not pid_alive(holder.pid, "run")

    def _owner_dead(self, owner: str) -> bool:
        # Deliverer owners are "host:pid:nonce"; only processes of this host can be checked.
        parts = owner.split(":")
        if len(parts) < 3 or parts[0] != self.host or not parts[1].isdigit():
            return False
        return int(parts[1]) != self.pid and not pid_alive(int(parts[1]))

    def _heartbeat(self, stopped: bool = False) -> None:
        fact = {
            "pid": self.pid,
            "host": self.host,
            "started_at": self.started_at.isoformat(),
            "heartbeat_at": utcnow().isoformat(),
        }
        if stopped:
            fact["stopped_at"] = utcnow().isoformat()
        self.store.daemon.put_fact(DAEMON_FACT, fact)

    # -- running ------------------------------------------------------------------------------------

    async def run(self, *, install_signals: bool = True) -> None:
        """Run until SIGTERM/SIGINT (or `request_stop`), then stop cleanly."""
        if install_signals:
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, self.request_stop, sig)
        try:
            await self.app.initialize()
            if self.app.post_init is not None:  # run_polling() would call it; we drive the app ourselves
                await self.app.post_init(self.app)
            await self.app.start()
            await self._start_updates()
            self._schedule_jobs()
            logger.info("seedwatch daemon running (pid %d)", self.pid)
            await self._stop.wait()
            await self._shutdown()
        finally:
            # After a failure while starting, undo what did start.
            if self.app.updater is not None and self.app.updater.running:
                await self.app.updater.stop()
            if self.app.running:
                await self.app.stop()
            await self.app.shutdown()
            await asyncio.to_thread(self._heartbeat, True)
            await asyncio.to_thread(self.release)
        logger.info("seedwatch daemon stopped")

    def request_stop(self, sig: int | None = None) -> None:
        """Begin a clean stop (the signal handler)."""
        if self._stop.is_set():
            logger.info("already stopping")
            return
        logger.info("%s received: stopping", signal.Signals(sig).name if sig else "stop request")
        self._stop.set()

    async def _start_updates(self) -> None:
        updater = self.app.updater
        assert updater is not None
        bot = self.settings.bot
        if bot.webhook_url:
            token = self.settings.telegram_token.get_secret_value() if self.settings.telegram_token else ""
            await updater.start_webhook(
                listen=bot.webhook_listen,
                port=bot.webhook_port,
                url_path=urlsplit(bot.webhook_url).path.lstrip("/"),
                webhook_url=bot.webhook_url,
                secret_token=webhook_secret(token),
                allowed_updates=Update.ALL_TYPES,
            )
            logger.info("bot receiving updates by webhook on %s:%d", bot.webhook_listen, bot.webhook_port)
        else:
            await updater.start_polling(
                timeout=max(0, int(bot.poll_timeout)),
                allowed_updates=Update.ALL_TYPES,
                error_callback=lambda exc: logger.warning("polling Telegram failed: %s", exc),
            )
            logger.info("bot polling %s (token hidden)", bot.base_url)

    def _schedule_jobs(self) -> None:
        jobs = self.app.job_queue
        assert jobs is not None
        # The database decides what is due; a late tick must run, not be skipped as a misfire.
        options = {"misfire_grace_time": None, "coalesce": True, "max_instances": 1}
        every = self.settings.daemon.dispatch_every_seconds
        jobs.run_repeating(
            self._dispatch_job, interval=every, first=every, name="dispatch", job_kwargs=options
        )
        # APScheduler cannot start an interval job "now" (PTB's `first=0` waits a whole interval): the
        # first pass runs here, so digests already due go out at start, not `dispatch_every_seconds` later.
        self._spawn("dispatch", self.dispatch())
        jobs.run_repeating(
            self._housekeeping_job,
            interval=self.settings.daemon.housekeeping_hours * 3600,
            first=60,
            name="housekeeping",
            job_kwargs=options,
        )
        beat = min(HEARTBEAT_SECONDS, self.settings.daemon.lease_seconds / 3)
        jobs.run_repeating(self._heartbeat_job, interval=beat, first=beat, job_kwargs=options)
        wake = self.planner.wake_after(None, utcnow())
        self._plan_crawl(wake)
        self.store.daemon.put_fact(NEXT_CRAWL_FACT, {"at": wake.isoformat()})  # at start, before any crawl

    async def _shutdown(self) -> None:
        timeout = self.settings.daemon.stop_timeout_seconds
        jobs = self.app.job_queue
        if jobs is not None and jobs.scheduler.running:
            jobs.scheduler.pause()  # no new crawl or pass starts
        self.deliverer.request_stop()
        updater = self.app.updater
        results = await asyncio.gather(
            updater.stop() if updater is not None and updater.running else asyncio.sleep(0),
            self.deliverer.stop(timeout),
            self.supervisor.stop(min(self.supervisor.term_grace, timeout)),
            return_exceptions=True,
        )
        for result in results:
            if isinstance(result, BaseException):
                logger.error("while stopping: %r", result)
        tasks = list(self._tasks.values())
        if tasks:
            await asyncio.wait(tasks, timeout=timeout)
        await self.app.stop()

    # -- jobs -----------------------------------------------------------------------------------------

    def _spawn(self, name: str, coroutine: Any) -> bool:
        running = self._tasks.get(name)
        if running is not None and not running.done():
            coroutine.close()
            return False
        self._tasks[name] = asyncio.create_task(coroutine, name=f"seedwatch-{name}")
        return True

    async def _dispatch_job(self, _context: ContextTypes.DEFAULT_TYPE) -> None:
        # A pass over thousands of chats outlasts the interval: the next tick simply finds it running.
        self._spawn("dispatch", self.dispatch())

    async def dispatch(self) -> None:
        """One delivery pass: every digest due (within the grace period), unfinished ones first."""
        try:
            grace = timedelta(hours=self.settings.daemon.digest_grace_hours)
            report = await self.deliverer.deliver_due(grace=grace)
            if report.late_skipped:
                logger.warning("%d digests more than %s late were skipped", report.late_skipped, grace)
        except Exception:
            logger.exception("delivery pass failed; the next one retries")

    async def _housekeeping_job(self, _context: ContextTypes.DEFAULT_TYPE) -> None:
        try:
            await asyncio.to_thread(housekeeping, self.settings, self.store, utcnow())
        except Exception:
            logger.exception("housekeeping failed")

    async def _heartbeat_job(self, _context: ContextTypes.DEFAULT_TYPE) -> None:
        try:
            held = await asyncio.to_thread(self.lock.renew)
            await asyncio.to_thread(self._heartbeat)
        except Exception:
            logger.exception("heartbeat failed")  # the lease lasts three beats: the next one may do
            return
        if not held:
            logger.error("another process took this database's daemon lock; stopping")
            self.request_stop()

    async def _crawl_job(self, _context: ContextTypes.DEFAULT_TYPE) -> None:
        self._spawn("crawl", self._crawl_and_plan())

    async def _crawl_and_plan(self) -> None:
        started = utcnow()
        outcome: CrawlOutcome | None = None
        try:
            outcome = await self.crawl_cycle(started)
        except Exception:
            logger.exception("crawl cycle failed")
            outcome = CrawlOutcome("failed", "the daemon's crawl cycle failed (see its log)")
        finally:
            if not self._stop.is_set():
                wake = await asyncio.to_thread(self.planner.wake_after, outcome, started)
                self._plan_crawl(wake)
                await asyncio.to_thread(self.store.daemon.put_fact, NEXT_CRAWL_FACT, {"at": wake.isoformat()})

    # -- crawling -----------------------------------------------------------------------------------

    async def crawl_cycle(self, started: datetime) -> CrawlOutcome | None:
        """Crawl the sources due now in a child process, then plan their next times and tell admins."""
        try:
            specs = await asyncio.to_thread(self.planner.sources)
        except SourceListError as exc:
            logger.error("cannot read the source list: %s", exc)
            if await asyncio.to_thread(self.store.daemon.open_notice, SOURCES_KEY, f"⚠️ {exc}"):
                await self.alerter.review([])
            return CrawlOutcome("failed", str(exc))
        await asyncio.to_thread(self.store.daemon.resolve_notices, [SOURCES_KEY])
        due = await asyncio.to_thread(self.planner.due, specs, started)
        if not due:
            return None
        outcome = await self.supervisor.run(trigger="scheduled", due_only=True)
        if outcome.status == "skipped":
            logger.info("crawl skipped: %s", outcome.detail)
            return outcome
        await asyncio.to_thread(self.planner.plan_next, specs, due, started)
        await self.alerter.review([spec.url for spec in specs], outcome)
        return outcome

    def _plan_crawl(self, when: datetime) -> None:
        jobs = self.app.job_queue
        assert jobs is not None
        jobs.run_once(
            self._crawl_job,
            when=when,
            name="crawl",
            job_kwargs={"id": "crawl", "replace_existing": True, "misfire_grace_time": None},
        )
        logger.info("next crawl at %s", when.isoformat(timespec="seconds"))

    async def crawl_now(self) -> str:
        """`/crawl`: every source now, backoff ignored; a crawl already running is not doubled."""
        outcome = await self.supervisor.run(trigger="admin", due_only=False)
        if outcome.status == "skipped":
            return outcome.summary()
        try:
            specs = await asyncio.to_thread(self.planner.sources)
        except SourceListError:
            specs = []
        await self.alerter.review([spec.url for spec in specs], outcome)
        for run_id in outcome.run_ids[-1:]:
            run = await asyncio.to_thread(self.store.runs.get, run_id)
            if run is not None:
                return (
                    f"{outcome.summary()}: {plural(run.articles_new, 'new article', 'new articles')}, "
                    f"{run.sources_failed} of {run.sources_total} sources failed"
                )
        return outcome.summary()

    async def _send_admin(self, chat_id: int, text: str) -> None:
        # Through the delivery records like every other bulk send; the key makes a retry not resend.
        key = f"{utcnow():%Y%m%d%H}:{hashlib.sha256(text.encode()).hexdigest()[:16]}"
        outcome = await self.deliverer.notify(chat_id, text, key)
        if outcome != "sent":
            raise RuntimeError(f"admin notice not delivered ({outcome})")
