"""Chinese names of things English writes in Latin script become the same story features."""

from __future__ import annotations

from crawler.judge.features import anchors, term_counts
from crawler.judge.gazetteer import english_names


def test_chinese_names_give_the_english_name_features() -> None:
    found = {
        feature for _, feature in english_names("韩国个人信息保护委员会表示，英伟达和孙正义都没有回应。")
    }
    assert {"n:korea", "n:nvidia", "n:masayoshi", "n:son"} <= found


def test_a_chinese_and_an_english_report_share_name_features() -> None:
    zh_title, zh = "韩国暂停DeepSeek下载", "韩国个人信息保护委员会2月17日表示，DeepSeek已在韩国暂停新的下载。"
    en_title, en = (
        "South Korea suspends DeepSeek downloads",
        "South Korea's privacy regulator said on Monday.",
    )
    zh_counts = term_counts(zh_title, zh, "zh", anchors(zh, "zh", 2025))
    en_counts = term_counts(en_title, en, "en", anchors(en, "en", 2025))
    shared = {f for f in zh_counts if f.startswith("n:")} & {f for f in en_counts if f.startswith("n:")}
    assert {"n:korea", "n:deepseek"} <= shared


def test_english_text_is_left_alone() -> None:
    counts = term_counts("Nvidia falls", "Nvidia fell.", "en", anchors("Nvidia fell.", "en", 2025))
    assert counts["n:nvidia"] == 4  # three for the title, one for the body: no extra Chinese-name counts
