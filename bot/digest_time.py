"""A chat's digest time: its time zone, the HH:MM it chose, when its next digest is due and under what key."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def zone_of(name: str) -> tzinfo:
    """A time zone by IANA name; UTC for a name this system does not know."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def parse_hhmm(value: str) -> time | None:
    """`08:30` as a time, or None when it is not a time of day."""
    parts = value.strip().split(":")
    if len(parts) != 2 or not all(p.isdigit() and 1 <= len(p) <= 2 for p in parts):
        return None
    hour, minute = int(parts[0]), int(parts[1])
    return time(hour, minute) if hour < 24 and minute < 60 else None


def next_due(after: datetime, digest_time: str, timezone: str) -> datetime:
    """The first moment strictly after `after` when the clock in `timezone` shows `digest_time`, in UTC."""
    zone = zone_of(timezone)
    at = parse_hhmm(digest_time) or time(8, 0)
    local = after.astimezone(zone)
    day = local.date()
    for _ in range(3):
        candidate = datetime.combine(day, at, tzinfo=zone)
        if candidate.astimezone(UTC) > after:
            return candidate.astimezone(UTC)
        day += timedelta(days=1)
    raise AssertionError("unreachable: a time of day recurs within three days")


def daily_key(due: datetime, timezone: str) -> str:
    """The delivery key of a scheduled digest: one per chat and local day."""
    return f"daily:{due.astimezone(zone_of(timezone)).date().isoformat()}"
