"""Delivering digests, broadcasts and admin notices: one path, each part sent by exactly one task.

Everything that goes out in bulk is a delivery record (`crawler.storage.deliveries`) made before the first
message: its rendered parts and its target (the asking topic for `/digest`, the subscribed topic for a
scheduled digest). A delivery is sent by the one task holding its lease, a token of that task alone (not
of the process, which runs passes, `/digest` and broadcasts side by side); the lease is taken when the
record is made or claimed later, renewed while sending, and comes back when its holder dies. Before each
request the task records "sending part i"; right after the answer, "sent part i". So after a hard kill
only a part whose request was on the wire can reach a chat twice: at most one per chat, and at most
`bot.concurrent_sends` in all (the limiter's in-flight window).

A pass (`Deliverer.deliver_due`) first resumes unfinished deliveries from their first unsent part, then
begins the digests that are due. Flood limits and 429 waits live in `bot.ratelimit.FloodLimiter`; every
other Telegram error becomes an action in `bot.delivery_actions.action_for`, the one place that decides.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import socket
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ParamSpec, TypeVar

from telegram import LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import ChatMigrated, NetworkError, TelegramError
from telegram.ext import ExtBot

from bot.delivery_actions import Action, DeliveryError, action_for, halve, retry_delay
from bot.digest import ChatView, DigestMaker, window_start
from bot.digest_time import daily_key, next_due
from bot.ratelimit import BULK, FloodLimiter, RetryTooLong, until_recorded
from bot.render import plain_text
from crawler.config import Settings
from crawler.storage import Chat, Store, utcnow
from crawler.storage.deliveries import EMPTY, FAILED, SENT, Lease

logger = logging.getLogger(__name__)

NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
GIVE_UP_AFTER = timedelta(days=1)  # a delivery still failing to go out a day later is marked failed
OUTAGE_AFTER = 3  # network failures in a row: Telegram is down, the pass stops starting deliveries
P = ParamSpec("P")
R = TypeVar("R")


@dataclass
class Target:
    """Where the messages of one delivery go; the id changes when the group migrates."""

    chat_pk: int
    chat_id: int
    thread_id: int | None
    delivery_id: int = 0
    attempts: int = 1
    bulk: bool = False  # a scheduled digest or a broadcast: gives way to replies at the flood limit


@dataclass
class PassReport:
    """What one delivery pass did."""

    due: int = 0
    resumed: int = 0
    late_skipped: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)

    def add(self, outcome: str) -> None:
        """Count one delivery's outcome (sent, empty, failed, deferred, busy)."""
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1

    def count(self, outcome: str) -> int:
        """How many deliveries ended so."""
        return self.outcomes.get(outcome, 0)


class Deliverer:
    """Sends digests, broadcasts and admin notices through a PTB bot: one path, every part recorded."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        bot: ExtBot[Any],
        *,
        maker: DigestMaker | None = None,
        owner: str | None = None,
        lease: timedelta | None = None,
        workers: int | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.settings = settings
        self.store = store
        self.bot = bot
        self.maker = maker or DigestMaker(settings, store)
        # Lease tokens are "host:pid:nonce": the daemon tells a dead sender's leases by host and pid.
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}"
        self.lease = lease or timedelta(seconds=settings.bot.delivery_lease_seconds)
        # Deliveries in progress at once: enough that, each at its own chat's pace, together they fill the
        # overall rate. Only `bot.concurrent_sends` of them have a request on the wire (the limiter's
        # window); the others wait for their own chat's limit without holding anyone up.
        bot_settings = settings.bot
        pace = math.ceil(bot_settings.overall_per_second / bot_settings.per_chat_per_second)
        self.workers = workers or max(2, min(256, pace + bot_settings.concurrent_sends))
        limiter = getattr(bot, "rate_limiter", None)
        if isinstance(limiter, FloodLimiter):  # however the bot was built, the SIGKILL bound holds
            limiter.cap_in_flight(bot_settings.concurrent_sends)
        self.clock = clock
        self.messages_sent = 0
        self._stopping = asyncio.Event()
        self._pass_lock = asyncio.Lock()
        self._leases: dict[int, Lease] = {}  # deliveries held by tasks of this process
        self._tasks: set[asyncio.Task[Any]] = set()
        self._renewers = 0
        self._heartbeat_task: asyncio.Task[None] | None = None
        self._failures_in_a_row = 0  # 5xx and network failures since the last answer

    async def _db(self, func: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        # The database is synchronous; run it off the event loop so polling and sending go on.
        return await asyncio.to_thread(func, *args, **kwargs)

    def _new_lease(self) -> Lease:
        """A lease for one sending task: its own token, never shared with another task."""
        return Lease(f"{self.owner}:{uuid.uuid4().hex[:16]}", self.clock() + self.lease)

    def _renewed(self, lease: Lease) -> Lease:
        return Lease(lease.token, self.clock() + self.lease)

    # -- passes ------------------------------------------------------------------------------------

    async def deliver_due(self, now: datetime | None = None, *, grace: timedelta | None = None) -> PassReport:
        """One pass: resume unfinished deliveries, then begin and send every digest that is due.

        With `grace`, a digest more than that late is not sent; its articles roll into the next one.
        Safe to call from an APScheduler/JobQueue job; overlapping calls wait for each other.
        """
        async with self._pass_lock:
            now = now or self.clock()
            report = PassReport()
            self._failures_in_a_row = 0  # each pass tries again, a few requests at most while it is down
            unfinished = await self._db(self.store.deliveries.unfinished, None, now)
            report.resumed = len(unfinished)
            jobs: list[Callable[[], Awaitable[str]]] = [self._resume_job(d.id) for d in unfinished]
            for chat in await self._db(self.store.chats.due, now):
                if grace is not None and chat.next_due_at is not None and chat.next_due_at < now - grace:
                    report.late_skipped += 1
                    later = next_due(now, chat.digest_time, chat.timezone)
                    await self._db(self.store.chats.update, chat.chat_id, next_due_at=later)
                    continue
                report.due += 1
                jobs.append(self._scheduled_job(chat, now))
            try:
                await self._run(jobs, report)
            finally:
                self.maker.forget()
            # An idle pass every dispatch tick is not news; a pass that sent something is.
            logger.log(
                logging.INFO if report.due or report.resumed else logging.DEBUG,
                "delivery pass: %d due, %d resumed, outcomes %s",
                report.due,
                report.resumed,
                report.outcomes,
            )
            return report

    def _resume_job(self, delivery_id: int, lease: Lease | None = None) -> Callable[[], Awaitable[str]]:
        return lambda: self.send_delivery(delivery_id, lease=lease)

    def _scheduled_job(self, chat: Chat, now: datetime) -> Callable[[], Awaitable[str]]:
        return lambda: self.begin_scheduled(chat, now)

    async def begin_scheduled(self, chat: Chat, now: datetime) -> str:
        """Record the digest due for a chat (once per local day), to its subscribed topic, and send it."""
        due = chat.next_due_at or now
        view = ChatView.of(chat, self.settings)
        start = window_start(chat, now)
        digest, parts = await self._db(self.maker.rendered, view, start, now)
        lease = self._new_lease()
        delivery, created = await self._db(
            self.store.deliveries.begin,
            chat.id,
            daily_key(due, view.timezone),
            [] if digest.empty else parts,
            target_chat_id=chat.chat_id,
            target_thread_id=chat.thread_id,
            lease=lease,
            window_start=start,
            window_end=now,
            next_due_at=next_due(now, chat.digest_time, view.timezone),
        )
        if delivery.status == EMPTY:
            return EMPTY
        return await self.send_delivery(delivery.id, lease=lease if created else None)

    async def deliver_now(self, chat: Chat, key: str, thread_id: int | None = None) -> str:
        """The digest since the chat's last one, now, to the topic it was asked from (`/digest`).

        Returns `empty` when there is nothing new, else how the delivery ended (sent, failed, deferred).
        """
        now = self.clock()
        view = ChatView.of(chat, self.settings)
        start = window_start(chat, now)
        maker = DigestMaker(self.settings, self.store, self.maker.wording)
        digest, parts = await self._db(maker.rendered, view, start, now)
        if digest.empty:
            return EMPTY
        lease = self._new_lease()
        delivery, created = await self._db(
            self.store.deliveries.begin,
            chat.id,
            f"now:{key}",
            parts,
            target_chat_id=chat.chat_id,
            target_thread_id=thread_id,
            lease=lease,
            window_start=start,
            window_end=now,
        )
        async with self._renewing():
            return await self.send_delivery(delivery.id, lease=lease if created else None)

    async def broadcast(self, message_html: str, key: str) -> PassReport:
        """Send one message to every subscribed chat, each exactly once; the report counts what Telegram took.

        Every delivery is created already leased to the task that will send it, so no dispatch pass can
        send it meanwhile; the outcome is read back from the records of this broadcast.
        """
        digest_key = f"broadcast:{key}"
        async with self._renewing():
            chats = await self._db(self.store.chats.subscribers)
            leases = [self._new_lease() for _ in chats]
            targets = [(chat.id, chat.chat_id, chat.thread_id) for chat in chats]
            created = await self._db(
                self.store.deliveries.begin_many, targets, digest_key, [message_html], leases
            )
            self._leases.update(created)
            try:
                await self._run([self._resume_job(i, lease) for i, lease in created], PassReport())
            finally:
                await self._release([(i, lease) for i, lease in created if self._leases.get(i) is lease])
        statuses = await self._db(self.store.deliveries.statuses_of, digest_key)
        return PassReport(due=sum(statuses.values()), outcomes=statuses)

    async def notify(self, chat_id: int, message_html: str, key: str) -> str:
        """An admin notice to a private chat, through the same records as digests; returns the outcome."""
        chat = await self._db(self.store.chats.ensure, chat_id, {"kind": "private"})
        lease = self._new_lease()
        delivery, created = await self._db(
            self.store.deliveries.begin,
            chat.id,
            f"notice:{key}",
            [message_html],
            target_chat_id=chat_id,
            lease=lease,
            advance_window=False,
        )
        if not created and delivery.status in (SENT, FAILED):
            return delivery.status  # told already (a retry of the same notice)
        async with self._renewing():
            return await self.send_delivery(delivery.id, lease=lease if created else None)

    async def _release(self, leases: list[tuple[int, Lease]]) -> None:
        """Give back deliveries this process holds but will not send now (stopped before their turn)."""
        for delivery_id, lease in leases:
            self._leases.pop(delivery_id, None)
            await self._db(self.store.deliveries.defer, delivery_id, "stopped before sending", lease)

    async def _run(self, jobs: Iterable[Callable[[], Awaitable[str]]], report: PassReport) -> None:
        queue: asyncio.Queue[Callable[[], Awaitable[str]]] = asyncio.Queue()
        for job in jobs:
            queue.put_nowait(job)

        async def worker() -> None:
            while not self._stopping.is_set() and not queue.empty():
                if self._failures_in_a_row >= OUTAGE_AFTER:
                    # An outage: what is not begun stays due, what is begun stays pending; a later pass.
                    report.add("postponed")
                    queue.get_nowait()
                    continue
                job = queue.get_nowait()
                try:
                    report.add(await job())
                except Exception:  # one chat's surprise must not stop the others
                    logger.exception("delivery job failed")
                    report.add("error")

        tasks = [asyncio.create_task(worker()) for _ in range(min(self.workers, max(1, queue.qsize())))]
        self._tasks.update(tasks)
        try:
            async with self._renewing():
                await asyncio.gather(*tasks)
        finally:
            self._tasks.difference_update(tasks)

    @contextlib.asynccontextmanager
    async def _renewing(self) -> AsyncIterator[None]:
        """Keep this process's leases alive while anything here sends or holds deliveries."""
        self._renewers += 1
        if self._heartbeat_task is None:
            self._heartbeat_task = asyncio.create_task(self._heartbeat())
        try:
            yield
        finally:
            self._renewers -= 1
            if not self._renewers and self._heartbeat_task is not None:
                self._heartbeat_task.cancel()
                self._heartbeat_task = None

    async def _heartbeat(self) -> None:
        # Long waits (a 429, a queued broadcast) must not let a lease lapse, or another sender takes over.
        while True:
            await asyncio.sleep(self.lease.total_seconds() / 3)
            try:
                await self._db(
                    self.store.deliveries.renew, list(self._leases.items()), self.clock() + self.lease
                )
            except Exception:  # a database hiccup: the next beat tries again, well before leases lapse
                logger.exception("could not renew delivery leases")

    # -- one delivery --------------------------------------------------------------------------------

    async def send_delivery(self, delivery_id: int, *, lease: Lease | None = None) -> str:
        """Send a recorded delivery from its first unsent part; returns sent, failed, deferred or busy.

        Without `lease` it is leased first (busy when another task holds it); with one, the caller took it.
        """
        if lease is None:
            lease = self._new_lease()
            delivery = await self._db(self.store.deliveries.claim, delivery_id, lease, self.clock())
        else:
            delivery = await self._db(self.store.deliveries.held, delivery_id, lease)
        if delivery is None:
            return "busy"
        self._leases[delivery_id] = lease
        try:
            if self.clock() - delivery.created_at > GIVE_UP_AFTER:
                reason = f"gave up after {delivery.attempts} attempts: {delivery.error or 'unknown error'}"
                await self._db(self.store.deliveries.finish, delivery_id, FAILED, reason, lease)
                return FAILED
            chat = await self._db(self.store.chats.by_pk, delivery.chat_pk)
            if chat is None or not chat.active:
                await self._db(self.store.deliveries.finish, delivery_id, FAILED, "chat inactive", lease)
                return FAILED
            # Asked for (`/digest`) or an admin notice: someone is waiting for it, as for a reply.
            bulk = not delivery.digest_key.startswith(("now:", "notice:"))
            target = Target(chat.id, chat.chat_id, chat.thread_id, delivery_id, delivery.attempts, bulk)
            if delivery.target_chat_id is not None:  # older records have no target: the chat's own topic
                target.chat_id, target.thread_id = delivery.target_chat_id, delivery.target_thread_id
            return await self._send_parts(delivery.parts, delivery.parts_sent, target, lease)
        except asyncio.CancelledError:
            # Stopped while waiting or sending: release it for the next run (a part on the wire may repeat).
            self.store.deliveries.defer(delivery_id, "stopped", lease)
            raise
        finally:
            self._leases.pop(delivery_id, None)

    async def _send_parts(self, parts: list[Any], first: int, target: Target, lease: Lease) -> str:
        deliveries, delivery_id = self.store.deliveries, target.delivery_id
        for index in range(first, len(parts)):
            if self._stopping.is_set():
                await self._db(deliveries.defer, delivery_id, f"stopped before part {index + 1}", lease)
                return "deferred"
            lease = self._renewed(lease)
            # "Sending part i" is recorded before the request: it proves the lease still holds it.
            if not await self._db(deliveries.sending, delivery_id, index, lease):
                logger.warning(
                    "delivery %d: lease lost before part %d; left to its holder", delivery_id, index
                )
                return "busy"
            async with until_recorded():  # the in-flight slot is held until the part is recorded
                try:
                    # Only the first part of an asked-for digest is a reply; the rest give way to replies.
                    bulk = target.bulk or index > 0
                    ids = await self._send_text(target, str(parts[index]), html_mode=True, bulk=bulk)
                except DeliveryError as exc:
                    return await self._failed(target, exc, lease)
                # ... and "sent part i" right after Telegram's answer, before anything else happens.
                recorded = await self._db(deliveries.part_sent, delivery_id, index, ids, lease)
            if not recorded:
                logger.warning(
                    "delivery %d: part %d sent, but the lease was lost meanwhile", delivery_id, index
                )
                return "busy"
        return SENT

    async def _failed(self, target: Target, exc: DeliveryError, lease: Lease) -> str:
        delivery_id = target.delivery_id
        logger.warning("delivery %d to chat %d: %s (%s)", delivery_id, target.chat_id, exc.reason, exc.action)
        if exc.action is Action.DEFER:
            if isinstance(exc.__cause__, NetworkError):
                self._failures_in_a_row += 1
            later = self.clock() + retry_delay(exc, target.attempts)
            await self._db(self.store.deliveries.defer, delivery_id, exc.reason, lease, later)
            return "deferred"
        if exc.action is Action.DEACTIVATE:
            await self._db(self.store.chats.deactivate, target.chat_pk, exc.reason)
        await self._db(self.store.deliveries.finish, delivery_id, FAILED, exc.reason, lease)
        return FAILED

    async def _send_text(self, target: Target, text: str, html_mode: bool, bulk: bool) -> list[int]:
        for _ in range(6):
            try:
                message = await self.bot.send_message(
                    target.chat_id,
                    text,
                    parse_mode=ParseMode.HTML if html_mode else None,
                    message_thread_id=target.thread_id,
                    link_preview_options=NO_PREVIEW,
                    rate_limit_args=BULK if bulk else None,
                )
                self.messages_sent += 1
                self._failures_in_a_row = 0
                return [message.message_id]
            except (TelegramError, RetryTooLong) as exc:
                action = action_for(exc)
                if action is Action.MIGRATE and isinstance(exc, ChatMigrated):
                    logger.info(
                        "chat %d became supergroup %d; sending there", target.chat_id, exc.new_chat_id
                    )
                    await self._db(self.store.chats.migrate, target.chat_id, exc.new_chat_id)
                    target.chat_id = exc.new_chat_id
                    await self._db(self.store.deliveries.retarget, target.delivery_id, chat_id=target.chat_id)
                elif action is Action.PLAIN_TEXT and html_mode:
                    logger.warning("Telegram rejected our HTML (%s); sending plain text", exc)
                    text, html_mode = plain_text(text), False
                elif action is Action.DROP_THREAD and target.thread_id is not None:
                    target.thread_id = None
                    await self._db(self.store.deliveries.retarget, target.delivery_id, thread_id=None)
                elif action is Action.SPLIT and (halves := halve(text, html_mode)):
                    return [
                        i for half in halves for i in await self._send_text(target, half, html_mode, bulk)
                    ]
                elif action is Action.SPLIT and html_mode:
                    text, html_mode = plain_text(text), False
                else:
                    raise DeliveryError(action, str(exc)) from exc
        raise DeliveryError(Action.DEFER, "too many retries of one message")

    # -- stopping --------------------------------------------------------------------------------------

    def request_stop(self) -> None:
        """Ask the passes to stop after the messages in flight; unsent parts stay for the next run."""
        self._stopping.set()

    async def stop(self, timeout: float = 30.0) -> None:
        """Stop cleanly: finish and record the messages in flight, then cancel what still waits."""
        self.request_stop()
        tasks = list(self._tasks)
        if not tasks:
            return
        _done, waiting = await asyncio.wait(tasks, timeout=timeout)
        for task in waiting:
            task.cancel()
        await asyncio.gather(*waiting, return_exceptions=True)
