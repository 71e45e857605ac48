"""When the windowed indexes (stories, translations, novelty) forget what no new article can reach.

Each keeps the articles of a time window; a lookup checks the window anyway, so expired entries only cost
memory. Sweeping them on every addition would read the whole index each time: they go every
`SWEEP_EVERY` additions instead, when older than two windows before the newest article.
"""

from __future__ import annotations

from datetime import datetime, timedelta

SWEEP_EVERY = 256  # additions between sweeps for expired entries; lookups check the window anyway


def sweep_horizon(added: int, newest: datetime | None, window: timedelta) -> datetime | None:
    """Entries older than this are forgotten now; None between sweeps (after `added` additions)."""
    if newest is None or added % SWEEP_EVERY:
        return None
    return newest - 2 * window
