"""Telling admins of trouble once: sources that keep failing, sources that yield nothing, crawls that fail.

`plan_notices` is the decision, a pure function of the sources' health. `Alerter` records it as keyed
notices (`crawler.storage.daemon`), so a problem is told once per streak however many cycles it lasts; it
is resolved when the problem ends (and admins hear that), and a new streak is told again. A notice nobody
could be told yet (Telegram unreachable) is retried after the next crawl.
"""

from __future__ import annotations

import asyncio
import html
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field

from bot.i18n import plural
from bot.supervise import CrawlOutcome
from crawler.config import Settings
from crawler.schedule import SourceState, backoff_factor
from crawler.storage import Store

logger = logging.getLogger(__name__)

CRAWL_KEY = "crawl-failing"
Send = Callable[[int, str], Awaitable[object]]


@dataclass
class NoticePlan:
    """Notices to open (key → text) and to resolve (key → what to say when it was open)."""

    open: dict[str, str] = field(default_factory=dict)
    resolve: dict[str, str] = field(default_factory=dict)


def plan_notices(
    states: Iterable[SourceState], *, failure_after: int, empty_after: int, max_factor: int
) -> NoticePlan:
    """Which source notices should be open and which resolved, from each source's health."""
    plan = NoticePlan()
    for state in states:
        if state.source_id is None:
            continue
        name = state.name or state.url
        failing, empty = f"source-failing:{state.source_id}", f"source-empty:{state.source_id}"
        if state.consecutive_failures >= failure_after:
            factor = backoff_factor(state.consecutive_failures, max_factor)
            plan.open[failing] = (
                f"⚠️ Source failing: {name} ({state.url}), "
                f"{plural(state.consecutive_failures, 'failure', 'failures')} in a row; "
                f"last error: {(state.last_error or 'unknown')[:300]}. It is now crawled every "
                f"{factor}× its interval until it answers again."
            )
        elif state.consecutive_failures == 0:
            plan.resolve[failing] = f"✅ Source works again: {name}."
        if state.empty_runs >= empty_after:
            plan.open[empty] = (
                f"⚠️ Source yields nothing: {name} ({state.url}) answered but gave no articles in "
                f"{plural(state.empty_runs, 'run', 'runs')} in a row. A broken selector or a changed site?"
            )
        elif state.empty_runs == 0 and state.consecutive_failures == 0:
            plan.resolve[empty] = f"✅ Source yields articles again: {name}."
    return plan


class Alerter:
    """Records notices and tells `settings.bot.admin_ids` of each new one, once."""

    def __init__(self, settings: Settings, store: Store, send: Send) -> None:
        self.settings = settings
        self.store = store
        self.send = send

    async def review(self, urls: Iterable[str], outcome: CrawlOutcome | None = None) -> list[str]:
        """After a crawl: open and resolve notices for these sources (and the crawl itself); tell admins.

        Returns the messages that went out.
        """
        crawl = self.settings.crawl
        states = await asyncio.to_thread(self.store.sources.source_states, list(urls))
        plan = plan_notices(
            states.values(),
            failure_after=crawl.failure_alert_after,
            empty_after=crawl.empty_alert_after,
            max_factor=crawl.backoff_max_factor,
        )
        if outcome is not None and outcome.status in ("failed", "killed", "crashed"):
            plan.open[CRAWL_KEY] = f"⚠️ Crawl {outcome.summary()}. The next cycle tries again."
        elif outcome is not None and outcome.ok:
            plan.resolve[CRAWL_KEY] = "✅ Crawls work again."
        unsent, recovered = await asyncio.to_thread(self._record, plan)
        told = []
        for key, text in unsent:
            if await self._tell(text):
                await asyncio.to_thread(self.store.daemon.mark_notice_sent, key)
                told.append(text)
        for text in recovered:
            if await self._tell(text):
                told.append(text)
        return told

    def _record(self, plan: NoticePlan) -> tuple[list[tuple[str, str]], list[str]]:
        daemon = self.store.daemon
        for key, text in plan.open.items():
            if daemon.open_notice(key, text):
                logger.warning("admin notice: %s", text)
        recovered = [plan.resolve[key] for key in daemon.resolve_notices(plan.resolve)]
        for text in recovered:
            logger.info("admin notice: %s", text)
        return daemon.unsent_notices(), recovered

    async def _tell(self, text: str) -> bool:
        """Send a notice to every admin; True when any got it (or there is nobody to tell)."""
        delivered = not self.settings.bot.admin_ids  # nobody to tell: the log line is all there is
        for admin in self.settings.bot.admin_ids:
            try:
                await self.send(admin, html.escape(text))
                delivered = True
            except Exception as exc:  # an admin who never started the bot; Telegram unreachable
                logger.info("could not tell admin %d: %s", admin, exc)
        return delivered
