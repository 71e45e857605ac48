"""How seedwatch is doing, for `seedwatch status` and the admins' `/status`: one report, two renderings.

`collect_status` reads the database (the daemon's facts, the latest crawl run, source health, chats and
today's deliveries); `render_status` turns it into lines of plain text or Telegram HTML, in English or
Chinese, with times in the reader's zone.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from bot.i18n import fill
from crawler.config import Settings
from crawler.storage import Store, utcnow

DAEMON_FACT = "daemon"
NEXT_CRAWL_FACT = "crawl.next"
HEARTBEAT_SECONDS = 30.0  # the daemon writes its heartbeat this often


@dataclass(frozen=True)
class DaemonInfo:
    """The daemon as it last reported itself."""

    pid: int
    host: str
    started_at: datetime | None
    heartbeat_at: datetime | None
    running: bool


@dataclass(frozen=True)
class RunInfo:
    """The latest crawl run."""

    run_id: int
    status: str
    trigger: str
    started_at: datetime
    finished_at: datetime | None
    sources_done: int
    sources_total: int
    sources_failed: int
    articles_new: int
    error: str


@dataclass(frozen=True)
class SourceLine:
    """One source's health: ok, failing, empty (answers, yields nothing) or never (not crawled yet)."""

    name: str
    url: str
    state: str
    failures: int
    empty_runs: int
    last_success_at: datetime | None
    next_crawl_at: datetime | None
    last_error: str


@dataclass(frozen=True)
class StatusReport:
    """Everything `seedwatch status` shows."""

    now: datetime
    daemon: DaemonInfo | None
    last_run: RunInfo | None
    next_crawl_at: datetime | None
    sources: list[SourceLine]
    subscribers: int
    inactive_chats: int
    sent_today: int
    empty_today: int
    failed_today: int
    pending: int
    next_digest_at: datetime | None


def _parse(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _daemon(fact: dict[str, Any] | None, now: datetime) -> DaemonInfo | None:
    if not fact:
        return None
    heartbeat = _parse(fact.get("heartbeat_at"))
    fresh = heartbeat is not None and now - heartbeat < timedelta(seconds=3 * HEARTBEAT_SECONDS)
    return DaemonInfo(
        pid=int(fact.get("pid") or 0),
        host=str(fact.get("host") or ""),
        started_at=_parse(fact.get("started_at")),
        heartbeat_at=heartbeat,
        running=fresh and not fact.get("stopped_at"),
    )


def _source_state(failures: int, empty_runs: int, attempted: bool, empty_after: int) -> str:
    if failures:
        return "failing"
    if empty_runs >= empty_after:
        return "empty"
    return "ok" if attempted else "never"


@dataclass(frozen=True)
class TodayCounts:
    """What `/stats` and `seedwatch status` both count: chats, and deliveries since midnight UTC."""

    chats: dict[str, int]
    deliveries: dict[str, int]


def count_today(store: Store, now: datetime) -> TodayCounts:
    """Chats by state, and today's deliveries (UTC) by outcome."""
    midnight = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return TodayCounts(store.chats.counts(), store.deliveries.counts_since(midnight))


def collect_status(settings: Settings, store: Store, now: datetime | None = None) -> StatusReport:
    """Read the report from the database."""
    now = now or utcnow()
    latest = store.runs.latest(1)
    run = latest[0] if latest else None
    last_run = (
        RunInfo(
            run.id,
            run.status,
            run.trigger,
            run.started_at,
            run.finished_at,
            run.sources_done,
            run.sources_total,
            run.sources_failed,
            run.articles_new,
            run.error or "",
        )
        if run is not None
        else None
    )
    sources = [
        SourceLine(
            name=s.name or s.url,
            url=s.url,
            state=_source_state(
                s.consecutive_failures,
                s.empty_runs,
                s.last_attempt_at is not None,
                settings.crawl.empty_alert_after,
            ),
            failures=s.consecutive_failures,
            empty_runs=s.empty_runs,
            last_success_at=s.last_success_at,
            next_crawl_at=s.next_crawl_at,
            last_error=s.last_error or "",
        )
        for s in store.sources.all(enabled_only=True)
    ]
    today = count_today(store, now)
    chats, deliveries = today.chats, today.deliveries
    next_crawl = store.daemon.fact(NEXT_CRAWL_FACT) or {}
    return StatusReport(
        now=now,
        daemon=_daemon(store.daemon.fact(DAEMON_FACT), now),
        last_run=last_run,
        next_crawl_at=_parse(next_crawl.get("at")),
        sources=sources,
        subscribers=chats["subscribers"],
        inactive_chats=chats["inactive"],
        sent_today=deliveries["sent"],
        empty_today=deliveries["empty"],
        failed_today=deliveries["failed"],
        pending=deliveries["pending"],
        next_digest_at=store.chats.next_digest_due(),
    )


LABELS: dict[str, dict[str, str]] = {
    "en": {
        "title": "seedwatch status",
        "daemon_running": "Daemon: running, pid {pid} on {host}, since {since}",
        "daemon_stopped": "Daemon: not running (last seen {when})",
        "daemon_never": "Daemon: never started",
        "last_crawl": "Last crawl: run #{id} {status} ({trigger}), started {when}; sources {done}/{total}, "
        "{failed} failed; {new:new article|new articles}",
        "last_error": "  error: {error}",
        "last_crawl_none": "Last crawl: none yet",
        "next_crawl": "Next crawl: {when}",
        "sources": "Sources: {n} ({ok} ok, {failing} failing, {empty} yielding nothing, "
        "{never} not crawled yet)",
        "failing": "  ⚠ {name}: {failures:failure|failures} in a row, next try {next}; {error}",
        "empty": "  ⚠ {name}: answered but nothing in {runs:run|runs}",
        "ok": "  ✓ {name}: last success {last}, next {next}",
        "never": "  · {name}: not crawled yet",
        "more": "  … and {n} more",
        "subscribers": "Subscribed chats: {n} ({inactive} inactive)",
        "digests": "Digests today (since 00:00 UTC): {sent} sent, {empty} empty, {failed} failed",
        "pending": "Deliveries pending: {n}",
        "next_digest": "Next digest: {when}",
        "unknown": "not planned",
        "in": "in {d}",
        "ago": "{d} ago",
    },
    "zh": {
        "title": "seedwatch 运行状况",
        "daemon_running": "守护进程：运行中，{host} 上的 pid {pid}，自 {since}",
        "daemon_stopped": "守护进程：未运行（最后一次 {when}）",
        "daemon_never": "守护进程：从未启动",
        "last_crawl": "上次抓取：#{id} {status}（{trigger}），开始于 {when}；信息源 {done}/{total}，"
        "失败 {failed}；新文章 {new}",
        "last_error": "  错误：{error}",
        "last_crawl_none": "上次抓取：尚无",
        "next_crawl": "下次抓取：{when}",
        "sources": "信息源：{n}（正常 {ok}，失败 {failing}，无内容 {empty}，未抓取 {never}）",
        "failing": "  ⚠ {name}：连续失败 {failures} 次，下次尝试 {next}；{error}",
        "empty": "  ⚠ {name}：有响应但连续 {runs} 次没有内容",
        "ok": "  ✓ {name}：最近成功 {last}，下次 {next}",
        "never": "  · {name}：尚未抓取",
        "more": "  … 另有 {n} 个",
        "subscribers": "订阅的聊天：{n}（停用 {inactive}）",
        "digests": "今日摘要（UTC 0 点起）：已发 {sent}，空 {empty}，失败 {failed}",
        "pending": "待发送：{n}",
        "next_digest": "下次摘要：{when}",
        "unknown": "未安排",
        "in": "{d}后",
        "ago": "{d}前",
    },
}


def _span(delta: timedelta, lang: str) -> str:
    seconds = int(abs(delta.total_seconds()))
    units = (
        (86400, "d", "天"),
        (3600, "h", "小时"),
        (60, "min", "分钟"),
        (1, "s", "秒"),
    )
    for size, en, zh in units:
        if seconds >= size or size == 1:
            value = seconds // size
            return f"{value} {en}" if lang == "en" else f"{value} {zh}"
    return ""


def _when(value: datetime | None, now: datetime, lang: str, zone: tzinfo) -> str:
    labels = LABELS[lang]
    if value is None:
        return labels["unknown"]
    local = value.astimezone(zone)
    relative = labels["in" if value >= now else "ago"].format(d=_span(value - now, lang))
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()} ({relative})"


def render_status(
    report: StatusReport,
    lang: str = "en",
    zone: tzinfo = UTC,
    *,
    as_html: bool = False,
    every_source: bool = True,
    limit: int = 20,
) -> str:
    """The report as lines of text (or Telegram HTML); with `every_source` False only troubled sources."""
    lang = lang if lang in LABELS else "en"
    labels = LABELS[lang]

    def line(key: str, **values: Any) -> str:
        if as_html:
            values = {k: v if isinstance(v, int) else html.escape(str(v)) for k, v in values.items()}
        return fill(labels[key], **values)

    def when(value: datetime | None) -> str:
        return _when(value, report.now, lang, zone)

    lines = [f"<b>{labels['title']}</b>" if as_html else labels["title"]]
    daemon = report.daemon
    if daemon is None:
        lines.append(line("daemon_never"))
    elif daemon.running:
        lines.append(line("daemon_running", pid=daemon.pid, host=daemon.host, since=when(daemon.started_at)))
    else:
        lines.append(line("daemon_stopped", when=when(daemon.heartbeat_at)))
    run = report.last_run
    if run is None:
        lines.append(line("last_crawl_none"))
    else:
        lines.append(
            line(
                "last_crawl",
                id=run.run_id,
                status=run.status,
                trigger=run.trigger,
                when=when(run.started_at),
                done=run.sources_done,
                total=run.sources_total,
                failed=run.sources_failed,
                new=run.articles_new,
            )
        )
        if run.error:
            lines.append(line("last_error", error=run.error[:300]))
    lines.append(line("next_crawl", when=when(report.next_crawl_at)))
    lines.extend(_source_lines(report, line, when, every_source, limit))
    lines.append(line("subscribers", n=report.subscribers, inactive=report.inactive_chats))
    lines.append(
        line("digests", sent=report.sent_today, empty=report.empty_today, failed=report.failed_today)
    )
    lines.append(line("pending", n=report.pending))
    lines.append(line("next_digest", when=when(report.next_digest_at)))
    return "\n".join(lines)


def _source_lines(report: StatusReport, line: Any, when: Any, every_source: bool, limit: int) -> list[str]:
    counts = dict.fromkeys(("ok", "failing", "empty", "never"), 0)
    for source in report.sources:
        counts[source.state] += 1
    lines = [line("sources", n=len(report.sources), **counts)]
    order = {"failing": 0, "empty": 1, "never": 2, "ok": 3}
    shown = [s for s in report.sources if every_source or s.state in ("failing", "empty")]
    shown.sort(key=lambda s: (order[s.state], s.name.lower()))
    for source in shown[:limit]:
        lines.append(
            line(
                source.state,
                name=source.name,
                failures=source.failures,
                runs=source.empty_runs,
                next=when(source.next_crawl_at),
                last=when(source.last_success_at),
                error=source.last_error[:160],
            )
        )
    if len(shown) > limit:
        lines.append(line("more", n=len(shown) - limit))
    return lines
