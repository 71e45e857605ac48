"""Story clusters: one event in different words (and languages) is one story; other events and late
articles start their own."""

from __future__ import annotations

from datetime import timedelta

import numpy as np

from crawler.config import JudgeSettings
from crawler.judge.stories import SemanticStoryIndex, StoryIndex, StoryMatch, cosine
from crawler.judge.window import SWEEP_EVERY
from tests.judge.samples import (
    ITALY,
    ITALY_NEWS,
    ITALY_NEWS_TITLE,
    ITALY_TITLE,
    ITALY_ZH,
    ITALY_ZH_TITLE,
    KOREA,
    KOREA_TITLE,
    KOREA_ZH,
    KOREA_ZH2,
    KOREA_ZH2_TITLE,
    KOREA_ZH_TITLE,
    MARKET_ZH,
    MARKET_ZH_TITLE,
    R1_EN,
    R1_EN_TITLE,
    T0,
    doc,
)
from tests.judge.test_dedup import judge_in_order

BACKGROUND = [
    doc(1, R1_EN, R1_EN_TITLE, outlet="a"),
    doc(2, MARKET_ZH, MARKET_ZH_TITLE, outlet="b", lang="zh", hours=1),
    doc(3, ITALY, ITALY_TITLE, outlet="c", hours=2),
    doc(4, KOREA, KOREA_TITLE, outlet="d", hours=3),
]


def stories_of(docs: list) -> list[int | None]:
    """The story each article ends up in (new stories numbered from 1000 by position)."""
    _, judgements = judge_in_order(docs)
    return [
        j.story if j.story is not None else (1000 + n if d.relevant else None)
        for n, (d, j) in enumerate(zip(docs, judgements, strict=True))
    ]


def test_different_events_start_their_own_stories_titled_by_their_first_article() -> None:
    _, judgements = judge_in_order(BACKGROUND)
    assert [j.story for j in judgements] == [None, None, None, None]
    assert [j.story_title for j in judgements] == [R1_EN_TITLE, MARKET_ZH_TITLE, ITALY_TITLE, KOREA_TITLE]


def test_same_event_with_new_facts_joins_the_story_and_keeps_its_title() -> None:
    docs = [*BACKGROUND, doc(5, ITALY_NEWS, ITALY_NEWS_TITLE, outlet="e", hours=20)]
    _, judgements = judge_in_order(docs)
    assert judgements[-1].duplicate is None
    assert judgements[-1].story == 1002  # Italy's story, started by the third article
    assert judgements[-1].story_title == ITALY_TITLE


def test_chinese_reports_of_one_event_share_a_story() -> None:
    docs = [
        *BACKGROUND,
        doc(5, KOREA_ZH, KOREA_ZH_TITLE, outlet="e", lang="zh", hours=4),
        doc(6, KOREA_ZH2, KOREA_ZH2_TITLE, outlet="f", lang="zh", hours=6),
    ]
    stories = stories_of(docs)
    assert stories[5] == stories[4]
    assert stories[5] != stories[2]  # not Italy's


def test_across_languages_names_and_figures_carry_a_story() -> None:
    docs = [*BACKGROUND, doc(5, ITALY_ZH, ITALY_ZH_TITLE, outlet="e", lang="zh", hours=5)]
    stories = stories_of(docs)
    assert stories[4] == stories[2] == 1002


def test_the_same_event_outside_the_window_is_a_new_story() -> None:
    late = doc(5, ITALY_NEWS, ITALY_NEWS_TITLE, outlet="e", hours=24 * 6)
    stories = stories_of([*BACKGROUND, late])
    assert stories[4] == 1004
    wider = judge_in_order([*BACKGROUND, late], JudgeSettings(story_window_days=10))[1]
    assert wider[-1].story == 1002


def test_irrelevant_articles_get_no_story() -> None:
    _, judgements = judge_in_order([doc(1, ITALY, ITALY_TITLE, relevant=False)])
    assert judgements[0].story is None
    assert judgements[0].story_title == ""
    assert judgements[0].novelty is None


def test_rare_shared_features_weigh_more_than_common_ones() -> None:
    index = StoryIndex(timedelta(days=4), 0.2)
    for n in range(20):
        index.learn({"n:deepseek": 1, f"w:filler{n}": 1})
    common = index.vector({"n:deepseek": 3, "w:garante": 1})
    assert common["w:garante"] > common["n:deepseek"]
    assert cosine({"a": 1.0}, {"a": 2.0}) == 1.0
    assert cosine({"a": 1.0}, {"b": 1.0}) == 0.0


def test_story_index_forgets_stories_long_out_of_reach() -> None:
    index = StoryIndex(timedelta(days=1), 0.2)
    index.add(1, 7, title="old", lang="en", vector={"w:x": 1.0}, when=T0)
    assert index.in_reach(7, T0 + timedelta(hours=20))
    later = T0 + timedelta(days=3)
    index.add(2, 8, title="new", lang="en", vector={"w:y": 1.0}, when=later)
    assert not index.in_reach(7, later)
    assert index.best({"w:x": 1.0}, "en", later) is None
    for n in range(SWEEP_EVERY):  # a sweep comes every so many additions
        index.add(10 + n, 8, title="new", lang="en", vector={"w:y": 1.0}, when=later)
    assert index.title(7) is None and index.title(8) == "new"
    assert len(index) == 1


def _unit(*values: float) -> np.ndarray:
    vector = np.array(values, dtype=np.float32)
    return vector / np.linalg.norm(vector)


def test_a_late_follow_up_joins_its_story_only_when_clearly_about_it() -> None:
    index = SemanticStoryIndex(timedelta(days=4), 0.45)
    index.add(1, 10, _unit(1, 0, 0), title="Site opens", when=T0)
    index.add(2, 10, _unit(1, 0.1, 0), title="Site opens", when=T0 + timedelta(hours=5))
    close, loose = _unit(1, 0.5, 0.3), _unit(1, 1.2, 1.0)  # mean cosines with the story 0.88 and 0.57
    assert (index.best(loose, T0 + timedelta(days=2)) or StoryMatch(0, "", 0, False)).story == 10
    follow_up = index.best(close, T0 + timedelta(days=14))
    assert follow_up is not None and follow_up.story == 10
    assert index.best(loose, T0 + timedelta(days=14)) is None  # near enough in the window, not later
    assert index.best(close, T0 + timedelta(days=90)) is None
