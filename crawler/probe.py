"""Probing candidate sources before they are added: does the URL answer, and with a feed, a sitemap or a page?

The probe is a Scrapy crawl with the crawl's own download settings (fetch policy, robots.txt, size and time
limits), run in a child process (`python -m crawler.probe`) so that the bot, which never loads Twisted,
and the CLI use it alike. `probe_urls(settings, urls)` starts the child and returns one `Probe` per URL;
with `keep_text=True` each Probe also carries the body as text (decoded as Scrapy decodes a page), which is
how `seeds add URL` fetches its article: every request seedwatch makes goes through Scrapy and its policy.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from crawler.config import Settings

# Past the download timeout and retries: the child is given this long in all before it is killed.
PROBE_SLACK_SECONDS = 30.0


class ProbeError(Exception):
    """The probe itself could not run (the child failed); no verdict on any URL."""


@dataclass(frozen=True)
class Probe:
    """What one URL answered: `ok` and the kind it serves, or the reason it cannot be used."""

    url: str
    ok: bool
    kind: str = ""  # "feed", "sitemap", "html" or "other"
    title: str = ""
    entries: int = 0
    final_url: str = ""
    reason: str = ""
    detail: str = ""
    content_type: str = ""
    text: str = ""  # the body as text, only when asked for (`keep_text`)

    @property
    def usable(self) -> bool:
        """A source seedwatch can crawl: a feed, a sitemap or a web page."""
        return self.ok and self.kind in ("feed", "sitemap", "html")


def probe_urls(settings: Settings, urls: Sequence[str], keep_text: bool = False) -> list[Probe]:
    """Fetch each URL once in a child process, under the crawl's fetch policy; one Probe per URL, in order."""
    if not urls:
        return []
    timeout = settings.crawl.download_timeout * (settings.crawl.retry_times + 1) + PROBE_SLACK_SECONDS
    payload = json.dumps(
        {"settings": settings.model_dump(mode="json"), "urls": list(urls), "keep_text": keep_text}
    )
    try:
        done = subprocess.run(
            [sys.executable, "-m", "crawler.probe"],
            input=payload,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise ProbeError(f"the probe did not finish within {timeout:.0f} s") from None
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise ProbeError(f"the probe failed (exit status {done.returncode}): {last}")
    found = {item["url"]: Probe(**item) for item in json.loads(done.stdout or "[]")}
    return [found.get(url) or Probe(url, False, reason="error", detail="no answer recorded") for url in urls]


def _describe_body(body: bytes, content_type: str) -> tuple[str, str, int]:
    """(kind, title, number of entries) of a response body."""
    import feedparser
    from parsel import Selector

    from crawler.failures import CrawlFailure
    from crawler.feeds import parse_sitemap, sniff_kind

    kind = sniff_kind(body, content_type)
    if kind == "feed":
        parsed = feedparser.parse(body)
        title = str(parsed.feed.get("title", "")) if parsed.get("feed") else ""
        if not parsed.entries and parsed.get("bozo"):
            return "other", title, 0
        return "feed", title, len(parsed.entries)
    if kind == "sitemap":
        try:
            entries, children = parse_sitemap(body, "")
        except CrawlFailure:
            return "other", "", 0
        return "sitemap", "", len(entries) + len(children)
    if kind == "html":
        text = body.decode("utf-8", "replace")
        title = Selector(text=text).css("title::text").get(default="")
        return "html", " ".join(title.split())[:300], 0
    return kind, "", 0


def _run_child(settings: Settings, urls: Sequence[str], keep_text: bool = False) -> list[dict[str, Any]]:
    """Crawl the URLs once with Scrapy (in this process) and describe each."""
    from scrapy import Request, Spider
    from scrapy.crawler import CrawlerProcess
    from scrapy.http import Response, TextResponse
    from twisted.python.failure import Failure

    from crawler.failures import describe, diagnose, status_reason
    from crawler.settings import scrapy_settings

    results: dict[str, dict[str, Any]] = {}

    class ProbeSpider(Spider):
        name = "probe"

        async def start(self) -> Any:
            for url in urls:
                yield Request(
                    url,
                    callback=self.parse,
                    errback=self.failed,
                    cb_kwargs={"asked": url},
                    dont_filter=True,
                    # Error statuses reach `parse`; redirects are still followed (and policed).
                    meta={"handle_httpstatus_list": list(range(400, 600))},
                )

        def parse(self, response: Response, asked: str) -> None:
            if response.status >= 400:
                reason = status_reason(response.status)
                results[asked] = asdict(
                    Probe(
                        asked,
                        False,
                        final_url=response.url,
                        reason=reason,
                        detail=describe(reason, response.status),
                    )
                )
                return
            content_type = (response.headers.get(b"Content-Type") or b"").decode("latin-1")
            kind, title, entries = _describe_body(response.body, content_type)
            text = ""
            if keep_text:
                # Scrapy's decoding: the declared charset, a BOM or <meta charset>, else detection.
                is_text = isinstance(response, TextResponse)
                text = response.text if is_text else response.body.decode("utf-8", "replace")
            results[asked] = asdict(
                Probe(
                    asked,
                    True,
                    kind=kind,
                    title=title,
                    entries=entries,
                    final_url=response.url,
                    content_type=content_type.split(";")[0].strip().lower(),
                    text=text,
                )
            )

        def failed(self, failure: Failure) -> None:
            asked = failure.request.cb_kwargs["asked"]  # type: ignore[attr-defined]
            found = diagnose(failure)
            results[asked] = asdict(Probe(asked, False, reason=found.reason, detail=found.detail))

    values = scrapy_settings(settings)
    # Only the downloader matters here: no storage, no crawl recorder, no judging.
    values.update({"ITEM_PIPELINES": {}, "EXTENSIONS": {}, "LOG_LEVEL": "ERROR", "RETRY_TIMES": 1})
    # No database here: the known-article check has nothing to look up.
    values["DOWNLOADER_MIDDLEWARES"] = {
        **values["DOWNLOADER_MIDDLEWARES"],
        "crawler.middlewares.KnownArticleMiddleware": None,
    }
    process = CrawlerProcess(values)
    process.crawl(ProbeSpider)
    process.start()
    return [results[url] for url in urls if url in results]


def _main(lines: Iterator[str]) -> int:
    request = json.loads("".join(lines))
    settings = Settings.model_validate(request["settings"])
    json.dump(_run_child(settings, request["urls"], bool(request.get("keep_text"))), sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(_main(iter(sys.stdin)))
