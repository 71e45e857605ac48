"""The Bot API methods of the Telegram stand-in, answering as Telegram does (a mixin of `FakeTelegram`)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter, deque
from collections.abc import Callable
from typing import Any

from tests.fakes.telegram_html import validate_text
from tests.fakes.telegram_world import (
    BOT_ID,
    ApiError,
    FakeChat,
    FakeUser,
    Limits,
    SentMessage,
    Window,
    member_json,
)


class BotApiMethods:
    """`getMe`, `getUpdates`, `sendMessage` and the rest, over the state `FakeTelegram` keeps."""

    bot: FakeUser
    limits: Limits
    clock: Callable[[], float]
    keep_text: bool
    sent_at: list[float]
    users: dict[int, FakeUser]
    chats: dict[int, FakeChat]
    messages: list[SentMessage]
    updates: list[dict[str, Any]]
    answers: dict[str, dict[str, Any]]
    commands: dict[str, list[dict[str, Any]]]
    errors: Counter[int]
    limited: Counter[str]
    faults: dict[int, deque[ApiError | None]]
    _changed: asyncio.Condition
    _windows: dict[tuple[str, int | None], Window]
    _closing: bool

    # Provided by FakeTelegram: user(user_id) -> FakeUser, _next_message_id(chat_id) -> int.
    # -- the Bot API methods ---------------------------------------------------------------------

    async def _api_getMe(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            **self.bot.to_json(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    async def _api_deleteWebhook(self, params: dict[str, Any]) -> bool:
        return True

    async def _api_getWebhookInfo(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"url": "", "has_custom_certificate": False, "pending_update_count": len(self.updates)}

    async def _api_setMyCommands(self, params: dict[str, Any]) -> bool:
        self.commands[str(params.get("language_code") or "")] = list(params.get("commands") or [])
        return True

    async def _api_getMyCommands(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        return self.commands.get(str(params.get("language_code") or ""), [])

    async def _api_close(self, params: dict[str, Any]) -> bool:
        return True

    async def _api_sendChatAction(self, params: dict[str, Any]) -> bool:
        self._chat(params["chat_id"])
        return True

    async def _api_getUpdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        timeout = float(params.get("timeout") or 0)
        if offset:
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
        if not self.updates and timeout > 0:
            async with self._changed:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(
                        self._changed.wait_for(lambda: bool(self.updates) or self._closing), timeout
                    )
        return self.updates[:limit]

    async def _api_getChat(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._chat(params["chat_id"])
        gifts = dict.fromkeys(
            (
                "unlimited_gifts",
                "limited_gifts",
                "unique_gifts",
                "premium_subscription",
                "gifts_from_channels",
            ),
            False,
        )
        return {
            **chat.to_json(),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": gifts,
        }

    async def _api_getChatMember(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._chat(params["chat_id"])
        user_id = int(params["user_id"])
        if user_id == BOT_ID:
            status, user = chat.bot_status, self.bot
        else:
            status, user = (
                chat.members.get(user_id, "member" if chat.type == "private" else "left"),
                self.user(user_id),  # type: ignore[attr-defined],
            )
        return member_json(status, user, chat)

    async def _api_answerCallbackQuery(self, params: dict[str, Any]) -> bool:
        self.answers[str(params["callback_query_id"])] = params
        return True

    async def _api_sendMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._chat(params["chat_id"])
        self._refuse(chat)
        thread_id = params.get("message_thread_id")
        if thread_id is not None and chat.is_forum and int(thread_id) not in chat.threads:
            raise ApiError(400, "Bad Request: message thread not found")
        self._throttle(chat)
        message = self._store(chat, params, thread_id if chat.is_forum else None)
        return self._message_json(chat, message)

    async def _api_editMessageText(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._chat(params["chat_id"])
        message_id = int(params["message_id"])
        found = next((m for m in self.messages if m.chat_id == chat.id and m.message_id == message_id), None)
        if found is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        text, entities = self._validate(params)
        markup = params.get("reply_markup")
        if found.raw == params["text"] and found.reply_markup == markup:
            raise ApiError(
                400,
                "Bad Request: message is not modified: specified new message content and reply "
                "markup are exactly the same as a current content and reply markup of the message",
            )
        found.text, found.raw, found.entities, found.reply_markup = text, params["text"], entities, markup
        found.parse_mode = params.get("parse_mode")
        found.edits += 1
        return self._message_json(chat, found)

    # -- helpers ---------------------------------------------------------------------------------

    def _chat(self, chat_id: Any) -> FakeChat:
        if isinstance(chat_id, str) and chat_id.startswith("@"):
            found = next((c for c in self.chats.values() if c.username and f"@{c.username}" == chat_id), None)
        else:
            found = self.chats.get(int(chat_id))
        if found is None:
            raise ApiError(400, "Bad Request: chat not found")
        return found

    def _refuse(self, chat: FakeChat) -> None:
        if self.faults.get(chat.id) and (fault := self.faults[chat.id].popleft()) is not None:
            raise fault
        if chat.migrated_to is not None:
            raise ApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                migrate_to_chat_id=chat.migrated_to,
            )
        if chat.type == "private" and chat.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if chat.bot_status == "kicked":
            raise ApiError(403, f"Forbidden: bot was kicked from the {chat.type} chat")
        if chat.type == "channel" and (chat.bot_status != "administrator" or not chat.bot_can_post):
            raise ApiError(403, "Forbidden: bot is not a member of the channel chat")

    def _throttle(self, chat: FakeChat) -> None:
        checks: list[tuple[tuple[str, int | None], float | None, float]] = [
            (("all", None), self.limits.overall_per_second, 1.0),
            (("chat", chat.id), self.limits.per_chat_per_second, 1.0),
        ]
        if chat.type != "private":
            checks.append((("group", chat.id), self.limits.per_group_per_minute, 60.0))
        now = self.clock()
        windows = []
        for key, limit, period in checks:
            if limit is None:
                continue
            window = self._windows.setdefault(key, Window(limit, period))
            wait = window.retry_after(now)
            if wait:
                self.limited[key[0]] += 1
                raise ApiError(429, f"Too Many Requests: retry after {wait}", retry_after=wait)
            windows.append(window)
        for window in windows:
            window.stamps.append(now)

    def _validate(self, params: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
        try:
            return validate_text(str(params.get("text", "")), params.get("parse_mode"))
        except ValueError as exc:
            raise ApiError(400, str(exc)) from None

    def _store(self, chat: FakeChat, params: dict[str, Any], thread_id: Any) -> SentMessage:
        text, entities = self._validate(params)
        self.sent_at.append(self.clock())
        if not self.keep_text:
            text, entities = "", []
        message = SentMessage(
            message_id=self._next_message_id(chat.id),  # type: ignore[attr-defined]
            chat_id=chat.id,
            text=text,
            raw=str(params["text"]) if self.keep_text else "",
            parse_mode=params.get("parse_mode"),
            entities=entities,
            thread_id=int(thread_id) if thread_id is not None else None,
            reply_markup=params.get("reply_markup"),
            link_preview=params.get("link_preview_options"),
        )
        self.messages.append(message)
        return message

    def _message_json(self, chat: FakeChat, message: SentMessage) -> dict[str, Any]:
        data: dict[str, Any] = {
            "message_id": message.message_id,
            "date": int(time.time()),
            "chat": chat.to_json(),
            "from": self.bot.to_json(),
            "text": message.text,
        }
        if message.entities:
            data["entities"] = message.entities
        if message.reply_markup:
            data["reply_markup"] = message.reply_markup
        if message.thread_id is not None:
            data.update(message_thread_id=message.thread_id, is_topic_message=True)
        return data
