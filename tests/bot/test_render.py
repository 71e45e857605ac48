"""Rendering: Telegram HTML that Telegram accepts, split under 4096 after parsing; terminal text; the page."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.render import render_digest, render_page, render_text
from crawler.judge.digest import ClaimWording, compose_digest
from crawler.judge.types import ClaimMatch, StoredArticle
from tests.fakes.telegram_html import ENTITY_TYPES, parse_html, utf16_len

END = datetime(2025, 1, 28, 8, 0, tzinfo=UTC)
NASTY = 'R1 <script>alert("x")</script> & <b>bold</b> &amp; "quotes" \'single\' </i>'


def digest_of(n: int, title: str = "Story", text: str = "", **kw: object):  # type: ignore[no-untyped-def]
    articles = [
        StoredArticle(
            key=i,
            url=f"https://example.com/{i}?a=1&b=<2>",
            outlet=f"Outlet <{i}> & Co",
            title=f"{title} {i}",
            text=text or f"{title} {i}\n" + f"Sentence number {i} of a body that goes on. " * 6,
            fetched=END - timedelta(minutes=i),
            story=i,
            novelty=0.5,
            claims=(ClaimMatch("r1-2000-gpus", "disputes", 0.9, f"Evidence <{i}> & more"),),
        )
        for i in range(1, n + 1)
    ]
    wording = {"r1-2000-gpus": ClaimWording("r1-2000-gpus", en="R1 <2,000> GPUs", zh="两千片 <GPU>")}
    return compose_digest(
        articles, start=END - timedelta(days=1), end=END, wording=wording, max_entries=200, **kw
    )


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_part_parses_and_fits_after_entity_parsing(lang: str) -> None:
    parts = render_digest(digest_of(120, NASTY), lang, ZoneInfo("Asia/Shanghai"))
    assert len(parts) > 2
    for part in parts:
        text, _entities = parse_html(part)  # the stand-in's parser, not ours: raises on bad HTML
        assert utf16_len(text.strip()) <= 4096
        assert "<br" not in part
        assert set(re.findall(r"</?([a-z-]+)", part)) <= set(ENTITY_TYPES)
    visible = "\n".join(parse_html(p)[0] for p in parts)
    assert '<script>alert("x")</script>' in visible  # shown as text, never as markup
    assert "Outlet <7> & Co" in visible


def test_split_only_between_entries_and_numbered_in_order() -> None:
    parts = render_digest(digest_of(150), "en", UTC)
    texts = [parse_html(p)[0] for p in parts]
    numbers = [int(n) for t in texts for n in re.findall(r"^(\d+)\. Story", t, re.M)]
    assert numbers == list(range(1, 151))
    for i, text in enumerate(texts, 1):
        assert text.rstrip().endswith(f"({i}/{len(parts)})")
        for number in re.findall(r"^(\d+)\. Story \d+$", text, re.M):
            # The entry's whole block (title line, meta line, snippet) sits in the same message.
            assert re.search(rf"^{number}\. Story {number}\n.*\n.*Sentence number {number}", text, re.M)


def test_astral_characters_count_twice() -> None:
    emoji_title = "😀" * 290
    parts = render_digest(digest_of(40, emoji_title, text="😀 " * 100), "en", UTC)
    for part in parts:
        assert utf16_len(parse_html(part)[0].strip()) <= 4096
    assert len(parts) >= 5  # by UTF-16 count; counting code points would have packed fewer parts


def test_links_carry_escaped_urls() -> None:
    part = render_digest(digest_of(1), "en", UTC)[0]
    _text, entities = parse_html(part)
    urls = {e["url"] for e in entities if e["type"] == "text_link"}
    assert "https://example.com/1?a=1&b=<2>" in urls


def test_languages_and_left_out_line() -> None:
    digest = digest_of(2)
    en = parse_html(render_digest(digest, "en", UTC)[0])[0]
    zh = parse_html(render_digest(digest, "zh", ZoneInfo("Asia/Shanghai"))[0])[0]
    assert "seedwatch digest" in en and "Disputed: R1 <2,000> GPUs" in en
    assert "Left out: 0 more articles on stories already listed, 0 off-topic." in en
    assert "seedwatch 每日摘要" in zh and "被质疑：两千片 <GPU>" in zh
    assert "2025年1月28日 15:59" in zh  # shown in the chat's time zone


def test_empty_digest_says_so() -> None:
    digest = compose_digest([], start=END - timedelta(days=1), end=END)
    text = parse_html(render_digest(digest, "en", UTC)[0])[0]
    assert "Nothing new since 27 Jan 2025 08:00." in text


def test_terminal_text_and_page() -> None:
    digest = digest_of(3, NASTY)
    text = render_text(digest, "en", UTC)
    assert "https://example.com/2?a=1&b=<2>" in text
    assert '<script>alert("x")</script>' in text
    page = render_page(digest, "zh", UTC)
    assert page.startswith("<!doctype html>") and 'lang="zh-CN"' in page
    assert "<script" not in page and "&lt;script&gt;" in page
    assert not re.search(r"<(link|img|iframe)\b|src=", page)


def test_evidence_quoted_by_script_and_full_novelty_not_shown() -> None:
    from bot.render import quote

    assert quote("“星际之门”不是政府项目") == "「“星际之门”不是政府项目」"
    assert quote("“They used 50,000 GPUs.”") == "“They used 50,000 GPUs.”"
    fresh = compose_digest(
        [
            StoredArticle(
                key=1,
                url="u",
                outlet="O",
                title="T",
                text="T\n" + "Body text. " * 10,
                fetched=END - timedelta(hours=1),
                novelty=1.0,
            )
        ],
        start=END - timedelta(days=1),
        end=END,
    )
    shown = parse_html(render_digest(fresh, "en", UTC)[0])[0]
    assert "O · 28 Jan 2025 07:00\n" in shown and "% new" not in shown


@pytest.mark.parametrize(
    ("lang", "contested", "disputed", "supported"),
    [
        (
            "en",
            "⚖️ Disputed and supported here: R1 on 2,000 GPUs",
            "❗ Disputes: Under $6m",
            "✔️ Supports: On par",
        ),
        ("zh", "⚖️ 既有质疑也有支持：两千片GPU", "❗ 质疑：不到600万美元", "✔️ 支持：比肩 o1"),
    ],
)
def test_a_claim_the_storys_articles_both_dispute_and_support_is_named_once(
    lang: str, contested: str, disputed: str, supported: str
) -> None:
    def story_article(key: int, *claims: ClaimMatch) -> StoredArticle:
        body = f"Title {key}\n" + f"Sentence {key} of a body that goes on. " * 6
        return StoredArticle(
            key=key, url=f"u{key}", outlet=f"O{key}", title=f"T{key}", text=body,
            fetched=END - timedelta(hours=key), story=1, claims=claims,
        )  # fmt: skip

    articles = [
        story_article(1, ClaimMatch("r1-2000-gpus", "supports", 0.8, "It used 2,048 H800s.")),
        story_article(
            2,
            ClaimMatch("r1-2000-gpus", "disputes", 0.8, "It has 50,000 GPUs."),
            ClaimMatch("under-6m-cost", "disputes", 0.8, "It cost far more."),
            ClaimMatch("r1-matches-openai", "supports", 0.8, "It is on par with o1."),
        ),
    ]
    wording = {
        "r1-2000-gpus": ClaimWording("r1-2000-gpus", en="R1 on 2,000 GPUs", zh="两千片GPU"),
        "under-6m-cost": ClaimWording("under-6m-cost", en="Under $6m", zh="不到600万美元"),
        "r1-matches-openai": ClaimWording("r1-matches-openai", en="On par", zh="比肩 o1"),
    }
    digest = compose_digest(articles, start=END - timedelta(days=1), end=END, wording=wording)
    (entry,) = parse_html(render_digest(digest, lang, UTC)[0])[0].split("\n\n")[1:2]
    lines = entry.splitlines()
    assert contested in lines and disputed in lines and supported in lines
    assert sum("GPU" in line for line in lines) == 1
