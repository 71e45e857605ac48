"""A Telegram Bot API stand-in on 127.0.0.1 that the real PTB `Application` polls through `base_url`.

Tests (and the fan-out benchmark) build a small world of users and chats, act as a user (send a command,
press a button, forward a channel post), and read back what the bot sent. It answers like Telegram: HTML
validated into entities, the 4096-character limit counted after parsing, long-polled `getUpdates` with
offsets, and Telegram's error bodies: 429 with `retry_after` when a test-set rate is exceeded, 403 for a bot
blocked or kicked, 400 for bad entities, too long, chat not found, and a group migrated to a supergroup,
5xx during an outage (`outage()`). Every request is logged with its arrival and answer times (`log`); a
test can add latency to sendMessage answers (`latency`) or hold them on the wire (`hold_answers()`), and
read how many requests were in flight at a moment (`in_flight_sends()`).

    api = FakeTelegram()
    await api.start()
    app = build_application(settings_with(base_url=api.base_url), store)
    ...
    await api.close()
"""

from __future__ import annotations

import asyncio
import itertools
import json
import random
import time
from collections import Counter, defaultdict, deque
from collections.abc import Callable
from typing import Any

from aiohttp import web

from tests.fakes.telegram_html import utf16_len
from tests.fakes.telegram_methods import BotApiMethods
from tests.fakes.telegram_world import (
    BOT_ID,
    ApiError,
    FakeChat,
    FakeUser,
    Limits,
    RequestRecord,
    SentMessage,
    Window,
    bad_entities,
    retry_after,
    server_error,
    too_long,
)

__all__ = [
    "BOT_ID",
    "TOKEN",
    "ApiError",
    "FakeChat",
    "FakeTelegram",
    "FakeUser",
    "Limits",
    "RequestRecord",
    "SentMessage",
    "bad_entities",
    "retry_after",
    "server_error",
    "too_long",
]

TOKEN = "123456:TEST-token-not-real"
TEXT_PARAMS = frozenset(
    {"text", "parse_mode", "callback_query_id", "data", "url", "description", "language_code"}
)


class FakeTelegram(BotApiMethods):
    """The stand-in server with its little world of users and chats."""

    def __init__(
        self,
        *,
        limits: Limits | None = None,
        clock: Callable[[], float] = time.monotonic,
        keep_text: bool = True,
    ) -> None:
        self.token = TOKEN
        self.keep_text = keep_text  # off for big fan-outs: messages are counted, their text dropped
        self.sent_at: list[float] = []
        self.bot = FakeUser(
            BOT_ID, "seedwatch", username="seedwatch_test_bot", language_code=None, is_bot=True
        )
        self.limits = limits or Limits()
        self.clock = clock
        self.users: dict[int, FakeUser] = {}
        self.chats: dict[int, FakeChat] = {}
        self.messages: list[SentMessage] = []
        self.updates: list[dict[str, Any]] = []
        self.answers: dict[str, dict[str, Any]] = {}
        self.commands: dict[str, list[dict[str, Any]]] = {}
        self.calls: Counter[str] = Counter()
        self.errors: Counter[int] = Counter()
        self.limited: Counter[str] = Counter()  # which limit answered 429: all, chat, group
        self.faults: dict[int, deque[ApiError | None]] = defaultdict(deque)
        self.log: list[RequestRecord] = []  # every request, in arrival order
        self._open: set[int] = set()  # indexes into `log` of requests not answered yet
        self.latency: tuple[float, float] | None = None  # sendMessage answers wait a random time in this
        self.outage_code: int | None = None  # while set, every sendMessage is answered with this 5xx
        self._answers_open = asyncio.Event()
        self._answers_open.set()
        self._update_ids = itertools.count(1)
        self._message_ids: dict[int, itertools.count[int]] = defaultdict(lambda: itertools.count(1))
        self._callback_ids = itertools.count(1)
        self._changed = asyncio.Condition()
        self._windows: dict[tuple[str, int | None], Window] = {}
        self._runner: web.AppRunner | None = None
        self._closing = False
        self.port = 0

    # -- server ----------------------------------------------------------------------------------

    async def start(self) -> str:
        """Listen on 127.0.0.1 (a free port); returns the Bot API base URL to give PTB."""
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._handle)
        app.router.add_get("/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self.base_url

    @property
    def base_url(self) -> str:
        """What `ApplicationBuilder().base_url(...)` takes."""
        return f"http://127.0.0.1:{self.port}/bot"

    async def close(self) -> None:
        """Stop listening."""
        self._closing = True
        self.release_answers()
        await self._notify()  # long polls answer at once instead of holding the shutdown
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        self.calls[method] += 1
        if request.match_info["token"] != self.token:
            return self._error(ApiError(401, "Unauthorized"))
        handler = getattr(self, f"_api_{method}", None)
        if handler is None:
            return self._error(ApiError(404, "Not Found: method not found"))
        params = await _params(request)
        chat = params.get("chat_id")
        record = RequestRecord(method, int(chat) if isinstance(chat, int) else None, self.clock())
        index = len(self.log)
        self.log.append(record)
        self._open.add(index)
        try:
            if self.outage_code is not None and method == "sendMessage":
                raise server_error(self.outage_code)
            result = await handler(params)
            if method == "sendMessage":
                record.message_id = int(result["message_id"])
                await self._answer_later()
        except ApiError as exc:
            record.status = exc.code
            return self._error(exc)
        finally:
            record.answered = self.clock()
            self._open.discard(index)
            async with self._changed:
                self._changed.notify_all()
        record.status = 200
        return web.json_response({"ok": True, "result": result})

    async def _answer_later(self) -> None:
        # The message is stored; its answer takes a network's time, or waits while answers are held.
        if self.latency is not None:
            await asyncio.sleep(random.uniform(*self.latency))
        await self._answers_open.wait()

    def hold_answers(self) -> None:
        """From now on, sendMessage calls are taken (the message is stored) but not answered: on the wire."""
        self._answers_open.clear()

    def release_answers(self) -> None:
        """Answer the held calls (to whoever still listens) and stop holding."""
        self._answers_open.set()

    def outage(self, code: int | None = 502) -> None:
        """Answer every sendMessage with this 5xx until called with None."""
        self.outage_code = code

    def in_flight_sends(self) -> list[RequestRecord]:
        """sendMessage requests received and not answered yet."""
        return [self.log[i] for i in sorted(self._open) if self.log[i].method == "sendMessage"]

    def _error(self, exc: ApiError) -> web.Response:
        self.errors[exc.code] += 1
        body: dict[str, Any] = {"ok": False, "error_code": exc.code, "description": exc.description}
        if exc.parameters:
            body["parameters"] = exc.parameters
        return web.json_response(body, status=exc.code)

    # -- building the world ----------------------------------------------------------------------

    def user(self, user_id: int, first_name: str = "Ann", language_code: str | None = "en") -> FakeUser:
        """A user (created on first use)."""
        if user_id not in self.users:
            self.users[user_id] = FakeUser(user_id, first_name, f"user{user_id}", language_code)
        return self.users[user_id]

    def private_chat(
        self, user_id: int, first_name: str = "Ann", language_code: str | None = "en"
    ) -> FakeChat:
        """The private chat between a user and the bot."""
        self.user(user_id, first_name, language_code)
        return self.chats.setdefault(user_id, FakeChat(user_id, "private", first_name=first_name))

    def group(
        self,
        chat_id: int,
        title: str = "Group",
        *,
        admins: tuple[int, ...] = (),
        members: tuple[int, ...] = (),
        supergroup: bool = False,
        forum_threads: tuple[int, ...] = (),
    ) -> FakeChat:
        """A group or supergroup (a forum when it has topics) with the bot as a plain member."""
        roles = dict.fromkeys(members, "member") | dict.fromkeys(admins, "administrator")
        for user_id in roles:
            self.user(user_id)
        kind = "supergroup" if supergroup or forum_threads else "group"
        chat = FakeChat(
            chat_id, kind, title, members=roles, is_forum=bool(forum_threads), threads=set(forum_threads)
        )
        self.chats[chat_id] = chat
        return chat

    def channel(
        self,
        chat_id: int,
        username: str,
        *,
        admins: tuple[int, ...] = (),
        bot_admin: bool = True,
        bot_can_post: bool = True,
    ) -> FakeChat:
        """A channel; the bot is an admin allowed to post unless told otherwise."""
        for user_id in admins:
            self.user(user_id)
        chat = FakeChat(
            chat_id,
            "channel",
            title=username.capitalize(),
            username=username,
            members=dict.fromkeys(admins, "administrator"),
            bot_status="administrator" if bot_admin else "left",
            bot_can_post=bot_can_post,
        )
        self.chats[chat_id] = chat
        return chat

    def migrate(self, group_id: int) -> int:
        """Upgrade a group to a supergroup: a new id, the old one answers 400 with migrate_to_chat_id."""
        old = self.chats[group_id]
        new_id = int(f"-100{abs(group_id)}")
        self.chats[new_id] = FakeChat(new_id, "supergroup", old.title, members=dict(old.members))
        old.migrated_to = new_id
        admin = next((u for u, role in old.members.items() if role != "member"), BOT_ID)
        self._push("message", {**self._new_message(old, self.user(admin), ""), "migrate_to_chat_id": new_id})
        return new_id

    def fail_next(self, chat_id: int, error: ApiError, times: int = 1, *, after: int = 0) -> None:
        """Answer the next `times` messages to a chat with this error (after letting `after` pass)."""
        self.faults[chat_id].extend([None] * after + [error] * times)

    # -- acting as a user ------------------------------------------------------------------------

    def send(self, chat_id: int, user_id: int, text: str, *, thread_id: int | None = None) -> dict[str, Any]:
        """A user writes in a chat (a command when the text starts with /); the bot gets it as an update."""
        chat = self.chats[chat_id]
        message = self._new_message(chat, self.user(user_id), text, thread_id)
        self._push("channel_post" if chat.type == "channel" else "message", message)
        return message

    def forward_from_channel(self, private_chat_id: int, user_id: int, channel_id: int) -> dict[str, Any]:
        """A user forwards one of a channel's posts to the bot."""
        message = self._new_message(self.chats[private_chat_id], self.user(user_id), "a post")
        origin = {
            "type": "channel",
            "chat": self.chats[channel_id].to_json(),
            "message_id": 7,
            "date": int(time.time()),
        }
        self._push("message", {**message, "forward_origin": origin})
        return message

    def press(self, message: SentMessage, data: str, user_id: int) -> str:
        """A user taps an inline button of a bot message; returns the callback query id."""
        query_id = str(next(self._callback_ids))
        chat = self.chats[message.chat_id]
        query = {
            "id": query_id,
            "from": self.user(user_id).to_json(),
            "message": self._message_json(chat, message),
            "chat_instance": str(chat.id),
            "data": data,
        }
        self._push("callback_query", query)
        return query_id

    def _new_message(
        self, chat: FakeChat, user: FakeUser, text: str, thread_id: int | None = None
    ) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": self._next_message_id(chat.id),
            "date": int(time.time()),
            "chat": chat.to_json(),
            "text": text,
        }
        if chat.type == "channel":
            message["sender_chat"] = chat.to_json()
        else:
            message["from"] = user.to_json()
        if text.startswith("/"):
            message["entities"] = [
                {"type": "bot_command", "offset": 0, "length": utf16_len(text.split(maxsplit=1)[0])}
            ]
        if thread_id is not None:
            message.update(message_thread_id=thread_id, is_topic_message=True)
        return message

    def _next_message_id(self, chat_id: int) -> int:
        return next(self._message_ids[chat_id])

    def _push(self, kind: str, payload: dict[str, Any]) -> None:
        self.updates.append({"update_id": next(self._update_ids), kind: payload})
        asyncio.get_running_loop().create_task(self._notify())

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    # -- reading back ----------------------------------------------------------------------------

    def sent(self, chat_id: int | None = None) -> list[SentMessage]:
        """What the bot sent, to one chat or to all."""
        return [m for m in self.messages if chat_id is None or m.chat_id == chat_id]

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0) -> None:
        """Wait until `predicate()` holds (checked after each request the bot makes)."""
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(predicate), timeout)

    async def wait_sent(self, chat_id: int, count: int, timeout: float = 10.0) -> list[SentMessage]:
        """Wait until the bot has sent at least `count` messages to a chat; returns them all."""
        await self.wait_for(lambda: len(self.sent(chat_id)) >= count, timeout)
        return self.sent(chat_id)


async def _params(request: web.Request) -> dict[str, Any]:
    """The call's parameters: PTB posts form fields whose non-string values are JSON."""
    if request.content_type == "application/json":
        body = await request.json()
        return dict(body) if isinstance(body, dict) else {}
    raw = dict(request.query)
    if request.can_read_body:
        raw.update({k: v for k, v in (await request.post()).items() if isinstance(v, str)})
    params: dict[str, Any] = {}
    for key, value in raw.items():
        if key in TEXT_PARAMS:
            params[key] = value
            continue
        try:
            params[key] = json.loads(value)
        except ValueError:
            params[key] = value
    return params
