"""The claims timeline: per-day series, sparklines and the inline SVG chart (pure functions)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bot.claims_text import claims_messages
from bot.render import render_page, render_timeline_page
from bot.timeline import bucketed, build_timeline, claim_sparkline, sparkline
from bot.timeline_svg import BAR_DOWN, BAR_UP, COLOURS, day_label, timeline_svg
from crawler.judge.digest import ClaimWording, compose_digest
from crawler.judge.types import ClaimMatch, StoredArticle
from crawler.storage import Store
from crawler.storage.claims import ClaimDay, CoverageDay

SVG = "{http://www.w3.org/2000/svg}"
D0 = date(2025, 1, 20)
WORDING = {
    "cost": ClaimWording("cost", en="R1 cost under US$6 million to train.", zh="R1的训练成本不到600万美元。"),
    "open": ClaimWording("open", en="R1 is open source.", zh="R1是开源的。"),
}


def day(n: int) -> date:
    return D0 + timedelta(days=n)


def sample() -> list[ClaimDay]:
    return [
        ClaimDay("s", "cost", "supports", day(0), 2),
        ClaimDay("s", "cost", "disputes", day(3), 4),
        ClaimDay("s", "cost", "mentions", day(3), 1),
        ClaimDay("s", "open", "supports", day(1), 1),
        ClaimDay("other-seed", "open", "supports", day(1), 2),
        ClaimDay("s", "never", "supports", day(9), 0),
    ]


def coverage() -> list[CoverageDay]:
    return [CoverageDay(day(0), "en", 3), CoverageDay(day(0), "zh", 2), CoverageDay(day(4), "zh", 1)]


def test_every_day_between_first_and_last_with_claims_in_file_order() -> None:
    timeline = build_timeline(sample(), coverage(), claim_order=["open", "cost"])
    assert timeline.days == tuple(day(i) for i in range(10))
    assert [s.claim_id for s in timeline.claims] == ["open", "cost"]  # "never" has no article
    cost = timeline.series("cost")
    assert cost is not None and cost.total == 7
    assert cost.supports[:4] == (2, 0, 0, 0) and cost.disputes[:4] == (0, 0, 0, 4)
    assert timeline.series("open").supports[1] == 3  # type: ignore[union-attr]  # both seeds added up
    assert timeline.coverage == {"en": (3,) + (0,) * 9, "zh": (2, 0, 0, 0, 1) + (0,) * 5}
    assert build_timeline([], []).empty and timeline_svg(build_timeline([], []), "en") == ""


def test_a_stray_date_far_away_does_not_flatten_the_chart() -> None:
    rows = [*sample(), ClaimDay("s", "cost", "supports", date(2026, 6, 1), 1)]
    timeline = build_timeline(rows, coverage(), max_days=60)
    assert timeline.days[0] == D0 and timeline.days[-1] == day(9)


def test_sparklines() -> None:
    assert sparkline([0, 1, 2, 4, 8]) == "▁▂▃▅█"
    assert sparkline([0, 0]) == "▁▁" and sparkline([]) == ""
    assert bucketed(list(range(10)), 4) == (3, 12, 21, 9)  # three days a mark
    cost = build_timeline(sample()).series("cost")
    assert cost is not None
    supports, disputes = claim_sparkline(cost)
    assert len(supports) == len(disputes) == 10
    assert disputes[3] == "█" and supports[0] == "▅"  # one scale for both: 2 of 4


def test_claims_reply_and_storage_per_day(tmp_path: Path) -> None:
    with Store(f"sqlite:///{tmp_path / 'timeline.db'}") as store:
        for number, (lang, stance, relevant, copy_of) in enumerate(
            [("en", "supports", True, None), ("zh", "disputes", True, None), ("en", "supports", True, 1),
             ("en", "disputes", False, None)], start=1,
        ):  # fmt: skip
            store.articles.add(
                StoredArticle(url=f"https://n.example/{number}", canonical_url=f"https://n.example/{number}",
                 title=f"t{number}", text="x", lang=lang, content_hash=f"h{number}",
                 relevant=relevant, duplicate_of=copy_of,
                 published=datetime(2025, 1, 20 + number, 23, tzinfo=UTC),
                 claims=(ClaimMatch("cost", stance, 0.9, "e", "s"),))
            )  # fmt: skip
        per_day, cover = store.claims.per_day(), store.claims.coverage_per_day()
        tallies = store.claims.tracker()
    # Copies and off-topic articles do not count for a claim; copies do count as coverage.
    assert [(r.claim_id, r.stance, r.day, r.articles) for r in per_day] == [
        ("cost", "supports", date(2025, 1, 21), 1),
        ("cost", "disputes", date(2025, 1, 22), 1),
    ]
    assert [(c.day, c.lang, c.articles) for c in cover] == [
        (date(2025, 1, 21), "en", 1), (date(2025, 1, 22), "zh", 1), (date(2025, 1, 23), "en", 1),
    ]  # fmt: skip
    timeline = build_timeline(per_day, cover, ["cost"])
    [message] = claims_messages(tallies, WORDING, timeline, "en")
    assert "one mark per day, 21 Jan – 23 Jan" in message
    assert "Relevant articles per day: English █▁█  Chinese ▁█▁" in message
    assert "R1 cost under US$6 million to train: 1 / 1 / 0\n   ✔ █▁▁ ❗ ▁█▁" in message


def test_svg_is_well_formed_labelled_in_the_readers_language_and_scaled() -> None:
    timeline = build_timeline(sample(), coverage(), claim_order=["cost", "open"])
    for lang in ("en", "zh"):
        svg = timeline_svg(timeline, lang, WORDING)
        root = ET.fromstring(svg)
        texts = [t.text or "" for t in root.iter(f"{SVG}text")]
        assert root.find(f"{SVG}title") is not None
        assert "<script" not in svg and "href" not in svg
        if lang == "zh":
            assert {"1月20日", "支持", "质疑", "提及", "中文", "英文"} <= set(texts)
            assert "R1的训练成本不到600万美元。" in texts
        else:
            assert {"20 Jan", "supports", "disputes", "mentions", "English", "Chinese"} <= set(texts)
        # Text and axes follow the page's colour (light and dark mode); stances have their own.
        assert all(t.get("fill") == "currentColor" for t in root.iter(f"{SVG}text"))
        bars = {r.get("data-stance"): r for r in root.iter(f"{SVG}rect") if r.get("data-stance")}
        assert bars["supports"].get("fill") == COLOURS["supports"]
        assert bars["disputes"].get("fill") == COLOURS["disputes"]
        # The biggest dispute (4 articles) fills the room below the baseline.
        heights = [
            float(r.get("height", 0)) for r in root.iter(f"{SVG}rect") if r.get("data-stance") == "disputes"
        ]
        assert max(heights) == BAR_DOWN
        ups = [
            float(r.get("height", 0)) for r in root.iter(f"{SVG}rect") if r.get("data-stance") == "supports"
        ]
        assert max(ups) == BAR_UP  # "open": 3 supports on one day, the most of any claim
    assert day_label(date(2025, 2, 3), "en") == "3 Feb" and day_label(date(2025, 2, 3), "zh") == "2月3日"


def test_the_html_digest_carries_the_chart_before_its_closing_line() -> None:
    timeline = build_timeline(sample(), coverage(), claim_order=["cost", "open"])
    end = datetime(2025, 1, 30, tzinfo=UTC)
    digest = compose_digest([], start=end - timedelta(days=1), end=end, wording=WORDING)
    page = render_page(digest, "zh", UTC, timeline)
    assert page.index("<svg") < page.index("已略去") and "报道对种子文章论断的逐日态度" in page
    assert "<svg" not in render_page(digest, "zh", UTC)
    alone = render_timeline_page(timeline, "en", WORDING)
    assert alone.startswith("<!doctype html>") and alone.count("<svg") == 1
    assert "prefers-color-scheme:dark" in alone and not re.search(r"<script|<link|src=", alone)
