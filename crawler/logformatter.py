"""How Scrapy's own events are logged: short lines, never a whole item.

Scrapy logs every dropped item at WARNING with the item's full text; ours are dropped only when their URL
proved to be stored already, which is routine, and the recorder counts them as duplicates.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy.logformatter import LogFormatter, LogFormatterResult


class SeedwatchLogFormatter(LogFormatter):
    """Scrapy's log formatter, with dropped and scraped items reduced to their URL."""

    def dropped(
        self, item: Any, exception: BaseException, response: Any, spider: Any = None
    ) -> LogFormatterResult:
        return {
            "level": logging.DEBUG,
            "msg": "Dropped %(url)s: %(exception)s",
            "args": {"url": getattr(item, "url", "?"), "exception": exception},
        }

    def scraped(self, item: Any, response: Any, spider: Any = None) -> LogFormatterResult:
        return {"level": logging.DEBUG, "msg": "Stored %(url)s", "args": {"url": getattr(item, "url", "?")}}
