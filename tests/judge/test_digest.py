"""Composing the digest: stories, their best copy, ranking, the chat's filters, claims, what was left out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from crawler.judge.digest import ChatFilter, ClaimWording, compose_digest, contains_word
from crawler.judge.types import ClaimMatch, StoredArticle

END = datetime(2025, 1, 28, 8, 0, tzinfo=UTC)
START = END - timedelta(days=1)


def art(key: int, **kw: object) -> StoredArticle:
    values: dict[str, object] = {
        "key": key,
        "url": f"https://outlet{key}.example/a",
        "outlet": f"Outlet {key}",
        "title": f"Title {key}",
        "text": f"Title {key}\nA first paragraph long enough for a snippet, article {key}. Second sentence.",
        "fetched": END - timedelta(hours=key),
        "topics": ("deepseek",),
    }
    values.update(kw)
    return StoredArticle(**values)  # type: ignore[arg-type]


def test_copies_become_one_entry_led_by_the_most_complete_copy() -> None:
    original = art(1, text="short", story=7)
    longer = art(2, text="a much longer text " * 20, story=7, duplicate_of=1)
    other = art(3, story=7, outlet="Outlet Three")
    digest = compose_digest([original, longer, other], start=START, end=END)

    assert len(digest.entries) == 1
    entry = digest.entries[0]
    assert entry.lead.key == 2
    assert [o.outlet for o in entry.others] == ["Outlet Three", "Outlet 1"]
    assert digest.left_out_duplicates == 2


def test_equally_complete_copies_are_led_by_the_earliest() -> None:
    text = "same text here " * 10
    late = art(1, text=text, story=3, published=END - timedelta(hours=1))
    early = art(2, text=text, story=3, published=END - timedelta(hours=5))
    assert compose_digest([late, early], start=START, end=END).entries[0].lead.key == 2


def test_ranked_by_novelty_then_recency() -> None:
    stale = art(1, novelty=0.1, story=1)
    new_old = art(5, novelty=0.9, story=2)
    new_recent = art(2, novelty=0.92, story=3)
    digest = compose_digest([stale, new_old, new_recent], start=START, end=END)
    assert [e.lead.key for e in digest.entries] == [2, 5, 1]


def test_window_and_relevance() -> None:
    inside = art(1)
    before = art(2, fetched=START - timedelta(minutes=1))
    irrelevant = art(3, relevant=False)
    digest = compose_digest([inside, before, irrelevant], start=START, end=END)
    assert [e.lead.key for e in digest.entries] == [1]
    assert digest.left_out_irrelevant == 1
    assert digest.articles == 2


def test_copy_of_an_article_already_told_is_left_out() -> None:
    repeat = art(1, duplicate_of=999)
    digest = compose_digest([repeat], start=START, end=END)
    assert digest.entries == ()
    assert digest.left_out_duplicates == 1


def test_chat_filters_topics_and_plain_words() -> None:
    deepseek = art(1, title="DeepSeek cuts prices")
    stargate = art(2, title="Stargate site", topics=("stargate",))
    regexy = art(3, title="What C++ (and a.b) mean")
    only_stargate = compose_digest(
        [deepseek, stargate], start=START, end=END, chat_filter=ChatFilter(topics=("stargate",))
    )
    assert [e.lead.key for e in only_stargate.entries] == [2]
    assert only_stargate.left_out_filtered == 1

    keep = compose_digest([deepseek, regexy], start=START, end=END, chat_filter=ChatFilter(include=("c++",)))
    assert [e.lead.key for e in keep.entries] == [3]
    dotted = compose_digest(
        [deepseek, regexy], start=START, end=END, chat_filter=ChatFilter(include=("a.b",))
    )
    assert [e.lead.key for e in dotted.entries] == [3]
    drop = compose_digest(
        [deepseek, regexy], start=START, end=END, chat_filter=ChatFilter(exclude=("PRICES",))
    )
    assert [e.lead.key for e in drop.entries] == [3]


def test_words_match_whole_latin_words_and_any_chinese() -> None:
    assert contains_word("OpenAI said so", "said")
    assert not contains_word("he said so", "AI")
    assert contains_word("the AI race", "ai")
    assert contains_word("深度求索发布新模型", "新模型")
    assert not contains_word("anything", "")


def test_claims_section_shows_disputes_and_only_new_support() -> None:
    dispute = ClaimMatch("r1-2000-gpus", "disputes", 0.9, "They used 50,000 H100s, analysts say.")
    weaker = ClaimMatch("r1-2000-gpus", "disputes", 0.6, "Maybe more GPUs.")
    support_new = ClaimMatch("under-6m-cost", "supports", 0.8, "It cost $5.6 million.")
    support_old = ClaimMatch("stargate-500b", "supports", 0.8, "$500 billion.")
    mention = ClaimMatch("cnbc-leapfrogged", "mentions", 0.7, "CNBC ran a piece.")
    articles = [
        art(1, claims=(dispute, support_new, support_old), story=1),
        art(2, claims=(weaker, mention), story=2),
    ]
    wording = {"r1-2000-gpus": ClaimWording("r1-2000-gpus", en="R1 trained on ~2,000 GPUs", zh="两千片GPU")}
    digest = compose_digest(
        articles, start=START, end=END, wording=wording, supported_before={"stargate-500b"}
    )
    assert [(c.stance, c.claim_id) for c in digest.claims] == [
        ("disputes", "r1-2000-gpus"),
        ("supports", "under-6m-cost"),
    ]
    top = digest.claims[0]
    assert top.evidence.startswith("They used 50,000")
    assert top.url == "https://outlet1.example/a" and top.articles == 2
    assert digest.claim_text("r1-2000-gpus", "zh") == "两千片GPU"
    assert digest.claim_text("under-6m-cost", "en") == "under-6m-cost"
    assert digest.entries[0].disputes == ("r1-2000-gpus",)


def test_an_entry_names_first_the_claims_most_of_its_articles_take() -> None:
    release = ClaimMatch("r1-release-jan20", "supports", 0.8, "DeepSeek released R1 on 20 January.")
    on_par = ClaimMatch("r1-matches-openai", "supports", 0.8, "R1 is on par with o1.")
    aside = ClaimMatch("musk-data-exhausted", "supports", 0.9, "Musk said the data ran out.")
    doubt = ClaimMatch("r1-2000-gpus", "disputes", 0.7, "Analysts doubt the GPU count.")
    articles = [
        art(1, claims=(release, on_par), story=7, text="Title 1\n" + "A long first paragraph. " * 20),
        art(2, claims=(release, aside, doubt), story=7),
        art(3, claims=(release, on_par), story=7),
    ]
    wording = {
        claim: ClaimWording(claim, en=claim, zh=claim)
        for claim in ("r1-release-jan20", "musk-data-exhausted", "r1-matches-openai", "r1-2000-gpus")
    }
    digest = compose_digest(articles, start=START, end=END, wording=wording)
    (entry,) = digest.entries
    # three articles say it, then two, then one (however the ids sort, whatever one match's score)
    assert entry.supports == ("r1-release-jan20", "r1-matches-openai", "musk-data-exhausted")
    assert entry.disputes == ("r1-2000-gpus",)


def test_max_entries_counts_the_rest() -> None:
    articles = [art(i, story=i) for i in range(1, 8)]
    digest = compose_digest(articles, start=START, end=END, max_entries=3)
    assert len(digest.entries) == 3
    assert digest.more_entries == 4


def test_snippet_skips_the_title_and_keeps_whole_sentences() -> None:
    text = "Title 1\n" + "This is one sentence of the body. " * 20
    entry = compose_digest([art(1, text=text)], start=START, end=END).entries[0]
    assert entry.snippet.startswith("This is one sentence")
    assert entry.snippet.endswith(".") and len(entry.snippet) <= 240


def test_snippet_drops_page_furniture_and_counts_chinese_wide() -> None:
    text = "| asia » 02/06/2025 » Desk Title 1 Chinese stocks extended gains on Thursday. More follows here."
    entry = compose_digest([art(1, text=text)], start=START, end=END).entries[0]
    assert entry.snippet == "Chinese stocks extended gains on Thursday. More follows here."
    zh = "标题\n" + "这是一个很长的中文句子，用来测试摘要的长度。" * 20
    entry = compose_digest([art(2, title="标题", text=zh)], start=START, end=END).entries[0]
    assert entry.snippet.startswith("这是一个") and entry.snippet.endswith("。")
    assert len(entry.snippet) <= 120


def test_a_short_opening_takes_the_next_paragraph_and_claims_are_capped() -> None:
    text = "Title 1\nDeepSeek isn't done.\n"
    text += "It released another model on Monday, its third this month, and cut prices.\nMore."
    entry = compose_digest([art(1, text=text)], start=START, end=END).entries[0]
    assert (
        entry.snippet
        == "DeepSeek isn't done. It released another model on Monday, its third this month, and cut prices."
    )
    matches = tuple(ClaimMatch(f"c{i}", "disputes", 0.9, "no") for i in range(14))
    digest = compose_digest([art(2, claims=matches)], start=START, end=END, max_claims=10)
    assert len(digest.claims) == 10 and digest.more_claims == 4
