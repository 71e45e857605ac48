"""The little world the Telegram stand-in keeps: users, chats, the messages the bot sent, limits, errors."""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from typing import Any

BOT_ID = 123456


class ApiError(Exception):
    """An error answer: HTTP status, Telegram's description, optional parameters."""

    def __init__(self, code: int, description: str, **parameters: Any) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters


# Faults a test can schedule for the next message to a chat.
def retry_after(seconds: int) -> ApiError:
    """429: flood control, retry after `seconds`."""
    return ApiError(429, f"Too Many Requests: retry after {seconds}", retry_after=seconds)


def bad_entities() -> ApiError:
    """400: Telegram could not parse the message's HTML."""
    return ApiError(400, 'Bad Request: can\'t parse entities: Unsupported start tag "x" at byte offset 0')


def too_long() -> ApiError:
    """400: the message is over the length limit."""
    return ApiError(400, "Bad Request: message is too long")


@dataclass
class FakeUser:
    """A Telegram user."""

    id: int
    first_name: str = "Ann"
    username: str | None = None
    language_code: str | None = "en"
    is_bot: bool = False

    def to_json(self) -> dict[str, Any]:
        """As the Bot API writes a User."""
        data: dict[str, Any] = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        if self.username:
            data["username"] = self.username
        if self.language_code:
            data["language_code"] = self.language_code
        return data


@dataclass
class FakeChat:
    """A chat: private, group, supergroup (maybe a forum) or channel, and who is what in it."""

    id: int
    type: str
    title: str | None = None
    username: str | None = None
    first_name: str | None = None
    is_forum: bool = False
    members: dict[int, str] = field(default_factory=dict)  # user id -> creator|administrator|member
    bot_status: str = "member"
    bot_can_post: bool = True
    blocked: bool = False
    migrated_to: int | None = None
    threads: set[int] = field(default_factory=set)

    def to_json(self) -> dict[str, Any]:
        """As the Bot API writes a Chat."""
        data: dict[str, Any] = {"id": self.id, "type": self.type}
        for key in ("title", "username", "first_name"):
            if getattr(self, key):
                data[key] = getattr(self, key)
        if self.is_forum:
            data["is_forum"] = True
        return data


@dataclass
class SentMessage:
    """A message the bot sent (or edited), as Telegram stored it."""

    message_id: int
    chat_id: int
    text: str
    raw: str
    parse_mode: str | None
    entities: list[dict[str, Any]]
    thread_id: int | None = None
    reply_markup: dict[str, Any] | None = None
    link_preview: dict[str, Any] | None = None
    edits: int = 0

    @property
    def buttons(self) -> list[dict[str, Any]]:
        """The inline keyboard's buttons, row after row."""
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [button for row in rows for button in row]


class Window:
    """A sliding window of accepted messages; how long to wait when full."""

    def __init__(self, limit: float, period: float) -> None:
        self.limit, self.period = limit, period
        self.stamps: deque[float] = deque()

    def retry_after(self, now: float) -> int:
        while self.stamps and now - self.stamps[0] >= self.period:
            self.stamps.popleft()
        if len(self.stamps) < self.limit:
            return 0
        return max(1, math.ceil(self.stamps[0] + self.period - now))


def server_error(code: int = 502) -> ApiError:
    """5xx: Telegram's side failed (Bad Gateway during an outage, Internal Server Error)."""
    return ApiError(code, "Bad Gateway" if code == 502 else "Internal Server Error")


@dataclass
class RequestRecord:
    """One request the stand-in received: what, for which chat, when it arrived and was answered."""

    method: str
    chat_id: int | None
    arrived: float
    answered: float | None = None
    status: int = 0
    message_id: int | None = None  # the message it stored (sendMessage that Telegram took)


@dataclass
class Limits:
    """Flood limits the stand-in enforces with 429s, as Telegram documents them; None switches one off.

    Telegram's FAQ: no more than one message per second in a chat, no more than 20 messages per minute in a
    group, and about 30 messages per second overall for bulk notifications. A message refused with 429 is
    not counted; `retry_after` is the whole seconds until the window has room.
    """

    overall_per_second: float | None = None
    per_chat_per_second: float | None = None
    per_group_per_minute: float | None = None


def member_json(status: str, user: FakeUser, chat: FakeChat) -> dict[str, Any]:
    """A ChatMember as the Bot API writes it, by status."""
    data: dict[str, Any] = {"status": status, "user": user.to_json()}
    if status == "creator":
        data["is_anonymous"] = False
    elif status == "administrator":
        data.update(
            dict.fromkeys(
                (
                    "can_be_edited",
                    "is_anonymous",
                    "can_promote_members",
                    "can_post_stories",
                    "can_edit_stories",
                    "can_delete_stories",
                ),
                False,
            )
        )
        data.update(
            dict.fromkeys(
                (
                    "can_manage_chat",
                    "can_delete_messages",
                    "can_manage_video_chats",
                    "can_restrict_members",
                    "can_change_info",
                    "can_invite_users",
                ),
                True,
            )
        )
        if chat.type == "channel":
            data["can_post_messages"] = chat.bot_can_post if user.id == BOT_ID else True
    elif status == "kicked":
        data["until_date"] = 0
    return data
