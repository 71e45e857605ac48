"""Every message template, in both languages: punctuation that reads right and English plurals."""

from __future__ import annotations

import re
import string
from datetime import UTC, datetime, timedelta

import pytest

from bot.claims_text import claims_messages
from bot.i18n import TEMPLATES, fill, phrase, t
from bot.render import render_digest, render_text
from bot.status import LABELS
from bot.timeline import build_timeline
from crawler.judge.digest import ClaimWording, compose_digest
from crawler.judge.types import ClaimMatch, StoredArticle
from crawler.storage.claims import ClaimDay, ClaimTally

NUMBERS = {
    "n", "stories", "articles", "dups", "irrelevant", "supports", "disputes", "mentions", "failures", "runs",
    "pct", "sent", "failed", "pending", "chats", "subscribers", "inactive", "today", "relevant", "sent_today",
}  # fmt: skip
STATUS_NUMBERS = {"new", "done", "total", "ok", "failing", "empty", "never", "id", "pid"}
# Values as users' data brings them: sentences that end in their own full stop.
TEXT = {"en": "DeepSeek R1 cost $6m to train.", "zh": "DeepSeek的训练成本不到600万美元。"}
DOUBLED = re.compile(r"[.。;；:：,，]\s*[.。;；:：,，]|\.\.(?!\.)")
ASCII_BESIDE_HAN = re.compile(r"[\u4e00-\u9fff][,;:!?()]|[,;!?(][\u4e00-\u9fff]")
ONE_PLURAL = re.compile(
    r"\b1 (stories|articles|failures|runs|chats|claims|outlets|days|duplicates|copies|more articles)\b"
)


def fields(template: str) -> set[str]:
    """The placeholder names of a template."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def filled(lang: str, key: str, number: int) -> str:
    """A template filled as the bot fills it, every number `number`, every text a full sentence."""
    values: dict[str, object] = {
        name: number if name in NUMBERS else TEXT[lang] for name in fields(TEMPLATES[lang][key])
    }
    values["n"] = number  # picks the `_one` form where there is one
    return re.sub(r"<[^>]+>", "", phrase(lang, key, **values))


def keys() -> list[tuple[str, str]]:
    """Every (language, key) pair, `_one` forms included."""
    return [(lang, key) for lang in TEMPLATES for key in TEMPLATES[lang]]


@pytest.mark.parametrize(("lang", "key"), [(lang, key) for lang in LABELS for key in LABELS[lang]])
def test_status_report_wording(lang: str, key: str) -> None:
    template = LABELS[lang][key]
    values: dict[str, object] = {
        name: 1 if name in NUMBERS | STATUS_NUMBERS else "x" for name in fields(template)
    }
    text = fill(template, **values)
    assert not DOUBLED.search(re.sub(r"\{[^}]*\}", "X", template)), template
    assert not ONE_PLURAL.search(text) and "1 new articles" not in text, text
    if lang == "zh":
        assert not ASCII_BESIDE_HAN.search(re.sub(r"\{[^}]*\}|\d+:\d+", " ", template)), template


@pytest.mark.parametrize(("lang", "key"), keys())
def test_no_doubled_stops_in_any_template(lang: str, key: str) -> None:
    template = re.sub(r"\{[^}]*\}", "X", TEMPLATES[lang][key])
    assert not DOUBLED.search(template), f"{lang}.{key}: {template!r}"


@pytest.mark.parametrize("key", sorted(TEMPLATES["zh"]))
def test_chinese_uses_full_width_punctuation(key: str) -> None:
    # Commands (/filter +词), times (HH:MM), tags and placeholders are code, not prose.
    text = re.sub(r"<[^>]+>|\{[^}]*\}|/\w+|HH:MM|\d+:\d+", " ", TEMPLATES["zh"][key])
    assert not ASCII_BESIDE_HAN.search(text), f"zh.{key}: {text!r}"
    assert "。：" not in text and "。；" not in text


@pytest.mark.parametrize("key", sorted(k for k in TEMPLATES["en"] if not k.endswith("_one")))
def test_english_counts_agree_with_their_nouns(key: str) -> None:
    assert not ONE_PLURAL.search(filled("en", key, 1)), filled("en", key, 1)
    assert not re.search(r"\b2 (story|article|failure|run|chat|claim|outlet|day)\b", filled("en", key, 2))


def test_plural_marks() -> None:
    assert phrase("en", "summary", stories=1, articles=1) == "1 story from 1 article"
    assert phrase("en", "summary", stories=3, articles=12) == "3 stories from 12 articles"
    assert t("en", "source_failing", name="A & B", failures=1, error="timeout") == (
        "⚠️ A &amp; B: 1 failure in a row, last error: timeout"
    )
    assert "连续失败 1 次" in t("zh", "source_failing", name="甲", failures=1, error="超时")


END = datetime(2025, 1, 28, 8, tzinfo=UTC)
WORDING = {
    "cost": ClaimWording("cost", en="R1 cost under US$6 million to train.", zh="R1的训练成本不到600万美元。"),
    "gpus": ClaimWording("gpus", en="R1 was trained on about 2,000 GPUs.", zh="R1用约2000块GPU训练。"),
    "open": ClaimWording("open", en="R1 is open source.", zh="R1是开源的。"),
}


def _article(key: int, stances: list[tuple[str, str]]) -> StoredArticle:
    matches = tuple(ClaimMatch(claim, stance, 0.9, f"Evidence {key}.", "seed") for claim, stance in stances)  # type: ignore[arg-type]
    return StoredArticle(
        key=key, url=f"https://example.com/{key}", outlet=f"Outlet {key}", title=f"Story {key}",
        text=f"Story {key} opens with a sentence long enough to be the snippet of the entry here.",
        fetched=END - timedelta(hours=key), published=END - timedelta(hours=key), claims=matches,
    )  # fmt: skip


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_rendered_digest_has_no_doubled_stops(lang: str) -> None:
    articles = [
        _article(1, [("cost", "disputes"), ("gpus", "disputes"), ("open", "disputes")]),
        _article(2, [("cost", "supports"), ("open", "supports")]),
    ]
    digest = compose_digest(articles, start=END - timedelta(days=1), end=END, wording=WORDING)
    text = render_text(digest, lang, UTC) + "\n".join(render_digest(digest, lang, UTC))
    assert not DOUBLED.search(re.sub(r"<[^>]+>|https?://\S+", " ", text)), text
    if lang == "zh":
        assert "质疑：R1的训练成本不到600万美元；R1用约2000块GPU训练（另 1 条）" in text
    else:
        assert (
            "Disputes: R1 cost under US$6 million to train; R1 was trained on about 2,000 GPUs (+1)" in text
        )


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_claims_reply_has_no_doubled_stops(lang: str) -> None:
    tallies = [
        ClaimTally(
            "seed", "cost", 2, 1, 0, "成本只包括正式训练。", "https://example.com/3", "t", END, "财经"
        ),
        ClaimTally("seed", "open", 1, 0, 0),
    ]
    day = END.date()
    timeline = build_timeline(
        [ClaimDay("seed", "cost", "supports", day, 2), ClaimDay("seed", "open", "supports", day, 1)]
    )
    [message] = claims_messages(tallies, WORDING, timeline, lang)
    plain = re.sub(r"<[^>]+>|https?://\S+", " ", message)
    assert not DOUBLED.search(plain), plain
    assert "「成本只包括正式训练。」" in plain  # Chinese evidence in Chinese quotation marks
    if lang == "zh":
        assert "。：" not in plain and "R1的训练成本不到600万美元：2 / 1 / 0" in plain
    else:
        assert "R1 cost under US$6 million to train: 2 / 1 / 0" in plain
