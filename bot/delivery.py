"""Delivering digests: each recorded before it is sent, sent part by part, Telegram's errors handled.

A pass (`Deliverer.deliver_due`) first resumes unfinished deliveries from their first unsent part, then
begins the digests that are due: compose, render, record (`crawler.storage.deliveries`), send. Flood limits
and 429 waits live in `bot.ratelimit.FloodLimiter`; every other Telegram error becomes an action in
`action_for`, the one place that decides.

Errors::

    DeliveryError    a part could not be delivered; `action` says what was done about it
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
import socket
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, ParamSpec, TypeVar

from telegram import Bot, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.prepare import ChatView, DigestMaker, daily_key, next_due, window_start
from bot.ratelimit import RetryTooLong
from bot.render import plain_text
from crawler.config import Settings
from crawler.storage import Chat, Store, utcnow
from crawler.storage.deliveries import EMPTY, FAILED, SENT

logger = logging.getLogger(__name__)

NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
GIVE_UP_AFTER = timedelta(days=1)  # a delivery still failing to go out a day later is marked failed
P = ParamSpec("P")
R = TypeVar("R")


class Action(StrEnum):
    """What is done about a Telegram error."""

    PLAIN_TEXT = "plain_text"  # 400 can't parse entities: send the same text without formatting
    SPLIT = "split"  # 400 message is too long: send it in two halves
    MIGRATE = "migrate"  # the group became a supergroup: store the new id and send there
    DROP_THREAD = "drop_thread"  # the forum topic is gone: send to the chat's general topic
    DEACTIVATE = "deactivate"  # 403 blocked or kicked, 400 chat not found: stop sending to that chat
    DEFER = "defer"  # network trouble, or a wait longer than allowed: keep it for the next pass
    FAIL = "fail"  # any other 400: record the reason; resending would fail the same way


_DEACTIVATING = (
    "chat not found",
    "bot was kicked",
    "not enough rights",
    "have no rights",
    "chat_write_forbidden",
)


def action_for(exc: BaseException) -> Action:
    """The one place where a Telegram error becomes an action (429s are waited out in `FloodLimiter`)."""
    if isinstance(exc, ChatMigrated):
        return Action.MIGRATE
    if isinstance(exc, Forbidden):
        return Action.DEACTIVATE
    if isinstance(exc, BadRequest):
        message = exc.message.lower()
        if "can't parse entities" in message or "can't find end tag" in message:
            return Action.PLAIN_TEXT
        if "too long" in message:
            return Action.SPLIT
        if "thread not found" in message or "topic_closed" in message or "topic_deleted" in message:
            return Action.DROP_THREAD
        if any(marker in message for marker in _DEACTIVATING):
            return Action.DEACTIVATE
        return Action.FAIL
    if isinstance(exc, RetryAfter | RetryTooLong | NetworkError):
        return Action.DEFER
    return Action.FAIL


class DeliveryError(Exception):
    """A part could not be delivered; `action` says what was done about it."""

    def __init__(self, action: Action, reason: str) -> None:
        super().__init__(reason)
        self.action = action
        self.reason = reason


@dataclass
class Target:
    """Where the messages of one delivery go; the id changes when the group migrates."""

    chat_pk: int
    chat_id: int
    thread_id: int | None


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


def halve(text: str, html_mode: bool) -> list[str] | None:
    """Two messages from one too long: at the blank line (else line break) nearest the middle."""
    middle = len(text) // 2
    for separator in ("\n\n", "\n"):
        cuts = [i for i in range(len(text)) if text.startswith(separator, i)]
        if cuts:
            cut = min(cuts, key=lambda i: abs(i - middle))
            first, second = text[:cut].strip(), text[cut + len(separator) :].strip()
            if first and second:
                return [first, second]
    if html_mode or len(text) < 2:
        return None  # our HTML always has line breaks between tags; without them, only plain text is cut
    return [text[:middle], text[middle:]]


class Deliverer:
    """Sends digests (and broadcasts) to chats through a PTB bot, recording every delivery."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        bot: Bot,
        *,
        maker: DigestMaker | None = None,
        owner: str | None = None,
        lease: timedelta = timedelta(minutes=10),
        workers: int | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.settings = settings
        self.store = store
        self.bot = bot
        self.maker = maker or DigestMaker(settings, store)
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.lease = lease
        self.workers = workers or max(2, min(64, math.ceil(settings.bot.overall_per_second * 2)))
        self.clock = clock
        self.messages_sent = 0
        self._stopping = asyncio.Event()
        self._pass_lock = asyncio.Lock()
        self._in_progress: set[int] = set()
        self._tasks: set[asyncio.Task[Any]] = set()

    async def _db(self, func: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        # The database is synchronous; run it off the event loop so polling and sending go on.
        return await asyncio.to_thread(func, *args, **kwargs)

    def _until(self) -> datetime:
        return self.clock() + self.lease

    # -- passes ------------------------------------------------------------------------------------

    async def deliver_due(self, now: datetime | None = None, *, grace: timedelta | None = None) -> PassReport:
        """One pass: resume unfinished deliveries, then begin and send every digest that is due.

        With `grace`, a digest more than that late is not sent; its articles roll into the next one.
        Safe to call from an APScheduler/JobQueue job; overlapping calls wait for each other.
        """
        async with self._pass_lock:
            now = now or self.clock()
            report = PassReport()
            unfinished = await self._db(self.store.deliveries.unfinished)
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

    def _resume_job(self, delivery_id: int) -> Callable[[], Awaitable[str]]:
        return lambda: self.send_delivery(delivery_id)

    def _scheduled_job(self, chat: Chat, now: datetime) -> Callable[[], Awaitable[str]]:
        return lambda: self.begin_scheduled(chat, now)

    async def begin_scheduled(self, chat: Chat, now: datetime) -> str:
        """Record the digest due for a chat (once per local day) and send it."""
        due = chat.next_due_at or now
        view = ChatView.of(chat, self.settings)
        start = window_start(chat, now)
        digest, parts = await self._db(self.maker.rendered, view, start, now)
        delivery, _created = await self._db(
            self.store.deliveries.begin,
            chat.id,
            daily_key(due, view.timezone),
            [] if digest.empty else parts,
            window_start=start,
            window_end=now,
            next_due_at=next_due(now, chat.digest_time, view.timezone),
        )
        if delivery.status == EMPTY:
            return EMPTY
        return await self.send_delivery(delivery.id)

    async def deliver_now(self, chat: Chat, key: str, thread_id: int | None = None) -> str:
        """The digest since the chat's last one, now (`/digest`); `empty` when there is nothing new."""
        now = self.clock()
        view = ChatView.of(chat, self.settings)
        start = window_start(chat, now)
        maker = DigestMaker(self.settings, self.store, self.maker.wording)
        digest, parts = await self._db(maker.rendered, view, start, now)
        if digest.empty:
            return EMPTY
        delivery, _created = await self._db(
            self.store.deliveries.begin, chat.id, f"now:{key}", parts, window_start=start, window_end=now
        )
        return await self.send_delivery(delivery.id, thread_id=thread_id)

    async def broadcast(self, message_html: str, key: str) -> PassReport:
        """Send one message to every subscribed chat, recorded like a digest so none gets it twice."""
        report = PassReport()
        jobs = []
        for chat in await self._db(self.store.chats.subscribers):
            delivery, _ = await self._db(
                self.store.deliveries.begin, chat.id, f"broadcast:{key}", [message_html], advance_window=False
            )
            jobs.append(self._resume_job(delivery.id))
        report.due = len(jobs)
        await self._run(jobs, report)
        return report

    async def _run(self, jobs: Iterable[Callable[[], Awaitable[str]]], report: PassReport) -> None:
        queue: asyncio.Queue[Callable[[], Awaitable[str]]] = asyncio.Queue()
        for job in jobs:
            queue.put_nowait(job)

        async def worker() -> None:
            while not self._stopping.is_set() and not queue.empty():
                job = queue.get_nowait()
                try:
                    report.add(await job())
                except Exception:  # one chat's surprise must not stop the others
                    logger.exception("delivery job failed")
                    report.add("error")

        tasks = [asyncio.create_task(worker()) for _ in range(min(self.workers, max(1, queue.qsize())))]
        heartbeat = asyncio.create_task(self._heartbeat())
        self._tasks.update(tasks)
        try:
            await asyncio.gather(*tasks)
        finally:
            heartbeat.cancel()
            self._tasks.difference_update(tasks)

    async def _heartbeat(self) -> None:
        # Long 429 waits must not let the claim lapse, or another sender could take the delivery over.
        while True:
            await asyncio.sleep(self.lease.total_seconds() / 3)
            await self._db(self.store.deliveries.renew, list(self._in_progress), self.owner, self._until())

    # -- one delivery --------------------------------------------------------------------------------

    async def send_delivery(self, delivery_id: int, thread_id: int | None = None) -> str:
        """Send a recorded delivery from its first unsent part; returns sent, failed, deferred or busy."""
        delivery = await self._db(self.store.deliveries.claim, delivery_id, self.owner, self._until())
        if delivery is None:
            return "busy"
        if self.clock() - delivery.created_at > GIVE_UP_AFTER:
            reason = f"gave up after {delivery.attempts} attempts: {delivery.error or 'unknown error'}"
            await self._db(self.store.deliveries.finish, delivery_id, FAILED, reason)
            return FAILED
        chat = await self._db(self.store.chats.by_pk, delivery.chat_pk)
        if chat is None or not chat.active:
            await self._db(self.store.deliveries.finish, delivery_id, FAILED, "chat inactive")
            return FAILED
        target = Target(chat.id, chat.chat_id, thread_id if thread_id is not None else chat.thread_id)
        self._in_progress.add(delivery_id)
        try:
            return await self._send_parts(delivery_id, delivery.parts, delivery.parts_sent, target)
        except asyncio.CancelledError:
            # Stopped while waiting (a long 429): nothing was sent for this part; release it for the next run.
            self.store.deliveries.defer(delivery_id, "stopped")
            raise
        finally:
            self._in_progress.discard(delivery_id)

    async def _send_parts(self, delivery_id: int, parts: list[Any], first: int, target: Target) -> str:
        for index in range(first, len(parts)):
            if self._stopping.is_set():
                await self._db(self.store.deliveries.defer, delivery_id, f"stopped before part {index + 1}")
                return "deferred"
            try:
                ids = await self._send_text(target, str(parts[index]), html_mode=True)
            except DeliveryError as exc:
                return await self._failed(delivery_id, target, exc)
            await self._db(self.store.deliveries.part_sent, delivery_id, index, ids, self._until())
        await self._db(self.store.deliveries.finish, delivery_id, SENT)
        return SENT

    async def _failed(self, delivery_id: int, target: Target, exc: DeliveryError) -> str:
        logger.warning("delivery %d to chat %d: %s (%s)", delivery_id, target.chat_id, exc.reason, exc.action)
        if exc.action is Action.DEFER:
            await self._db(self.store.deliveries.defer, delivery_id, exc.reason)
            return "deferred"
        if exc.action is Action.DEACTIVATE:
            await self._db(self.store.chats.deactivate, target.chat_pk, exc.reason)
        await self._db(self.store.deliveries.finish, delivery_id, FAILED, exc.reason)
        return FAILED

    async def _send_text(self, target: Target, text: str, html_mode: bool) -> list[int]:
        for _ in range(6):
            try:
                message = await self.bot.send_message(
                    target.chat_id,
                    text,
                    parse_mode=ParseMode.HTML if html_mode else None,
                    message_thread_id=target.thread_id,
                    link_preview_options=NO_PREVIEW,
                )
                self.messages_sent += 1
                return [message.message_id]
            except (TelegramError, RetryTooLong) as exc:
                action = action_for(exc)
                if action is Action.MIGRATE and isinstance(exc, ChatMigrated):
                    logger.info(
                        "chat %d became supergroup %d; sending there", target.chat_id, exc.new_chat_id
                    )
                    await self._db(self.store.chats.migrate, target.chat_id, exc.new_chat_id)
                    target.chat_id = exc.new_chat_id
                elif action is Action.PLAIN_TEXT and html_mode:
                    logger.warning("Telegram rejected our HTML (%s); sending plain text", exc)
                    text, html_mode = plain_text(text), False
                elif action is Action.DROP_THREAD and target.thread_id is not None:
                    target.thread_id = None
                elif action is Action.SPLIT and (halves := halve(text, html_mode)):
                    return [i for half in halves for i in await self._send_text(target, half, html_mode)]
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
