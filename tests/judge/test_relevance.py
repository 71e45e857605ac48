"""Relevance: only the title and body count; a passing mention or a sidebar line does not make coverage."""

from __future__ import annotations

from crawler.config import load_settings
from crawler.judge.relevance import score_relevance
from crawler.judge.types import TopicTerms

DEEPSEEK = TopicTerms(
    "deepseek", ("DeepSeek", "深度求索"), ("High-Flyer", "幻方", "Liang Wenfeng", "梁文锋", "R1")
)
STARGATE = TopicTerms(
    "stargate", ("Stargate", "星际之门"), ("SoftBank", "软银", "Masayoshi Son", "孙正义", "Oracle")
)
TOPICS = [DEEPSEEK, STARGATE]

FILLER = (
    "The quarterly results beat expectations as cloud revenue grew faster than analysts had forecast. "
    "Margins improved on lower energy costs, and the company raised its outlook for the rest of the year."
)


def test_a_paragraph_about_the_topic_makes_the_article_relevant() -> None:
    text = (
        f"{FILLER}\n"
        "DeepSeek released a new reasoning model this week. The lab, backed by the fund High-Flyer, "
        "says the model was cheap to train.\n"
        f"{FILLER}"
    )
    result = score_relevance("Markets this week", text, TOPICS)
    assert result.relevant and result.topics == ("deepseek",) and result.reason is None


def test_one_sentence_naming_the_topic_and_its_backer_is_still_in_passing() -> None:
    text = f"{FILLER}\nThe lab's rival, Stargate, is backed by SoftBank and Oracle.\n{FILLER}"
    assert not score_relevance("Cloud earnings", text, TOPICS).relevant


def test_a_single_passing_mention_is_not_coverage() -> None:
    text = f"{FILLER}\nLike DeepSeek and others, the firm sells access to its models.\n{FILLER}"
    result = score_relevance("Cloud earnings", text, TOPICS)
    assert not result.relevant
    assert result.reason is not None and "deepseek only mentioned in passing" in result.reason


def test_sidebar_headlines_do_not_count_however_many() -> None:
    sidebar = "\n".join(
        ["Most read", "DeepSeek tops the app store", "Stargate site picked in Texas", "DeepSeek outage fixed"]
    )
    result = score_relevance("Printer ink prices rise again", f"{FILLER}\n{sidebar}\n{FILLER}", TOPICS)
    assert not result.relevant


def test_a_roundup_with_one_real_item_counts() -> None:
    text = (
        "1. New phones\n"
        f"{FILLER}\n"
        "2. Stargate picks a site\n"
        "SoftBank and Oracle said the first data centre will be built in Texas, with more to follow.\n"
        "3. Chip prices\n"
        f"{FILLER}"
    )
    result = score_relevance("Morning briefing", text, TOPICS)
    assert result.relevant and result.topics == ("stargate",)


def test_the_title_alone_counts() -> None:
    result = score_relevance("星际之门首个数据中心动工", FILLER, TOPICS)
    assert result.relevant and result.topics == ("stargate",)


def test_two_topics_and_chinese_text() -> None:
    text = (
        "深度求索发布了新模型。幻方的创始人梁文锋表示会继续开源。\n"
        "与此同时，软银表示将加大对星际之门的投入。孙正义称资金已经到位。"
    )
    result = score_relevance("AI 周报", text, [DEEPSEEK, STARGATE])
    assert result.relevant and set(result.topics) == {"deepseek", "stargate"}


def test_nothing_named_gives_the_reason() -> None:
    result = score_relevance("Printer ink", FILLER, TOPICS)
    assert not result.relevant and result.score == 0.0
    assert result.reason == "no watched topic is named in the title or body"


def test_the_configured_topics_have_bilingual_aliases() -> None:
    topics = load_settings(environ={}).topics
    assert {"DeepSeek", "深度求索"} <= set(topics["deepseek"].aliases)
    assert {"Stargate", "星际之门"} <= set(topics["stargate"].aliases)
    assert {"幻方", "High-Flyer", "梁文锋", "Liang Wenfeng"} <= set(topics["deepseek"].related)
    assert {"软银", "SoftBank", "孙正义"} <= set(topics["stargate"].related)
