"""A page extracted and judged on its own, in worker processes or threads, with nothing lost if they fail."""

from __future__ import annotations

from crawler.analysis import analysis_context, extract_page
from crawler.config import Settings
from crawler.workers import PagePool

PARAGRAPHS = "".join(
    f"<p>{text}</p>"
    for text in (
        "DeepSeek said its V3 model was trained on 2,048 Nvidia H800 chips for about US$5.6 million.",
        "Analysts say the figure leaves out research, ablation experiments and the hardware itself.",
        "The Hangzhou start-up, funded by the quantitative fund High-Flyer, released R1 on 20 January.",
        "Its app reached the top of the US App Store a week later, and Nvidia shares fell sharply.",
    )
)
RELEVANT = (
    f"<html><head><title>DeepSeek's cost</title></head><body><article>{PARAGRAPHS}</article></body></html>"
)
UNRELATED = (
    "<html><head><title>Switch 2 revealed</title></head><body><article>"
    "<p>Nintendo showed the Switch 2 console on Thursday with a larger screen and new controllers.</p>"
    "<p>The company did not give a price, and said more details would follow in an April broadcast.</p>"
    "<p>Shares of Nintendo fell in Tokyo as investors had hoped for a release date and a price.</p>"
    "</article></body></html>"
)


def test_a_relevant_page_comes_back_with_its_claims(settings: Settings) -> None:
    page = extract_page(RELEVANT, "https://x.test/a", context=analysis_context(settings))
    assert page.relevance is not None and page.relevance.relevant
    assert page.prepared is not None
    assert "under-6m-cost" in {c.claim_id for c in page.prepared.claims}
    unrelated = extract_page(UNRELATED, "https://x.test/b", context=analysis_context(settings))
    assert unrelated.relevance is not None and not unrelated.relevance.relevant and unrelated.prepared is None


async def test_worker_processes_give_what_a_thread_gives(settings: Settings) -> None:
    context = analysis_context(settings)
    pool = PagePool(2, context)
    try:
        assert pool.executor is not None
        in_worker = await pool.page(RELEVANT, "https://x.test/a", "", None, "en", context)
    finally:
        pool.users = 1
        pool.release()
    assert in_worker == extract_page(RELEVANT, "https://x.test/a", "", None, "en", context)


async def test_a_dead_pool_falls_back_to_threads(settings: Settings) -> None:
    context = analysis_context(settings)
    pool = PagePool(2, context)
    assert pool.executor is not None
    pool.executor.shutdown(wait=True)  # as if the workers had died
    page = await pool.page(RELEVANT, "https://x.test/a", "", None, "en", context)
    assert page.relevance is not None and page.relevance.relevant
    assert pool.executor is None
