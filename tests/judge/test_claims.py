"""Claim matching: the seed's claims found in Chinese and English sentences, with stance and evidence.

Sentences are our own, written for these tests; the claims file is the project's real one, plus small
files written here for the loading errors.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from crawler.config import PROJECT_ROOT
from crawler.judge.claims import ClaimSet, ClaimsFileError, load_claim_set, parse_claim_set
from crawler.judge.types import ClaimMatcher

SEED = PROJECT_ROOT / "seeds" / "deepseek-stargate"
REFERENCE_IDS = [
    "r1-release-jan20",
    "stargate-signed-jan21",
    "stargate-500b",
    "cnbc-leapfrogged",
    "nadella-take-seriously",
    "zuckerberg-needs-help",
    "quant-fund-origin",
    "young-domestic-team",
    "closed-source-camp",
    "openai-closed-source",
    "musk-data-exhausted",
    "gpt5-delayed-data",
    "r1-2000-gpus",
    "under-6m-cost",
    "china-price-cuts",
    "openai-price-cut-coming",
    "r1-open-low-cost",
    "liang-state-council",
    "r1-matches-openai",
    "nvidia-threatened",
    "sanctions-forced-innovation",
    "domestic-gpus-viable",
]


@pytest.fixture(scope="module")
def claims() -> ClaimSet:
    return load_claim_set(SEED)


def stances(claim_set: ClaimSet, title: str, text: str) -> dict[str, str]:
    return {m.claim_id: m.stance for m in claim_set.match(title, text, "")}


def test_the_seed_covers_every_reference_claim_and_is_a_matcher(claims: ClaimSet) -> None:
    assert [c.id for c in claims.claims] == REFERENCE_IDS
    assert all({"zh", "en"} <= set(c.text) for c in claims.claims)
    assert claims.seed == "deepseek-stargate" and not claims.draft
    matcher: ClaimMatcher = claims
    assert matcher.match("", "", "en") == []


@pytest.mark.parametrize(
    ("claim_id", "sentence", "stance"),
    [
        # numbers across languages and units
        (
            "under-6m-cost",
            "The startup says training its V3 model cost just $5.6 million in GPU time.",
            "supports",
        ),
        ("under-6m-cost", "深度求索称，V3 模型的训练成本仅为 558 万美元。", "supports"),
        (
            "under-6m-cost",
            "Analysts reckon DeepSeek has spent well over $1 billion on hardware to train it.",
            "disputes",
        ),
        (
            "under-6m-cost",
            "DeepSeek 的训练成本为 557.6 万美元，但这一数字不包括前期研究和消融实验的开支。",
            "disputes",
        ),
        (
            "under-6m-cost",
            "That $6m figure for DeepSeek excludes research, salaries and the hardware itself.",
            "disputes",
        ),
        ("r1-2000-gpus", "DeepSeek trained its model on a cluster of 2,048 Nvidia H800 chips.", "supports"),
        ("r1-2000-gpus", "据称 DeepSeek 只用了约两千块 H800 显卡。", "supports"),
        ("r1-2000-gpus", "One research firm estimates DeepSeek actually has 50,000 H100 GPUs.", "disputes"),
        ("r1-2000-gpus", "有分析机构估计，DeepSeek 手里其实有 5 万张 H100。", "disputes"),
        (
            "stargate-500b",
            "SoftBank and OpenAI pledged up to US$500 billion for Stargate over four years.",
            "supports",
        ),
        ("stargate-500b", "软银与 OpenAI 承诺为星际之门投入 5000 亿美元。", "supports"),
        ("stargate-500b", "Elon Musk said the Stargate backers don't actually have the money.", "disputes"),
        ("stargate-500b", "星际之门首期将立即投入 1000 亿美元用于建设数据中心。", "mentions"),
        ("r1-release-jan20", "DeepSeek released its R1 reasoning model on January 20, 2025.", "supports"),
        ("r1-release-jan20", "1月20日，深度求索正式发布推理模型 DeepSeek-R1。", "supports"),
        (
            "stargate-signed-jan21",
            "On January 21 President Trump announced Stargate at the White House.",
            "supports",
        ),
        (
            "stargate-signed-jan21",
            "星际之门其实是一家私人合资企业，并非政府项目，特朗普只是站台宣布。",
            "disputes",
        ),
        # general phrasings, written from the claims' wording
        # "no plans to" negates what follows
        ("openai-price-cut-coming", "Altman said OpenAI has no plans to lower its prices.", "disputes"),
        ("openai-price-cut-coming", "OpenAI plans to lower its prices, Altman said.", "supports"),
        # the opposite of the claim's own reason: more demand for chips
        ("nvidia-threatened", "Nvidia said DeepSeek's success would increase demand for chips.", "disputes"),
        ("nvidia-threatened", "英伟达表示，DeepSeek的成功将带来更多对其芯片的需求。", "disputes"),
        # a spending figure in Chinese (投入) is a cost
        ("under-6m-cost", "SemiAnalysis估计，DeepSeek的硬件投入超过5亿美元。", "disputes"),
        # "outperformed o1 on a test" is performance
        ("r1-matches-openai", "DeepSeek R1 outperformed o1 on the AIME math test.", "supports"),
        # a model kept closed
        ("openai-closed-source", "OpenAI keeps the weights of its frontier models closed.", "supports"),
        ("domestic-gpus-viable", "Huawei's Ascend chips can now run DeepSeek R1.", "supports"),
        ("r1-matches-openai", "DeepSeek-R1的推理能力已达到OpenAI o1的水平。", "supports"),
        ("r1-matches-openai", "DeepSeek R1 rivals the best American models.", "supports"),
        ("r1-open-low-cost", "DeepSeek公开了R1的模型权重，任何人都可以下载使用。", "supports"),
        ("r1-2000-gpus", "据估计，DeepSeek实际拥有的GPU数量远超2000块。", "disputes"),
        ("openai-closed-source", "OpenAI的GPT系列模型至今没有开源。", "supports"),
        (
            "openai-closed-source",
            "OpenAI has not released the weights of its models since GPT-2.",
            "supports",
        ),
        (
            "sanctions-forced-innovation",
            "Cut off from Nvidia's best chips, DeepSeek had to squeeze more out of less.",
            "supports",
        ),
        # words
        (
            "r1-matches-openai",
            "DeepSeek says R1 performs on par with OpenAI's o1 on maths and coding.",
            "supports",
        ),
        ("r1-matches-openai", "测试显示，DeepSeek-R1 在数学推理上的表现与 OpenAI o1 不相上下。", "supports"),
        ("r1-matches-openai", "不过在复杂任务上，DeepSeek 的表现仍不如 OpenAI 的 o1。", "disputes"),
        (
            "quant-fund-origin",
            "DeepSeek grew out of High-Flyer, a quantitative hedge fund in Hangzhou.",
            "supports",
        ),
        ("quant-fund-origin", "深度求索由量化基金幻方孵化。", "supports"),
        (
            "nvidia-threatened",
            "Nvidia shares plunged 17% as investors digested the DeepSeek news.",
            "supports",
        ),
        ("nvidia-threatened", "DeepSeek 发布后，英伟达股价单日暴跌。", "supports"),
        (
            "nvidia-threatened",
            "Analysts called the Nvidia sell-off overblown, citing Jevons paradox.",
            "disputes",
        ),
        ("nvidia-threatened", "随后英伟达股价强势反弹，收复了大部分失地。", "disputes"),
        ("r1-open-low-cost", "DeepSeek released R1 as open source under the MIT license.", "supports"),
        ("r1-open-low-cost", "DeepSeek 只开源了模型权重，训练数据并没有公开。", "disputes"),
        (
            "openai-closed-source",
            "Altman admitted OpenAI had been on the wrong side of history on open source.",
            "supports",
        ),
        ("r1-2000-gpus", "DeepSeek relied on less advanced chips than its American rivals.", "mentions"),
    ],
)
def test_each_stance_in_chinese_and_english(
    claims: ClaimSet, claim_id: str, sentence: str, stance: str
) -> None:
    assert claims.judge_sentence(claim_id, sentence) == stance


def test_an_article_gets_each_claim_once_with_the_verbatim_sentence_as_evidence(claims: ClaimSet) -> None:
    title = "What DeepSeek's cheap model means"
    text = (
        "DeepSeek, the Chinese lab, says its V3 model cost $5.58 million to train.\n"
        "Critics note that the figure leaves out research and the hardware, so the true cost is far higher.\n"
        "The company also made R1 open source."
    )
    found = {m.claim_id: m for m in claims.match(title, text, "en")}
    assert found["under-6m-cost"].stance == "disputes"
    assert found["under-6m-cost"].evidence in text
    assert found["r1-open-low-cost"].stance == "supports"
    assert all(0.0 <= m.score <= 1.0 and m.seed == "deepseek-stargate" for m in found.values())


def test_a_sentence_about_another_company_is_not_evidence(claims: ClaimSet) -> None:
    text = (
        "DeepSeek is in the news this week.\nOpenAI trained GPT-4 on 25,000 GPUs at a cost of $100 million."
    )
    assert stances(claims, "DeepSeek news", text).get("r1-2000-gpus") is None
    assert stances(claims, "DeepSeek news", text).get("under-6m-cost") is None


def test_claims_need_their_subject_in_the_article(claims: ClaimSet) -> None:
    assert stances(claims, "Chip stocks", "Nvidia shares plunged 17% on Monday.") == {
        "nvidia-threatened": "supports"
    }
    assert "r1-2000-gpus" not in stances(claims, "A cluster", "The lab bought 2,048 H800 chips last year.")


def test_doubt_about_something_else_does_not_dispute(claims: ClaimSet) -> None:
    sentence = "投资者开始质疑美国科技巨头的巨额开支，而 DeepSeek 以很低的训练成本完成了开发。"
    assert claims.judge_sentence("under-6m-cost", sentence) == "mentions"


def test_traditional_chinese_matches_simplified_terms(claims: ClaimSet) -> None:
    assert claims.judge_sentence("stargate-500b", "軟銀將為星際之門投資5,000億美元。") == "supports"


def test_covers_tells_seed_sentences_from_new_ones(claims: ClaimSet) -> None:
    assert claims.covers("DeepSeek trained the model on about 2,000 H800 GPUs.")
    assert not claims.covers("The weather in Hangzhou was mild on Tuesday.")


def test_scores_below_the_minimum_are_dropped() -> None:
    strict = load_claim_set(SEED, min_score=0.95)
    assert strict.match("DeepSeek", "DeepSeek trained its model on 2,048 H800 chips.", "en") == []


GOOD = """
seed: demo
terms:
  lab: [DeepSeek]
claims:
  - id: one
    claim: {en: One claim.}
    about: [lab]
    asserts: [[lab, [cheap]]]
"""


def test_a_small_claims_file_loads(tmp_path: Path) -> None:
    (tmp_path / "claims.yaml").write_text(GOOD, encoding="utf-8")
    claim_set = load_claim_set(tmp_path)
    assert claim_set.judge_sentence("one", "DeepSeek is cheap.") == "supports"


@pytest.mark.parametrize(
    ("broken", "message"),
    [
        (GOOD.replace("id: one", "id: One Claim"), "claim 'One Claim': field 'id'"),
        (GOOD.replace("claim: {en: One claim.}", "claim: {}"), "claim 'one': field 'claim'"),
        (GOOD.replace("asserts: [[lab, [cheap]]]", "asserts: [lab]"), "claim 'one': field 'asserts[0]'"),
        (GOOD.replace("asserts: [[lab, [cheap]]]", "asserts: []"), "claim 'one': field 'asserts'"),
        (GOOD.replace("    asserts:", "    colour: red\n    asserts:"), "claim 'one': field 'colour'"),
        (GOOD.replace("[cheap]", "['re:(unclosed']"), "bad regular expression"),
        (GOOD + "    quantities: [{kind: weight, value: 3}]\n", "field 'quantities[0].kind'"),
        (GOOD + "    quantities: [{kind: money, value: lots, unit: USD}]\n", "field 'quantities[0].value'"),
        (GOOD + "    quantities: [{kind: money, value: 5, unit: dollars}]\n", "field 'quantities[0].unit'"),
        (GOOD + "    quantities: [{kind: date, value: 2025-13-40}]\n", "field 'quantities[0].value'"),
        (GOOD + "  - id: one\n    claim: again\n    asserts: [[lab]]\n", "used twice"),
        (GOOD.replace("seed: demo", ""), "field 'seed'"),
        ("claims: [\n", "not valid YAML"),
    ],
)
def test_claims_file_errors_name_the_file_the_claim_and_the_field(
    tmp_path: Path, broken: str, message: str
) -> None:
    path = tmp_path / "claims.yaml"
    path.write_text(broken, encoding="utf-8")
    with pytest.raises(ClaimsFileError) as caught:
        load_claim_set(path)
    assert str(path) in str(caught.value)
    assert message in str(caught.value)


def test_a_missing_claims_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ClaimsFileError, match="cannot read the claims file"):
        load_claim_set(tmp_path / "nowhere")


def test_words_that_yaml_would_read_as_booleans_or_numbers_stay_words() -> None:
    claim_set = parse_claim_set(
        "seed: s\nclaims:\n  - id: a\n    claim: x\n    asserts: [[[no, on, 2048]]]\n", "inline"
    )
    assert claim_set.judge_sentence("a", "There is no way.") == "supports"
    assert claim_set.judge_sentence("a", "They bought 2048 of them.") == "supports"


@pytest.mark.parametrize(
    ("claim_id", "sentence", "stance"),
    [
        # negation that belongs to the claim's own content is not a dispute ...
        ("openai-closed-source", "OpenAI 选择不开放权重，坚持闭源路线。", "supports"),
        ("openai-closed-source", "OpenAI 依然没有开放权重。", "supports"),
        ("openai-closed-source", "OpenAI 宣布开源了一个新模型。", "disputes"),
        # ... while a negated assertion is one
        ("r1-matches-openai", "On hard coding tasks R1 is not on par with OpenAI's o1.", "disputes"),
        ("r1-matches-openai", "在编程任务上，R1 与 OpenAI o1 的水平并不相当。", "disputes"),
        # affirmations that contain a word of doubt
        ("r1-open-low-cost", "毫无疑问，DeepSeek R1 是开源的。", "supports"),
        ("r1-open-low-cost", "There is no doubt that DeepSeek released R1 as open source.", "supports"),
        # rumour framing and rejection
        ("under-6m-cost", "所谓 DeepSeek 训练只花了 600 万美元的说法是谣言。", "disputes"),
        ("under-6m-cost", "The claim that DeepSeek's model cost under $6 million is misleading.", "disputes"),
        # an assertion put as a question only mentions the claim
        ("r1-matches-openai", "DeepSeek R1 真的能媲美 OpenAI 的 o1 吗？", "mentions"),
    ],
)
def test_stance_follows_the_sentences_polarity(
    claims: ClaimSet, claim_id: str, sentence: str, stance: str
) -> None:
    assert claims.judge_sentence(claim_id, sentence) == stance


DEBUNK_BODY = (
    "DeepSeek said training its V3 model cost $5.6 million in GPU time.\n\n"
    "That figure covers only the final training run; research, ablations, staff and hardware are left out."
)
REPORT_BODY = (
    "DeepSeek said training its V3 model cost $5.6 million in GPU time, a fraction of its rivals' budgets."
)


def test_a_debunking_article_disputes_the_claim_it_debunks(claims: ClaimSet) -> None:
    title = "Fact check: did DeepSeek's model really cost under $6 million to train?"
    debunk = stances(claims, title, REPORT_BODY)
    report = stances(claims, "DeepSeek trains a frontier model for $6 million", REPORT_BODY)
    assert debunk["under-6m-cost"] == "disputes"
    assert report["under-6m-cost"] == "supports"
    assert stances(claims, "DeepSeek's real costs", DEBUNK_BODY)["under-6m-cost"] == "disputes"


def test_a_debunk_of_one_claim_leaves_the_others_alone(claims: ClaimSet) -> None:
    body = "DeepSeek released R1 on January 20 as open source under the MIT license. " + REPORT_BODY
    found = stances(claims, "Fact check: the $6 million myth of DeepSeek's training cost", body)
    assert found["under-6m-cost"] == "disputes"
    assert found["r1-open-low-cost"] == "supports"


def test_a_sentence_that_refers_back_to_its_subject_counts(claims: ClaimSet) -> None:
    text = "DeepSeek released R1 this week.\n\nThe model is open source and free to download."
    assert stances(claims, "A new model", text)["r1-open-low-cost"] == "supports"


def test_candidate_finders_get_the_language_and_extend_the_rules() -> None:
    seen: list[tuple[str, str]] = []

    def finder(claim, sentences, lang):  # type: ignore[no-untyped-def]
        seen.append((claim.id, lang))
        return [(i, 0.6) for i, s in enumerate(sentences) if "parity" in s]

    claim_set = parse_claim_set(GOOD, finders=[finder])
    text = "DeepSeek is cheap.\n\nSome say it reached parity."
    assert claim_set.match("DeepSeek", text, "en") == [
        m for m in claim_set.match("DeepSeek", text, "en") if m.claim_id == "one"
    ]
    assert ("one", "en") in seen
    plain = parse_claim_set(GOOD)
    assert plain.match("DeepSeek", "Some say it reached parity.", "en") == []
    extended = claim_set.match("DeepSeek", "Some say it reached parity.", "en")
    assert [(m.claim_id, m.stance, m.evidence) for m in extended] == [
        ("one", "mentions", "Some say it reached parity.")
    ]


def test_a_rate_is_not_a_total(claims: ClaimSet) -> None:
    assert claims.judge_sentence("under-6m-cost", "Training DeepSeek V3 cost $10 million.") == "disputes"
    monthly = "Running DeepSeek's servers costs $10 million a month."
    assert claims.judge_sentence("under-6m-cost", monthly) is None
    assert claims.judge_sentence("under-6m-cost", "DeepSeek charges $2 per million tokens.") is None


@pytest.mark.parametrize(
    ("claim_id", "sentence", "stance"),
    [
        # a figure contradicts the claim when it is the subject's, whoever else the sentence names
        (
            "under-6m-cost",
            "分析称 DeepSeek 的 V3 实际花费超过 10 亿美元，远非 OpenAI 所说的那样。",
            "disputes",
        ),
        (
            "under-6m-cost",
            "Analysts think DeepSeek's R1 cost over $1 billion, while o1 cost even more.",
            "disputes",
        ),
        ("under-6m-cost", "DeepSeek 很便宜，而 Meta 的 Llama 训练花了 1 亿美元。", None),
        # "与 X … 相当" compares; "并不相当" still disputes
        ("r1-matches-openai", "测试显示 DeepSeek R1 与 OpenAI 最新模型的推理能力相当。", "supports"),
        ("r1-matches-openai", "测试显示 DeepSeek R1 与 OpenAI 最新模型的推理能力并不相当。", "disputes"),
        # a price comparison says nothing of how R1 performs
        (
            "r1-matches-openai",
            "DeepSeek R1 每百万 token 收费 2 美元，OpenAI o1 收费 60 美元，差距约 30 倍。",
            None,
        ),
        ("r1-matches-openai", "On price, DeepSeek charges $2 where o1 charges $60, a wide gap.", None),
        # Nvidia's shares rising disputes that R1 is a blow to it
        (
            "nvidia-threatened",
            "A week later Nvidia's shares rallied and regained most of the loss.",
            "disputes",
        ),
        ("nvidia-threatened", "一周后英伟达股价大涨，收复大部分失地。", "disputes"),
        # "not X but Y" rejects X
        (
            "sanctions-forced-innovation",
            "DeepSeek 的这些优化并不是出口管制逼出来的，而是团队主动的选择。",
            "disputes",
        ),
        # a doubt that refers back to several quoted descriptions covers them all
        ("nvidia-threatened", "“英伟达股价将暴跌”，“硅谷迎来末日”，这些说法都言过其实。", "disputes"),
        # the claim's own wording: attended a State Council symposium
        ("liang-state-council", "1月20日，DeepSeek 创办人参加了总理主持的座谈会。", "supports"),
    ],
)
def test_structure_decides_whose_figure_and_which_stance(
    claims: ClaimSet, claim_id: str, sentence: str, stance: str | None
) -> None:
    assert claims.judge_sentence(claim_id, sentence) == stance


def test_a_sentence_opening_with_this_is_refers_back() -> None:
    claim_set = load_claim_set(SEED)
    text = "DeepSeek 上周发布了新模型。\n这是一款开源模型，训练成本只有同行的一小部分。"
    assert stances(claim_set, "", text).get("under-6m-cost") == "mentions"


@pytest.mark.parametrize(
    ("claim_id", "sentence", "stance"),
    [
        # a versioned product other than the subject, in a sentence that does not name the subject
        ("r1-matches-openai", "测试中，Qwen2.5-Max 的表现优于 GPT-4o。", None),
        # a sentence that turns away from the paragraph's subject
        ("r1-open-low-cost", "相比之下，美国的同类模型大多没有开源。", None),
        # a comparison of traffic says nothing of how R1 performs
        ("r1-matches-openai", "DeepSeek 的日访问量仍远不及 ChatGPT 的 1.5 亿次。", None),
        # split price-cut expressions
        ("openai-price-cut-coming", "OpenAI 下调了 o1 的 API 价格。", "supports"),
        ("openai-price-cut-coming", "OpenAI will cut the API prices of o1 next month.", "supports"),
    ],
)
def test_sentences_about_something_else_are_no_evidence(
    claims: ClaimSet, claim_id: str, sentence: str, stance: str | None
) -> None:
    text = f"DeepSeek R1 发布了。{sentence}"  # one paragraph: its subject is named before
    assert stances(claims, "", text).get(claim_id) == stance


@pytest.mark.parametrize(
    ("sentence", "stance"),
    [
        ("DeepSeek 的发布引发了市场对美国出口政策的质疑，英伟达股价随后暴跌。", "supports"),
        ("Investors voiced doubts about Big Tech's spending plans as Nvidia shares plunged.", "supports"),
        ("分析师对英伟达股价将持续暴跌的判断提出质疑。", "disputes"),
    ],
)
def test_a_doubt_that_names_its_object_bears_on_that_object_only(
    claims: ClaimSet, sentence: str, stance: str
) -> None:
    assert claims.judge_sentence("nvidia-threatened", sentence) == stance


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # quoted to be rejected: the sentence after it answers it
        (
            "Posts this week said DeepSeek trained R1 for under $6 million. That's not what happened.",
            "disputes",
        ),
        ("有文章说 DeepSeek 训练 R1 只花了不到 600 万美元。事实并非如此。", "disputes"),
        ("有文章说 DeepSeek 训练 R1 只花了不到 600 万美元。我们没有找到任何公开记录。", "disputes"),
        # the same report, answered by something else
        (
            "Posts this week said DeepSeek trained R1 for under $6 million. That is what the paper says.",
            "supports",
        ),
        ("DeepSeek trained R1 for under $6 million. This is not the first cheap model.", "supports"),
        ("DeepSeek trained R1 for under $6 million. That is not the case for its rivals.", "supports"),
        ("有文章说 DeepSeek 训练 R1 只花了不到 600 万美元。这不是第一次。", "supports"),
    ],
)
def test_a_claim_quoted_and_then_rejected_is_disputed(claims: ClaimSet, text: str, expected: str) -> None:
    assert stances(claims, "", text)["under-6m-cost"] == expected


def test_a_rejection_in_the_next_paragraph_does_not_reach_back(claims: ClaimSet) -> None:
    text = (
        "DeepSeek trained R1 for under $6 million.\n\nThat's not what happened with OpenAI's rival, though."
    )
    assert stances(claims, "", text)["under-6m-cost"] == "supports"


def test_a_doubt_clause_without_a_subject_bears_on_the_clause_before(claims: ClaimSet) -> None:
    assert claims.judge_sentence("sanctions-forced-innovation", "DeepSeek 被制裁逼出来的创新。") == "supports"
    doubted = "所谓 DeepSeek “被制裁逼出来的创新”，其实是一种误读。"
    assert claims.judge_sentence("sanctions-forced-innovation", doubted) == "disputes"
    elsewhere = "所谓 DeepSeek “被制裁逼出来的创新”，分析师谈到另一种误读。"  # the clause has its own subject
    assert claims.judge_sentence("sanctions-forced-innovation", elsewhere) == "supports"


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("Stargate will deploy $100 billion immediately, the companies said.", None),
        ("Stargate will invest an initial $100 billion.", "mentions"),
        ("“星际之门”首期投资1000亿美元。", "mentions"),
        ("“星际之门”项目总投资1000亿美元。", "disputes"),  # a total: it contradicts the claim's $500bn
    ],
)
def test_a_first_part_of_an_amount_does_not_contradict_the_total(
    claims: ClaimSet, sentence: str, expected: str | None
) -> None:
    assert claims.judge_sentence("stargate-500b", sentence) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # the day of an event an earlier sentence dates
        (
            "梁文锋 2025 年 1 月 20 日出席了一场专家座谈会。他谈到了国产大模型。\n\n"
            "座谈会当天，DeepSeek 发布了 R1 模型。",
            "supports",
        ),
        ("On 20 January 2025 Liang met the premier. That same day, DeepSeek released R1.", "supports"),
        ("Liang met the premier on January 20, 2025. On that day DeepSeek released R1.", "supports"),
        # a day of something no earlier sentence dates, or a date that is not the sentence just before
        ("座谈会当天，DeepSeek 发布了 R1 模型。", None),
        (
            "On 20 January 2025 Liang met the premier. Analysts wrote about it. "
            "That day, DeepSeek released R1.",
            None,
        ),
        # the date it refers to is not the claim's (a release date is not disputed by another date)
        ("On 27 January 2025 Nvidia's shares fell. That day, DeepSeek released R1.", None),
    ],
)
def test_that_day_takes_the_date_it_refers_to(claims: ClaimSet, text: str, expected: str | None) -> None:
    assert stances(claims, "", text).get("r1-release-jan20") == expected


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        # reporting the figure, whatever it is called, is no correction of it
        ("The total cost of training DeepSeek V3 was $5.6 million.", "supports"),
        ("DeepSeek V3 的总成本为 557.6 万美元。", "supports"),
        ("DeepSeek 表示，V3 最终训练的成本为 557.6 万美元。", "supports"),
        # saying it covers no more than one run is
        ("DeepSeek's $5.6 million figure covers only the final training run.", "disputes"),
        ("DeepSeek 的 557.6 万美元仅为最终训练的成本。", "disputes"),
        ("The real cost of DeepSeek's model is far higher.", "disputes"),
        # a rate, a valuation or a funding round is no training cost
        ("DeepSeek 的总成本为 $87,072/天。", None),
        ("DeepSeek 只能定向融资，估值已经达到 80 亿美元。", None),
        ("DeepSeek is valued at $8 billion after only two years.", None),
    ],
)
def test_a_cost_figure_is_corrected_only_by_what_corrects_it(
    claims: ClaimSet, sentence: str, expected: str | None
) -> None:
    assert claims.judge_sentence("under-6m-cost", sentence) == expected


def test_a_ban_that_forces_something_else_is_no_chip_sanction_forcing_innovation(claims: ClaimSet) -> None:
    text = (
        "Several states have banned DeepSeek on government phones. The moves echo the restrictions on "
        "TikTok, which ended with a law forcing its sale."
    )
    assert "sanctions-forced-innovation" not in stances(claims, "", text)
    forced = "Several states have banned DeepSeek. US export restrictions forced DeepSeek to innovate."
    assert stances(claims, "", forced)["sanctions-forced-innovation"] == "supports"


def test_a_quote_of_which_no_record_is_found_is_disputed(claims: ClaimSet) -> None:
    circulated = (
        "近期网上流传一段“扎克伯格称双方差距很小、美国需要政府帮助”的所谓语录，"
        "在公开场合中均找不到对应的原话。"
    )
    assert claims.judge_sentence("zuckerberg-needs-help", circulated) == "disputes"
    said = "扎克伯格在电话会上称，双方差距很小，美国需要政府帮助。"
    assert claims.judge_sentence("zuckerberg-needs-help", said) == "supports"
