"""At the overall flood limit, a reply to a user goes before the fan-out's queued parts."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.ratelimit import BULK, FloodLimiter


async def _send(limiter: FloodLimiter, sent: list[str], name: str, chat_id: int, bulk: bool) -> None:
    async def call() -> bool:
        sent.append(name)
        return True

    data: dict[str, Any] = {"chat_id": chat_id}
    await limiter.process_request(call, (), {}, "sendMessage", data, BULK if bulk else None)


async def test_a_reply_overtakes_a_fan_out_waiting_for_the_overall_limit() -> None:
    limiter = FloodLimiter(overall_per_second=10)
    sent: list[str] = []
    fan_out = [asyncio.create_task(_send(limiter, sent, f"part {n}", 1000 + n, True)) for n in range(25)]
    await asyncio.sleep(0.2)  # ten parts went out; fifteen wait for the overall window
    assert len(sent) == 10
    await _send(limiter, sent, "reply", 7, bulk=False)
    await asyncio.gather(*fan_out)
    assert sent.index("reply") == 10  # the first message of the next second
    assert sorted(sent) == sorted(["reply", *(f"part {n}" for n in range(25))])


async def test_a_reply_waiting_for_its_own_chat_holds_up_no_fan_out() -> None:
    limiter = FloodLimiter(overall_per_second=10)
    sent: list[str] = []
    await _send(limiter, sent, "first reply", 7, bulk=False)
    # The second reply to chat 7 must wait a second for its chat; the fan-out may use the time.
    second = asyncio.create_task(_send(limiter, sent, "second reply", 7, bulk=False))
    await asyncio.sleep(0.05)
    fan_out = [asyncio.create_task(_send(limiter, sent, f"part {n}", 1000 + n, True)) for n in range(5)]
    await asyncio.gather(second, *fan_out)
    assert sent[:6] == ["first reply", *(f"part {n}" for n in range(5))]
    assert sent[-1] == "second reply"
