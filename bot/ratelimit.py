"""Telegram's flood limits, kept on our side, and 429s sat out by the chat they were for.

PTB's `AIORateLimiter` leaves private chats unlimited, lets a leaky bucket burst past the overall limit, and
retries nothing by default. `FloodLimiter` is a `BaseRateLimiter` with four kinds of windows: overall per
second, per chat per second, per group or channel per minute, and messages on the wire at once. A window
of N per period has N slots; a message holds a slot from before it is sent until `period` seconds after
Telegram answered. Telegram sees each message somewhere between those two moments, so however late a
request reaches it, no period there ever holds more than N. A message takes the slots of all its windows
at once, so one waiting for its own chat holds nothing another chat needs: a chat's limit delays only it.

Replies come before bulk sends: a message sent with `rate_limit_args=BULK` (scheduled digests, broadcasts)
leaves the shared windows (overall, in flight) to any other message that waits only for them, so a
`/help` is answered within a second even while a fan-out keeps the bot at its overall limit.

A `RetryAfter` pauses the chat it was for (every chat only when several chats meet 429s within a second, or
the request had no chat: Telegram's overall flood), then the request is retried. A wait longer than
`max_retry_after`, or a chat still paused for longer than that, raises `RetryTooLong` at once, and the
caller defers the message instead of holding a sender. Waits are injectable (`sleep`, `clock`) for tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
import warnings
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextvars import ContextVar
from datetime import timedelta
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter
from telegram.warnings import PTBDeprecationWarning

logger = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]
JSON = bool | dict[str, Any] | list[dict[str, Any]]

# Methods that put a message in a chat count towards the flood limits; lookups and answers do not.
THROTTLED_PREFIXES = ("send", "copyMessage", "forwardMessage", "editMessage")
# `rate_limit_args` of a message that may wait for replies to other users (a fan-out's part).
BULK = 1


class RetryTooLong(Exception):
    """Telegram asked for a longer wait than `max_retry_after` allows; the caller keeps the message."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"Telegram asked to wait {seconds:.0f} s, longer than allowed")
        self.seconds = seconds


def retry_after_seconds(exc: RetryAfter) -> float:
    """The wait a 429 asks for, in seconds."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class SlotWindow:
    """N slots per period: a slot is held while its request is in flight and for `period` after it ends."""

    __slots__ = ("in_flight", "limit", "period", "releases")

    def __init__(self, limit: int, period: float) -> None:
        self.limit = limit
        self.period = period
        self.in_flight = 0
        self.releases: deque[float] = deque()  # when finished requests' slots come free, in order

    def wait_time(self, now: float) -> float:
        """Seconds until a slot is free: 0 now, `inf` when only a finishing request can free one."""
        while self.releases and self.releases[0] <= now:
            self.releases.popleft()
        if self.in_flight + len(self.releases) < self.limit:
            return 0.0
        return self.releases[0] - now if self.releases else math.inf

    def take(self) -> None:
        """Hold a slot for a request about to be sent."""
        self.in_flight += 1

    def done(self, now: float) -> None:
        """The request was answered: its slot frees up one period from now."""
        self.in_flight -= 1
        self.releases.append(now + self.period)

    def idle(self, now: float) -> bool:
        """Nothing in flight or held: the window can be forgotten."""
        return not self.in_flight and (not self.releases or self.releases[-1] <= now)


def window_for(rate: float, period: float) -> SlotWindow:
    """A window allowing `rate` messages per `period`; fractional rates stretch the period."""
    if rate >= 1:
        return SlotWindow(int(rate), period * int(rate) / rate)
    return SlotWindow(1, period / rate)


# Releases of in-flight slots whose message was answered but is not recorded yet (see `until_recorded`).
_UNRECORDED: ContextVar[list[Callable[[], Awaitable[None]]] | None] = ContextVar("unrecorded", default=None)


@contextlib.asynccontextmanager
async def until_recorded() -> AsyncIterator[None]:
    """Within the block, a message Telegram answered keeps its in-flight slot until the block ends.

    The sender records the message as sent before leaving the block, so requests sent and not yet
    recorded never outnumber the in-flight window: the bound on what a hard kill can send twice.
    """
    token = _UNRECORDED.set([])
    try:
        yield
    finally:
        await _release_unrecorded()
        _UNRECORDED.reset(token)


async def _release_unrecorded() -> None:
    pending = _UNRECORDED.get()
    while pending:
        await pending.pop()()


GLOBAL_FLOOD_CHATS = 3  # 429s for this many chats within a second: Telegram throttles the whole bot
GLOBAL_FLOOD_WINDOW = 1.0


class FloodLimiter(BaseRateLimiter[int]):
    """Overall, per-chat, per-group and in-flight windows; a 429 pauses its chat (all chats on a flood)."""

    def __init__(
        self,
        overall_per_second: float = 30.0,
        per_chat_per_second: float = 1.0,
        per_group_per_minute: float = 20.0,
        *,
        max_in_flight: int | None = None,
        max_retry_after: float = 30.0,
        sleep: Sleep | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._overall = window_for(overall_per_second, 1.0)
        self._in_flight = SlotWindow(max_in_flight, 0.0) if max_in_flight else None
        self._per_chat = per_chat_per_second
        self._per_group = per_group_per_minute
        self._chats: dict[int | str, SlotWindow] = {}
        self._groups: dict[int | str, SlotWindow] = {}
        self._paused: dict[int | str | None, float] = {}  # chat (None: every chat) -> paused until
        self._floods: deque[tuple[float, int | str | None]] = deque()
        self._max_retry_after = max_retry_after
        self._sleep: Sleep = sleep or asyncio.sleep
        self._clock = clock
        self._freed = asyncio.Condition()
        self._urgent: list[list[SlotWindow]] = []  # the windows of each reply waiting for a slot
        self.retries = 0
        self.waited = 0.0
        self.global_pauses = 0
        self.throttled_requests = 0
        self.throttled_seconds = 0.0  # time from taking slots to Telegram's answer, summed

    def cap_in_flight(self, limit: int) -> None:
        """At most `limit` requests on the wire at once (the tighter cap wins); call before sending."""
        if self._in_flight is None or limit < self._in_flight.limit:
            self._in_flight = SlotWindow(limit, 0.0)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""

    def windows(self, chat_id: int | str | None) -> list[SlotWindow]:
        """The windows a message to this chat counts in (groups and channels have negative ids)."""
        windows = [self._overall]
        if self._in_flight is not None:
            windows.append(self._in_flight)
        if chat_id is not None:
            # One message per 1/rate seconds, never two to one chat on the wire at once.
            windows.append(self._window(self._chats, chat_id, 1.0, 1.0 / self._per_chat))
            if isinstance(chat_id, str) or chat_id < 0:
                windows.append(self._window(self._groups, chat_id, self._per_group, 60.0))
        return windows

    def paused_for(self, chat_id: int | str | None) -> float:
        """Seconds this chat (or, with None, every chat) must still wait after a 429."""
        now = self._clock()
        until = max(self._paused.get(None, 0.0), self._paused.get(chat_id, 0.0) if chat_id is not None else 0)
        return max(0.0, until - now)

    async def _sit_out_pause(self, chat_id: int | str | None) -> None:
        wait = self.paused_for(chat_id)
        if wait > self._max_retry_after:
            raise RetryTooLong(wait)
        if wait > 0:  # once: a 429 that comes meanwhile sets a new pause, sat out on the retry
            self.waited += wait
            await self._sleep(wait)

    async def _acquire(self, windows: list[SlotWindow], bulk: bool = False) -> None:
        # Take the slots of all windows at once, so none is held (and wasted) while waiting for another.
        async with self._freed:
            if not bulk:
                self._urgent.append(windows)
            try:
                while True:
                    now = self._clock()
                    wait = max(w.wait_time(now) for w in windows)
                    if wait <= 0 and not (bulk and self._reply_waiting(now)):
                        for window in windows:
                            window.take()
                        return
                    timeout = None if math.isinf(wait) else max(wait, 0.0) or None
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._freed.wait(), timeout)
            finally:
                if not bulk:
                    self._urgent.remove(windows)
                    self._freed.notify_all()  # bulk sends that gave way may go on

    def _reply_waiting(self, now: float) -> bool:
        """A reply waits only for a shared window (overall, in flight): a bulk send leaves it the slot."""
        shared = (self._overall, self._in_flight)
        return any(all(w.wait_time(now) <= 0 for w in windows if w not in shared) for windows in self._urgent)

    async def _release(self, windows: list[SlotWindow]) -> None:
        async with self._freed:
            now = self._clock()
            for window in windows:
                window.done(now)
            self._freed.notify_all()

    def _window(
        self, table: dict[int | str, SlotWindow], key: int | str, rate: float, period: float
    ) -> SlotWindow:
        window = table.get(key)
        if window is None:
            if len(table) > 4096:
                now = self._clock()
                for old in [k for k, w in table.items() if w.idle(now)]:
                    del table[old]
            window = table[key] = window_for(rate, period)
        return window

    def _keep_until_recorded(self, windows: list[SlotWindow]) -> list[SlotWindow]:
        """The windows to release now; the in-flight slot waits for `until_recorded` when inside one."""
        pending = _UNRECORDED.get()
        in_flight = self._in_flight
        if pending is None or in_flight is None or in_flight not in windows:
            return windows
        pending.append(lambda: self._release([in_flight]))
        return [w for w in windows if w is not in_flight]

    def _pause(self, chat_id: int | str | None, seconds: float) -> None:
        """Pause the chat; every chat when the 429s of the last second span several chats."""
        now = self._clock()
        until = now + seconds + 0.1
        self._paused[chat_id] = max(self._paused.get(chat_id, 0.0), until)
        self._floods.append((now, chat_id))
        while self._floods and self._floods[0][0] < now - GLOBAL_FLOOD_WINDOW:
            self._floods.popleft()
        if chat_id is None or len({c for _, c in self._floods}) >= GLOBAL_FLOOD_CHATS:
            self.global_pauses += 1
            self._paused[None] = max(self._paused.get(None, 0.0), until)
        for key in [k for k, t in self._paused.items() if t <= now]:
            del self._paused[key]

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, JSON]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> JSON:
        """Throttle message-sending calls, then call; on a 429 pause that chat, wait, and retry."""
        bulk = rate_limit_args == BULK
        chat_id = _chat_key(data.get("chat_id"))
        throttled = endpoint.startswith(THROTTLED_PREFIXES)
        windows = self.windows(chat_id) if throttled else []
        while True:
            await self._sit_out_pause(chat_id if throttled else None)
            if windows:
                await _release_unrecorded()  # never wait for a slot while holding one (a split part)
                await self._acquire(windows, bulk)
            started = self._clock()
            answered = False
            try:
                result = await callback(*args, **kwargs)
                answered = True
                return result
            except RetryAfter as exc:
                seconds = retry_after_seconds(exc)
                self._pause(chat_id if throttled else None, seconds)
                if seconds > self._max_retry_after:
                    raise RetryTooLong(seconds) from exc
                self.retries += 1
                logger.warning(
                    "Telegram flood control on %s to %s: waiting %.0f s",
                    endpoint,
                    chat_id,
                    seconds,
                )
            finally:
                if windows:
                    self.throttled_requests += 1
                    self.throttled_seconds += self._clock() - started
                    await self._release(self._keep_until_recorded(windows) if answered else windows)


def _chat_key(chat_id: object) -> int | str | None:
    if chat_id is None:
        return None
    if isinstance(chat_id, int):
        return chat_id
    try:
        return int(str(chat_id))
    except ValueError:
        return str(chat_id)
