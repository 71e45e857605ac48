"""The general stance cues: negation, doubt that is not negated, debunk framing, questions.

Sentences are our own, written for these tests.
"""

from __future__ import annotations

import pytest

from crawler.judge.stance import debunk_framing, doubts, is_question, negated


@pytest.mark.parametrize(
    ("sentence", "word", "expected"),
    [
        ("OpenAI 选择不开放权重。", "开放权重", True),
        ("OpenAI 没有开放权重。", "开放权重", True),
        ("OpenAI 开放了权重。", "开放", False),
        ("R1 is not on par with o1.", "on par", True),
        ("R1 isn't really on par with o1.", "on par", True),
        ("R1 is on par with o1.", "on par", False),
        ("它不仅开源，而且免费。", "开源", False),
        ("Not only open source, it is also free.", "open source", False),
        ("这是一个非常开放的模型。", "开放", False),
    ],
)
def test_a_word_is_negated_only_by_a_negation_right_before_it(
    sentence: str, word: str, expected: bool
) -> None:
    assert negated(sentence, sentence.index(word)) is expected


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("分析师质疑这一数字。", True),
        ("This figure is misleading.", True),
        ("有人说这是谣言。", True),
        ("These claims are overstated, analysts say.", True),
        ("这种说法至少是一种过度简化。", True),
        ("That story is an oversimplification.", True),
        ("这种说法并不是过度简化。", False),
        ("The report complicates the idea that sanctions forced DeepSeek to innovate.", True),
        ("The filing calls into question the $6 million figure.", True),
        ("公司随后否认了这一说法。", True),
        ("The company did not deny the report.", False),
        # finding no record of something (a quote, a figure) doubts it
        ("在这次电话会和其他公开场合中均找不到对应的原话。", True),
        ("我们没有找到这段话的出处。", True),
        ("We found no record of the remark.", True),
        ("Reporters could not verify the quote.", True),
        ("The company found a new source of revenue.", False),
        ("There is no public evidence that a frontier model has been trained on Ascend chips.", False),
        ("毫无疑问，R1 是一次突破。", False),
        ("There is no doubt that R1 is a breakthrough.", False),
        ("这个说法并没有夸大。", False),
        ("The figure is not misleading.", False),
        ("DeepSeek released R1 on Monday.", False),
    ],
)
def test_doubt_counts_unless_negated_or_affirming(sentence: str, expected: bool) -> None:
    assert doubts(sentence) is expected


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("辟谣：DeepSeek 并非只花了 600 万美元", True),
        ("The myth of the $6 million AI model", True),
        ("Fact check: did DeepSeek really cost $6 million?", True),
        ("DeepSeek 训练成本不到 600 万美元", False),
        ("DeepSeek's cost figure is not misleading, its founder says", False),
    ],
)
def test_debunk_framing_of_a_title(title: str, expected: bool) -> None:
    assert debunk_framing(title) is expected


def test_a_question_asks_rather_than_states() -> None:
    assert is_question("R1 真的能媲美 o1 吗？")
    assert is_question("Is R1 really as good as o1?")
    assert not is_question("R1 is as good as o1.")


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("这不是谣言，而是公司自己公布的数字。", False),
        ("That figure is not a rumour but the company's own number.", False),
        ("The story rests on a misunderstanding of the paper.", True),
        ("分析师认为这个数字被高估了。", True),
        ("This is fake news.", True),
        ("It is not only cheap but also misleading.", True),  # "not only … but also" adds, does not reject
    ],
)
def test_not_x_but_y_rejects_x_and_doubt_words_pair_across_languages(sentence: str, expected: bool) -> None:
    assert doubts(sentence) is expected
