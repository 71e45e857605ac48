"""The claims-file audit: words that occur in coverage must come from the seed, the claims' wording or the
reviewed general list."""

from __future__ import annotations

from pathlib import Path

import yaml

from benchmarks.claims_audit import GENERAL, SEED, audit, claims_file_words, general_words, run

CLAIMS = {
    "seed": "demo",
    "terms": {"lab": ["DeepSeek", "深度求索"], "cheap": ["便宜", "dirt cheap as chips"]},
    "claims": [
        {
            "id": "one",
            "claim": {"en": "The lab's model is cheap.", "zh": "模型很便宜。"},
            "about": ["lab"],
            "asserts": [["lab", "cheap"]],
            "disputes": [["lab", ["不得已而为之", "overhyped"]]],
        }
    ],
}


def test_a_word_from_an_article_is_flagged_and_general_words_are_not() -> None:
    used = claims_file_words(CLAIMS)
    assert set(used) == {"DeepSeek", "深度求索", "便宜", "dirt cheap as chips", "不得已而为之", "overhyped"}
    articles = ["深度求索的模型……这是不得已而为之。", "DeepSeek is dirt cheap as chips, one columnist wrote."]
    evidence = ["这是不得已而为之"]
    general = {"overhyped": "doubt_and_dispute", "深度求索": "names"}
    wording = "The lab's model is cheap. 模型很便宜。"
    found = audit(used, "DeepSeek 发布了模型", wording, general, articles, evidence)
    results = {r.word: r for r in found}
    assert results["DeepSeek"].source == "seed" and not results["DeepSeek"].flagged
    assert results["便宜"].source == "wording" and not results["便宜"].flagged
    assert results["深度求索"].source == "names" and not results["深度求索"].flagged
    assert results["不得已而为之"].flagged and results["不得已而为之"].suspect
    assert results["dirt cheap as chips"].flagged and not results["dirt cheap as chips"].in_evidence
    assert not results["overhyped"].flagged  # general, and not in the corpus anyway
    assert results["overhyped"].articles == 0


def test_the_reviewed_list_has_kinds_of_words() -> None:
    kinds = general_words(yaml.safe_load(GENERAL.read_text(encoding="utf-8")))
    assert {"names", "doubt_and_dispute", "claim_vocabulary"} <= set(kinds.values())


def test_the_seed_claims_file_has_no_unexplained_word(shared_corpus: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert run(SEED / "claims.yaml") == 0, capsys.readouterr().out
