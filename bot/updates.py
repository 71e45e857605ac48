"""Updates from different chats handled at once, each chat's own in the order Telegram sent them.

PTB's default handles one update at a time, so one user's `/digest` (seconds of sending at Telegram's
per-chat pace) holds up everyone's `/help`; `concurrent_updates(n)` alone answers a chat's commands out of
order. `ChatOrderedProcessor` is a `BaseUpdateProcessor` that queues each chat's updates behind one lock
and runs at most `concurrency` handlers at once. PTB's own semaphore (`backlog`) only bounds how many updates
may wait: a chat sending a flood of commands queues behind its own lock and takes no handler slot from others.

The application creates one task per update in the order they arrive, and asyncio's locks and semaphores
are first-in first-out, so a chat's updates reach its lock, and pass it, in arrival order.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Coroutine
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

BACKLOG = 10_000


def chat_key(update: object) -> int | None:
    """What a chat's updates are serialised on: the chat, else the user (inline queries), else nothing."""
    if not isinstance(update, Update):
        return None
    if update.effective_chat is not None:
        return update.effective_chat.id
    if update.effective_user is not None:
        return update.effective_user.id
    return None


class ChatOrderedProcessor(BaseUpdateProcessor):
    """Concurrent across chats (at most `concurrency` handlers at once), in order within a chat."""

    def __init__(self, concurrency: int, backlog: int = BACKLOG) -> None:
        super().__init__(max(backlog, concurrency, 2))
        self.concurrency = concurrency
        self._running: asyncio.Semaphore | None = None
        self._chats: dict[int, tuple[asyncio.Lock, int]] = {}  # lock, updates holding or awaiting it

    async def initialize(self) -> None:
        """Create the handler semaphore on the running loop."""
        self._running = asyncio.Semaphore(self.concurrency)

    async def shutdown(self) -> None:
        """Nothing to free: the locks go with their last update."""

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Wait for this chat's earlier updates, then for a free handler slot, then handle it."""
        if self._running is None:
            self._running = asyncio.Semaphore(self.concurrency)
        key = chat_key(update)
        if key is None:
            async with self._running:
                await coroutine
            return
        lock, waiting = self._chats.get(key) or (asyncio.Lock(), 0)
        self._chats[key] = (lock, waiting + 1)
        try:
            async with lock, self._running:
                await coroutine
        except asyncio.CancelledError:
            # Cancelled while waiting: the handler never started; close it to avoid "never awaited".
            if isinstance(coroutine, Coroutine):
                coroutine.close()  # a no-op when it had started and ended
            raise
        finally:
            lock, waiting = self._chats[key]
            if waiting <= 1:
                del self._chats[key]
            else:
                self._chats[key] = (lock, waiting - 1)
