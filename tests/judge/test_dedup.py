"""Exact copies, near copies, outlet boilerplate and translations, as the `Judge` reports them."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from crawler.config import PROJECT_ROOT, JudgeSettings
from crawler.judge.core import Judge
from crawler.judge.dedup import NearDuplicateIndex, OutletLines, line_hash
from crawler.judge.lsh import BandIndex
from crawler.judge.minhash import Signature, SignatureError, signature
from crawler.judge.types import Judgement, StoredArticle
from tests.judge.samples import (
    FOOTER,
    ITALY,
    ITALY_TITLE,
    KOREA,
    KOREA_TITLE,
    MARKET_ZH,
    MARKET_ZH_TITLE,
    R1_EN,
    R1_EN_TITLE,
    R1_ZH,
    R1_ZH_TITLE,
    doc,
)


def judge_in_order(
    docs: list[StoredArticle], settings: JudgeSettings | None = None
) -> tuple[Judge, list[Judgement]]:
    """Assess and index each article in turn, as the pipeline does; new stories get ids from 1000."""
    judge = Judge(settings or JudgeSettings())
    out = []
    for number, item in enumerate(docs):
        judgement = judge.assess(item)
        story = judgement.story if judgement.story is not None or not item.relevant else 1000 + number
        judge.index(item, judgement, story)
        out.append(judgement)
    return judge, out


def test_exact_copy_differs_only_in_spacing_and_punctuation() -> None:
    copy = ITALY.replace(", ", " , ").replace("\n", "\n\n").upper()
    _, (first, second) = judge_in_order([doc(1, ITALY, ITALY_TITLE), doc(2, copy, "Copied", outlet="other")])
    assert first.duplicate is None
    assert second.duplicate is not None
    assert (second.duplicate.of, second.duplicate.kind, second.duplicate.score) == (1, "exact", 1.0)
    assert second.duplicate.reason == "same text as #1 after normalisation"
    assert first.content_hash == second.content_hash


def test_empty_pages_are_not_copies_of_each_other() -> None:
    _, judgements = judge_in_order(
        [doc(1, "", "Failed page"), doc(2, "  \n ", "Another failed page", outlet="o")]
    )
    assert [j.duplicate for j in judgements] == [None, None]


def test_near_copy_with_an_added_intro_and_one_with_a_dropped_paragraph() -> None:
    intro = "Editor's note: this report was first published by our partner agency and is reproduced in full."
    dropped = "\n".join(line for n, line in enumerate(ITALY.splitlines()) if n != 3)
    _, judgements = judge_in_order(
        [
            doc(1, ITALY, ITALY_TITLE, outlet="wire"),
            doc(2, intro + "\n" + ITALY, "Italy blocks DeepSeek", outlet="paper"),
            doc(3, dropped, "Italy blocks DeepSeek app", outlet="blog"),
        ]
    )
    for judgement in judgements[1:]:
        assert judgement.duplicate is not None
        assert (judgement.duplicate.of, judgement.duplicate.kind) == (1, "near")
        assert "shingles shared with #" in judgement.duplicate.reason
        assert judgement.duplicate.score >= 0.7


def test_copy_of_a_copy_points_at_the_first_seen_article() -> None:
    second = "Reported by our correspondent.\n" + ITALY
    third = second + "\nThe authority's full decision is available on its website."
    _, judgements = judge_in_order(
        [
            doc(1, ITALY, ITALY_TITLE, outlet="a"),
            doc(2, second, "x", outlet="b"),
            doc(3, third, "y", outlet="c"),
        ]
    )
    assert judgements[1].duplicate and judgements[1].duplicate.of == 1
    assert judgements[2].duplicate and judgements[2].duplicate.of == 1
    assert "#1" in judgements[2].duplicate.reason


def test_different_articles_on_one_subject_are_not_copies() -> None:
    _, judgements = judge_in_order(
        [doc(1, ITALY, ITALY_TITLE), doc(2, KOREA, KOREA_TITLE, hours=1), doc(3, R1_EN, R1_EN_TITLE, hours=2)]
    )
    assert [j.duplicate for j in judgements] == [None, None, None]


MOST_READ = "\n".join(
    f"Most read #{n}: {headline}"
    for n, headline in enumerate(
        [
            "Chipmaker rallies as Brussels weighs tariffs in March",
            "Startup slumps as Tokyo weighs subsidies in April",
            "Regulator pauses as Ottawa weighs layoffs over the summer",
            "Carmaker expands as Lagos weighs bonds in autumn",
            "Bank merges as Lima weighs drones this winter",
            "Retailer hires as Oslo weighs rates in spring",
            "Airline cuts as Seoul weighs mergers for 2026",
            "Insurer delays as Dubai weighs patents for 2027",
            "Broker launches as Austin weighs lithium in court",
            "Telecom recalls as Munich weighs wheat in parliament",
            "Miner doubles as Perth weighs satellites in talks",
            "Utility settles as Leeds weighs vaccines in Q3",
        ]
    )
)


def _outlet_page(key: int, body: str, title: str) -> StoredArticle:
    return doc(key, body + "\n" + FOOTER, title, outlet="Daily Byte")


def test_a_long_footer_shared_by_one_outlet_does_not_make_its_articles_copies() -> None:
    pages = [
        _outlet_page(1, "DeepSeek tops the App Store charts in the United States on Monday.", "App Store"),
        _outlet_page(
            2, "Nvidia shares fell 17% as investors weighed cheaper AI training costs.", "Nvidia falls"
        ),
        _outlet_page(
            3, "Microsoft adds the R1 model to its Azure AI Foundry catalogue for developers.", "Azure"
        ),
        _outlet_page(
            4, "OpenAI says it has evidence DeepSeek used distillation on its models.", "OpenAI claim"
        ),
    ]
    _, judgements = judge_in_order(pages)
    assert [j.duplicate for j in judgements] == [None, None, None, None]


def test_outlet_boilerplate_is_removed_before_comparing() -> None:
    # the outlet republishes a wire story inside its heavy page furniture; once that furniture is known
    # boilerplate (seen on three pages), the copy is recognised despite it
    briefs = [
        ("Chip exports", "Chip export rules tighten again for advanced accelerators."),
        ("Robotaxi trial", "A robotaxi trial starts in two districts next month."),
        ("Battery plant", "A battery plant opens with two thousand jobs in the north."),
    ]
    pages = [_outlet_page(k, body, title) for k, (title, body) in enumerate(briefs, start=1)]
    pages = [doc(p.key, p.text + "\n" + MOST_READ, p.title, outlet=p.outlet) for p in pages]
    original = doc(10, KOREA, KOREA_TITLE, outlet="wire")
    republished = doc(
        11, KOREA + "\n" + FOOTER + "\n" + MOST_READ, "Korea pauses DeepSeek", outlet="Daily Byte"
    )
    _, judgements = judge_in_order([*pages, original, republished])
    assert judgements[-1].duplicate is not None
    assert judgements[-1].duplicate.of == 10
    # without the outlet's line counts the same page is no copy: the footer outweighs the story
    fresh = Judge(JudgeSettings())
    fresh.index(original, fresh.assess(original), None)
    assert fresh.assess(republished).duplicate is None


def test_lines_are_reported_for_counting_except_for_copies() -> None:
    _, (first, copy) = judge_in_order(
        [doc(1, ITALY, ITALY_TITLE), doc(2, ITALY, ITALY_TITLE, outlet="other")]
    )
    assert len(first.lines) == len(ITALY.splitlines())
    assert all(len(h) == 16 for h in first.lines)
    assert copy.lines == ()


def test_outlet_lines_count_pages_and_load_stored_counts() -> None:
    lines = OutletLines(min_pages=3)
    lines.load([("x", line_hash("Subscribe now"), 2)])
    kept, hashes = lines.split("x", "Subscribe now\nA line of news.")
    assert kept == "A line of news."
    assert line_hash("  subscribe   NOW ") in hashes  # case and spacing do not matter
    kept_elsewhere, _ = lines.split("y", "Subscribe now\nA line of news.")
    assert "Subscribe now" in kept_elsewhere
    lines.count("y", hashes)
    again = OutletLines(min_pages=3)
    again.load(lines.rows())
    assert again.pages("x", line_hash("Subscribe now")) == 2
    assert again.pages("y", line_hash("A line of news.")) == 1


def test_translation_zh_en_is_a_duplicate_with_the_shared_anchors_as_reason() -> None:
    _, (english, chinese) = judge_in_order(
        [
            doc(1, R1_EN, R1_EN_TITLE, outlet="en-site"),
            doc(2, R1_ZH, R1_ZH_TITLE, outlet="zh-site", lang="zh", hours=5),
        ]
    )
    assert english.duplicate is None
    assert chinese.duplicate is not None
    assert (chinese.duplicate.of, chinese.duplicate.kind) == (1, "translation")
    reason = chinese.duplicate.reason
    assert reason.startswith("translation of #1: shares DeepSeek")
    assert "figures" in reason
    assert chinese.story == 1000  # the story the English original started


def test_a_chinese_article_on_the_same_subject_is_no_translation() -> None:
    _, (_, other) = judge_in_order(
        [doc(1, R1_EN, R1_EN_TITLE), doc(2, MARKET_ZH, MARKET_ZH_TITLE, outlet="zh", lang="zh", hours=2)]
    )
    assert other.duplicate is None


def test_translation_is_only_looked_for_within_the_story_window() -> None:
    settings = JudgeSettings(story_window_days=2)
    _, (_, late) = judge_in_order(
        [doc(1, R1_EN, R1_EN_TITLE), doc(2, R1_ZH, R1_ZH_TITLE, lang="zh", outlet="zh", hours=24 * 5)],
        settings,
    )
    assert late.duplicate is None


def test_signature_bytes_round_trip_and_bad_bytes_are_refused() -> None:
    sig = signature(ITALY)
    again = Signature.from_bytes(sig.to_bytes())
    assert np.array_equal(again.values, sig.values)
    assert (again.shingles, again.shingle_size) == (sig.shingles, 5)
    with pytest.raises(SignatureError, match="not a seedwatch signature"):
        Signature.from_bytes(b"x" * 40)
    with pytest.raises(SignatureError, match="should have"):
        Signature.from_bytes(sig.to_bytes()[:-4])


def test_signatures_are_identical_across_processes() -> None:
    code = (
        "from crawler.judge.minhash import signature; from tests.judge.samples import ITALY, R1_ZH;"
        "import sys; sys.stdout.write(signature(ITALY).to_bytes().hex() + signature(R1_ZH).to_bytes().hex())"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={"PYTHONHASHSEED": seed},
            cwd=PROJECT_ROOT,
        ).stdout
        for seed in ("1", "2")
    }
    here = signature(ITALY).to_bytes().hex() + signature(R1_ZH).to_bytes().hex()
    assert outputs == {here}


def test_estimated_jaccard_follows_the_true_jaccard_of_shingles() -> None:
    words = ITALY.split()
    for keep in (0.95, 0.8, 0.6):
        cut = int(len(words) * keep)
        a, b = " ".join(words), " ".join(words[:cut])
        shingles_a = {a.replace(" ", "").lower()[i : i + 5] for i in range(len(a.replace(" ", "")) - 4)}
        shingles_b = {b.replace(" ", "").lower()[i : i + 5] for i in range(len(b.replace(" ", "")) - 4)}
        true = len(shingles_a & shingles_b) / len(shingles_a | shingles_b)
        estimate = signature(a, 256).jaccard(signature(b, 256))
        assert abs(estimate - true) < 0.12


def test_band_index_finds_every_row_sharing_a_band_after_growing() -> None:
    rng = np.random.default_rng(3)
    index = BandIndex(bands=16, rows=4, capacity=16)
    values = rng.integers(0, 2**32, size=(3000, 64), dtype=np.uint64).astype(np.uint32)
    for row, sig in enumerate(values):
        index.add(index.band_keys(sig), row)
    assert len(index) == 3000
    for row in (0, 1234, 2999):
        assert row in index.candidates(index.band_keys(values[row])).tolist()
    probe = values[42].copy()
    probe[4:] = 0  # only the first band still agrees
    assert 42 in index.candidates(index.band_keys(probe)).tolist()


def test_near_duplicate_index_skips_texts_too_short_to_compare() -> None:
    index = NearDuplicateIndex()
    index.add(1, index.signature("Short."), "o", "t")
    assert len(index) == 0
    assert index.matches(index.signature("Short."), "p", "t") == []


def test_band_index_reads_a_bucket_shared_by_every_row_in_few_steps() -> None:
    # A site whose pages share most of their text files them all under the same band fingerprints.
    index = BandIndex(bands=16, rows=4)
    keys = index.band_keys(np.arange(64, dtype=np.uint32))
    for row in range(4000):
        index.add(keys, row)
    before = index.probe_steps
    found = index.candidates(keys)
    assert found.tolist() == list(range(4000))
    assert index.probe_steps - before <= 12  # one step per doubling of the run read, not one per 8 rows
    before = index.probe_steps
    index.add(keys, 4000)
    assert index.probe_steps - before <= 12


def test_near_duplicate_index_limits_and_keys_agree_with_the_full_list() -> None:
    index = NearDuplicateIndex()
    sentences = [f"Sentence number {n} of the templated page says the same thing again." for n in range(40)]
    for key in range(1, 301):
        text = " ".join(sentences[(key * 7 + i) % 40] for i in range(20))
        index.add(key, index.signature(text), "one outlet", f"Templated title {key % 3}")
    query = index.signature(" ".join(sentences[:20]))
    every = index.matches(query, "one outlet", "Templated title 1")
    assert len(every) > 50
    assert index.matches(query, "one outlet", "Templated title 1", limit=1) == every[:1]
    assert index.matches(query, "one outlet", "Templated title 1", key=every[-1].key) == every[-1:]
    unlike = {m.key for m in index.matches(query, "one outlet", "Something else entirely")}
    assert not unlike & {m.key for m in every}
