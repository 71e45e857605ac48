"""The broken cases of the demo web: pages and feeds that fail in the ways real ones do.

Each case is listed by some feed or listing of the demo (so a crawl meets it) and has a stable URL.
The reasons are the vocabulary of ``DemoSite.expectations()["broken"]``::

    not_found           404 article                     server_error    500 article
    timeout             page that answers after slow_delay seconds
    malformed_feed      truncated, invalid RSS          redirect_loop   A -> B -> A
    too_large           HTML larger than oversize_bytes, streamed without Content-Length
    not_html            a PDF served as the article     robots          a page robots.txt disallows
    connection_refused  a source on a port where nothing listens
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from crawler.demo.corpus import Article, Corpus


@dataclass(frozen=True)
class BrokenCase:
    """A failing page, listed as an entry of one outlet's feed or listing."""

    outlet: str
    id: str
    reason: str
    title: str
    published: datetime
    section: str = "news"

    def as_article(self) -> Article:
        """A stand-in article, so feeds and listings can list the case like any other entry."""
        return Article(
            id=self.id, outlet=self.outlet, lang="en", title=self.title, author="", published=self.published,
            section=self.section, topics=(), relevant=False, story=None, claims={},
            body=f"{self.title}.", source_file=Path(__file__),
        )  # fmt: skip


def _at(day: int, hour: int, month: int = 1) -> datetime:
    return datetime(2025, month, day, hour, 0, tzinfo=UTC)


BROKEN_CASES = (
    BrokenCase("techwire", "deepseek-r1-story-removed", "not_found",
               "DeepSeek R1: what we know so far (updated)", _at(28, 3)),
    BrokenCase("techwire", "deepseek-v3-technical-summary", "not_html",
               "Read the DeepSeek-V3 technical summary", _at(29, 2)),
    BrokenCase("ledger", "live-chip-stocks-deepseek", "server_error",
               "Live: chip stocks tumble as DeepSeek rattles investors", _at(27, 15), section="markets"),
    BrokenCase("ledger", "briefing-deepseek-stargate", "robots",
               "Members' briefing: DeepSeek, Stargate and AI capex", _at(30, 6), section="members"),
    BrokenCase("siliconpost", "deepseek-live-updates", "timeout",
               "DeepSeek live updates: the week that shook AI", _at(28, 20)),
    BrokenCase("pacificwire", "deepseek-correction-notice", "redirect_loop",
               "Correction: DeepSeek story of Jan 27", _at(28, 9)),
    BrokenCase("marketpulse", "full-market-data-archive", "too_large",
               "Full market data archive: semiconductor stocks, January 2025", _at(29, 23)),
)  # fmt: skip


def broken_for(outlet: str) -> list[Article]:
    """The stand-in articles an outlet's feed or listing carries besides its real ones."""
    return [case.as_article() for case in BROKEN_CASES if case.outlet == outlet]


def broken_paths(corpus: Corpus) -> dict[str, str]:
    """URL path of every broken page -> its reason."""
    return {corpus.path(case.as_article()): case.reason for case in BROKEN_CASES}


def loop_partner(path: str) -> str:
    """The other end of the redirect loop: the same path with or without a trailing slash."""
    return path[:-1] if path.endswith("/") else path + "/"


def malformed_feed(base_url: str) -> bytes:
    """An RSS feed cut off mid-item, with an unescaped ampersand: not well-formed XML."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0">\n<channel>\n'
        "<title>Broken Feed Blog</title>\n"
        f"<link>{base_url}/brokenblog/</link>\n"
        "<description>Notes on AI, models & markets</description>\n"
        "<lastBuildDate>Thu, 30 Jan 2025 08:00:00 GMT</lastBuildDate>\n"
        "<item>\n<title>Why the cheap model story matters</title>\n"
        "<description><p>The week's numbers do not add up & the trade press\n"
    ).encode()


def tiny_pdf(title: str) -> bytes:
    """A minimal valid one-page PDF whose page shows the title (cross-reference offsets computed)."""
    text = title.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    stream = f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET".encode("latin-1", "replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


OVERSIZE_HEAD = (
    b"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
    b"<title>Full market data archive: semiconductor stocks, January 2025 - MarketPulse</title></head>"
    b"<body><h1>Full market data archive</h1><table class='archive'>\n"
)
_ROW = b"<tr><td>2025-01-27</td><td>NVDA</td><td>118.42</td><td>-16.97%</td><td>818,830,900</td></tr>\n"
OVERSIZE_CHUNK = _ROW * (65536 // len(_ROW))
