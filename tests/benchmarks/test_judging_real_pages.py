"""The pages `benchmarks.judging_real` serves: with `--chrome`, a site's menus and other articles'
headlines around the body, which extraction must leave out. Articles are our own, written for this test."""

from __future__ import annotations

from benchmarks.judging_real import build_site
from benchmarks.labelled_corpus import LabelledArticle
from crawler.extract import extract_article

BODY = [
    "The harbour council approved the new ferry timetable on Tuesday after a year of dispute.",
    "Boats will leave every forty minutes from Monday, and the last one will sail at eleven at night.",
    "Residents who asked for later sailings said the change was welcome but came too late for summer.",
    "The council will review the timetable again in March, when the winter figures are in.",
]


def _article(n: int, lang: str = "en") -> LabelledArticle:
    title = f"Story number {n} about the harbour, the council and the new timetable for ferries"
    return LabelledArticle(f"t{n}", title, "\n".join(BODY), lang, True, {}, {})


def test_chrome_pages_carry_other_headlines_and_extraction_keeps_only_the_body() -> None:
    articles = [_article(n) for n in range(8)]
    records = {a.id: {"url": f"https://news.example/{a.id}", "date": "2025-01-28"} for a in articles}
    plain = build_site(articles, records)
    dressed = build_site(articles, records, chrome=True)
    page = dressed["/a/t0.html"][1].decode()
    others = [a.title for a in articles[1:7]]
    assert all(title in page for title in others) and articles[7].title not in page
    assert not any(title in plain["/a/t0.html"][1].decode() for title in others)
    text = extract_article(page, "http://127.0.0.1:1/a/t0.html").text
    assert text.splitlines() == BODY
