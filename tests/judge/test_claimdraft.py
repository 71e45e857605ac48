"""Drafting the claims of a new seed: check-worthy sentences proposed, the draft loads and says it is one."""

from __future__ import annotations

from crawler.judge.claimdraft import assess, propose_claims, render_draft
from crawler.judge.claims import parse_claim_set

ENGLISH = (
    "The mayor opened the new bridge on Tuesday.\n"
    "Acme Robotics said on 3 March 2025 that it had raised $120 million from Northwind Capital.\n"
    "It was a sunny day and people were happy.\n"
    '"We will double production by next year," chief executive Maria Lopez told reporters.\n'
    "Some people walked across it."
)
CHINESE = (
    "今天天气很好，大家都很开心。\n"
    "据新华社报道，华为公司3月5日宣布，其新芯片的产量将提高30%。\n"
    "小区里的花开了。\n"
    "张伟表示：“这款产品售价为4999元，比上一代便宜了一千元。”"
)


def test_sentences_with_figures_names_quotes_and_attributions_are_proposed() -> None:
    proposed = [d.sentence for d in propose_claims(ENGLISH)]
    assert any("$120 million" in s for s in proposed)
    assert any("Maria Lopez" in s for s in proposed)
    assert not any("sunny day" in s or "walked across" in s for s in proposed)


def test_chinese_sentences_are_proposed_with_their_names_and_figures() -> None:
    proposed = propose_claims(CHINESE, "zh")
    sentences = [d.sentence for d in proposed]
    assert any("华为" in s for s in sentences) and any("4999元" in s for s in sentences)
    assert not any("天气" in s or "花开" in s for s in sentences)
    huawei = next(d for d in proposed if "华为" in d.sentence)
    assert "华为公司" in huawei.names
    assert {"figures", "names", "attribution"} <= set(huawei.reasons)
    assert [q.unit for q in huawei.quantities if q.kind == "percent"] == ["%"]


def test_assess_explains_what_makes_a_sentence_check_worthy() -> None:
    draft = assess("Acme Robotics said it had raised $120 million.", "en")
    assert "figures" in draft.reasons and "attribution" in draft.reasons
    assert "Acme Robotics" in draft.names
    assert [(q.kind, q.value, q.unit) for q in draft.quantities] == [("money", 1.2e8, "USD")]
    assert assess("It was a sunny day.", "en").reasons == ()


def test_the_draft_is_marked_and_loads_as_a_claim_set() -> None:
    proposed = propose_claims(ENGLISH)
    text = render_draft("acme-bridge", "en", proposed, "article.txt", year=2025)
    assert text.startswith("# DRAFT")
    claim_set = parse_claim_set(text, "draft")
    assert claim_set.draft and claim_set.seed == "acme-bridge"
    assert len(claim_set) == len(proposed)
    funding = next(c for c in claim_set.claims if "$120 million" in c.text["en"])
    assert [(s.quantity.kind, s.quantity.value) for s in funding.quantities][:1] == [("date", 20250303.0)]
    assert any(s.quantity.kind == "money" and s.quantity.value == 1.2e8 for s in funding.quantities)


def test_a_chinese_draft_loads_and_finds_its_own_sentence() -> None:
    proposed = propose_claims(CHINESE, "zh")
    claim_set = parse_claim_set(render_draft("huawei-chip", "zh", proposed, "a.txt", year=2025), "draft")
    matches = claim_set.match("", CHINESE, "zh")
    assert matches and all(m.evidence in CHINESE for m in matches)
