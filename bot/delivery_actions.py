"""What is done about a Telegram error: the one place that decides (429s are sat out in `bot.ratelimit`).

Errors::

    DeliveryError    a part could not be delivered; `action` says what was done about it
"""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum

from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter

from bot.ratelimit import RetryTooLong

OUTAGE_BACKOFF = timedelta(seconds=5)  # first wait after a 5xx or a network failure, doubled per attempt
MAX_BACKOFF = timedelta(minutes=10)


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


def retry_delay(exc: DeliveryError, attempts: int) -> timedelta:
    """How long a deferred delivery waits: what a long 429 asked for, else backoff on the attempts so far."""
    cause = exc.__cause__
    if isinstance(cause, RetryTooLong):
        return timedelta(seconds=cause.seconds)
    backoff: timedelta = OUTAGE_BACKOFF * 2 ** min(10, max(0, attempts - 1))
    return min(backoff, MAX_BACKOFF)


class DeliveryError(Exception):
    """A part could not be delivered; `action` says what was done about it."""

    def __init__(self, action: Action, reason: str) -> None:
        super().__init__(reason)
        self.action = action
        self.reason = reason


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
