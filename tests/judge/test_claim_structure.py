"""Sentence structure for claim matching: whose figure a number is, names only compared with, and the
English inflections of a claims file's words.

Sentences are our own, written for these tests.
"""

from __future__ import annotations

import pytest

from crawler.judge.claim_structure import comparison_object, figure_owner, names_subject
from crawler.judge.claim_terms import compile_terms, english_forms
from crawler.judge.numbers import extract_quantities

ABOUT = compile_terms(("DeepSeek", "R1", "V3"))
OTHERS = compile_terms(("OpenAI", "o1", "GPT-4", "Meta", "资本支出"))


def owner_of(sentence: str, figure: str) -> str | None:
    quantity = next(q for q in extract_quantities(sentence) if figure in q.text)
    return figure_owner(sentence, quantity.start, quantity.end, ABOUT, OTHERS)


@pytest.mark.parametrize(
    ("sentence", "figure", "owner"),
    [
        ("R1 took $900 million to build, analysts say, and o1 needed $3 billion.", "$900", "about"),
        ("R1 took $900 million to build, analysts say, and o1 needed $3 billion.", "$3", "other"),
        ("分析师称，算上资本支出，DeepSeek 四年的花费约 20 亿美元。", "20", "about"),
        ("Meta 去年在算力上花了 300 亿美元。", "300", "other"),
        ("The bill came to $80 million for GPT-4.", "$80", "other"),
        ("The bill came to $80 million in total.", "$80", None),
    ],
)
def test_a_figure_belongs_to_the_subject_named_last_before_it(sentence: str, figure: str, owner: str) -> None:
    assert owner_of(sentence, figure) == owner


@pytest.mark.parametrize(
    ("sentence", "name", "compared"),
    [
        ("V3 的推理价格比 o1 便宜得多。", "o1", True),
        ("R1 answers faster than OpenAI's o1 on our tests.", "o1", True),
        ("在数学题上 R1 与 o1 的得分相当。", "o1", True),
        ("它的训练花费仅为 GPT-4 的一小部分。", "GPT-4", True),
        ("OpenAI 周一发布了 o3-mini。", "OpenAI", False),
        ("比如 OpenAI 也在准备新模型。", "OpenAI", False),
        ("R1 and o1 were both tested by the lab.", "o1", False),
    ],
)
def test_a_name_after_a_comparison_marker_is_only_compared_with(
    sentence: str, name: str, compared: bool
) -> None:
    start = sentence.index(name)
    assert comparison_object(sentence, start, start + len(name)) is compared


def test_names_subject_ignores_comparison_objects_only() -> None:
    assert not names_subject(OTHERS, "R1 is far cheaper than o1.")
    assert names_subject(OTHERS, "R1 is far cheaper than o1, and OpenAI plans to cut prices.")


@pytest.mark.parametrize(
    ("word", "forms"),
    [
        ("cost", {"cost", "costs", "costing"}),
        ("costs", {"cost", "costs", "costing"}),
        ("ban", {"ban", "bans", "banned", "banning"}),
        ("rivals", {"rival", "rivals", "rivaled", "rivaling"}),
        ("subsidy", {"subsidy", "subsidies"}),
        ("release", {"release", "releases", "released", "releasing"}),
    ],
)
def test_english_words_match_their_regular_inflections(word: str, forms: set[str]) -> None:
    assert forms <= set(english_forms(word))


def test_inflection_leaves_participles_names_and_look_alikes_as_written() -> None:
    assert english_forms("forced") == ["forced"]  # "force" means something else
    assert english_forms("news") == ["news"]
    assert english_forms("OpenAI") == ["OpenAI"]
    group = compile_terms(("cut prices", "closed source", "subsidy"))
    assert group.search("They cut the price of the API.") is None
    assert group.search("a cut price") is not None
    assert group.search("two closed-source models") is not None
    assert group.search("new subsidies for chips") is not None
    assert group.search("subsidyx") is None


def test_chinese_compounds_match_with_a_few_characters_between_their_words() -> None:
    group = compile_terms(("训练成本", "出口管制"))
    assert group.search("它训练的成本很低") is not None
    assert group.search("出口到欧洲的芯片也受到管制") is None  # too far apart
    assert group.search("美国的出口芯片管制") is not None
    assert group.search("訓練的成本") is not None  # traditional script too
    assert group.search("训练了很久，成本很低") is None
