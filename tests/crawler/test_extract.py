"""Article extraction: the body a reader sees, without the page's furniture, and metadata; never a crash."""

from __future__ import annotations

import gzip
import json
import re
import statistics
from collections import Counter
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
import trafilatura

from crawler.extract import Extracted, extract_article

NAV = """
<header class="site-header">
  <a class="logo" href="/">The Harbour Ledger</a>
  <nav class="main-menu"><ul>
    <li><a href="/world">World</a></li><li><a href="/business">Business</a></li>
    <li><a href="/technology">Technology</a></li><li><a href="/opinion">Opinion</a></li>
    <li><a href="/subscribe">Subscribe today and save 40 percent</a></li>
  </ul></nav>
</header>
<div id="cookie-banner" class="cookie-consent">
  <p>We use cookies to improve your experience and to show you personalised advertising.
  By continuing to browse you agree to our cookie policy.</p>
  <button>Accept all cookies</button><button>Manage preferences</button>
</div>
"""

SIDEBAR = """
<aside class="sidebar">
  <section class="most-read"><h3>Most read</h3><ol>
    <li><a href="/t/1">DeepSeek shock wipes hundreds of billions off chip makers' market value</a></li>
    <li><a href="/t/2">Liang Wenfeng: the quiet hedge fund manager behind DeepSeek</a></li>
    <li><a href="/t/3">Stargate: what the $500bn OpenAI and SoftBank venture will build first</a></li>
    <li><a href="/t/4">Harbour council approves new ferry timetable after long dispute</a></li>
  </ol></section>
  <section class="newsletter"><h3>Morning Briefing</h3>
    <p>Sign up for our morning newsletter and get the day's headlines in your inbox.</p>
    <form><input type="email" placeholder="Your email"><button>Sign up</button></form>
  </section>
</aside>
"""

COMMENTS_AND_FOOTER = """
<section id="comments" class="comments">
  <h3>23 comments</h3>
  <div class="comment"><span class="comment-author">harbourwatcher</span>
    <p>Typical council, always late with everything. I have waited for this bridge for ten years.</p>
  </div>
  <div class="comment"><span class="comment-author">jl_mariner</span>
    <p>Does anyone know whether the cycle lane will be closed during the works next spring?</p></div>
</section>
<footer class="site-footer">
  <ul><li><a href="/about">About us</a></li><li><a href="/contact">Contact</a></li>
  <li><a href="/privacy">Privacy policy</a></li></ul>
  <p>© 2025 Harbour Ledger Media Ltd. All rights reserved.</p>
</footer>
"""

BODY = [
    "The city council voted on Tuesday to rebuild the Old Quay bridge, ending a four-year argument over "
    "whether the crumbling crossing should be repaired or replaced.",
    "Engineers told councillors that the bridge's steel supports had corroded far faster than expected, "
    "and that a repair would buy no more than a decade before the structure had to close for good.",
    "The new bridge will carry two lanes of traffic, a protected cycle lane and a wider footpath. "
    "Construction is due to start in the spring and to take about eighteen months.",
    "Residents of the harbour district, who have complained for years about lorries rattling over the old "
    "span at night, welcomed the decision but asked for a firm timetable for the works.",
    "The council's transport committee said a temporary pedestrian crossing would open downstream before "
    "the old bridge is demolished, so that nobody would have to make a long detour to reach the market.",
    "Funding comes from a regional infrastructure grant and from the sale of two disused council depots, "
    "which officials said would cover the expected cost without raising local taxes.",
]


def news_page(body: list[str] = BODY) -> str:
    """A realistic English article page: menu, cookie banner, share bar, sidebar, comments, footer."""
    paragraphs = "\n".join(f"<p>{p}</p>" for p in body)
    return f"""<!DOCTYPE html>
<html lang="en-GB"><head>
<meta charset="utf-8">
<title>Council votes to rebuild Old Quay bridge | The Harbour Ledger</title>
<link rel="canonical" href="/local/2025/01/28/old-quay-bridge">
<meta property="og:site_name" content="The Harbour Ledger">
<meta property="og:title" content="Council votes to rebuild Old Quay bridge">
<meta name="description" content="The crumbling crossing will be replaced, not repaired.">
<meta name="author" content="Mara Lindqvist">
<meta property="article:published_time" content="2025-01-28T09:15:00+01:00">
</head><body>
{NAV}
<main>
<article class="story">
  <h1>Council votes to rebuild Old Quay bridge</h1>
  <div class="byline">By <a rel="author" href="/authors/mara">Mara Lindqvist</a>,
    <time datetime="2025-01-28T09:15:00+01:00">28 January 2025</time></div>
  <div class="share-bar"><a href="#">Share</a> <a href="#">Tweet</a> <a href="#">Email</a></div>
  <div class="story-body">
{paragraphs}
  </div>
  <div class="related"><h4>Related</h4><ul>
    <li><a href="/r/1">Ferry timetable dispute goes to arbitration</a></li>
    <li><a href="/r/2">Harbour market to open on Sundays</a></li></ul></div>
</article>
{SIDEBAR}
</main>
{COMMENTS_AND_FOOTER}
</body></html>"""


ZH_BODY = [
    "据多家媒体报道，杭州人工智能公司深度求索本周发布的新模型在多项测试中表现突出，引发业界广泛关注。",
    "该公司表示，新模型的训练成本远低于同类产品，并已将模型权重以开源方式公开，供研究人员和开发者免费使用。",
    "分析人士认为，这一进展可能改变大型模型的竞争格局，促使更多企业重新评估在算力上的巨额投入是否必要。",
    "受此消息影响，海外多家芯片公司股价在周一大幅下跌，其中一家龙头企业市值单日蒸发数千亿美元。",
    "深度求索创始人梁文锋此前很少公开露面。他在一次访谈中表示，公司更看重基础研究，而不是短期的商业回报。",
]


def zh_page() -> str:
    """A Chinese article page as a GBK site serves it (already decoded): menu, hot list, comments."""
    paragraphs = "\n".join(f"<p>{p}</p>" for p in ZH_BODY)
    return f"""<html><head>
<meta http-equiv="Content-Type" content="text/html; charset=gbk">
<title>深度求索发布新模型 训练成本引关注_科技频道_东岸新闻网</title>
<meta property="og:site_name" content="东岸新闻网">
<meta name="publishdate" content="2025-01-27 10:30:00">
<meta name="author" content="王晓梅">
</head><body>
<div class="nav"><a href="/">首页</a> <a href="/news">新闻</a> <a href="/tech">科技</a>
<a href="/finance">财经</a></div>
<div class="main">
<div class="article">
<h1>深度求索发布新模型 训练成本引关注</h1>
<div class="info">2025-01-27 10:30 来源：东岸新闻网 作者：王晓梅</div>
<div class="content">
{paragraphs}
</div>
<div class="share">分享到：微信 微博</div>
</div>
<div class="side"><h3>热点排行</h3><ul>
<li><a href="/a/1">星际之门项目首个数据中心选址公布</a></li>
<li><a href="/a/2">软银加码人工智能基础设施投资</a></li>
<li><a href="/a/3">本市地铁三号线延长段下月通车</a></li></ul></div>
</div>
<div class="comments"><h3>网友评论</h3><p>网友甲：这个模型我试过，中文能力确实不错。</p></div>
<div class="footer">版权所有 东岸新闻网 未经授权禁止转载</div>
</body></html>"""


def test_english_article_keeps_the_body_and_drops_the_chrome() -> None:
    result = extract_article(
        news_page(), "https://ledger.example/local/2025/01/28/old-quay-bridge?utm_source=x"
    )
    assert result.ok, result.reason
    assert result.reason is None
    # one paragraph per line, in order, and nothing else: no headline, byline, share bar or related links
    assert result.text.splitlines() == BODY
    for chrome in (
        "Subscribe today",
        "cookies",
        "Most read",
        "Morning Briefing",
        "harbourwatcher",
        "cycle lane will be closed",
        "Privacy policy",
        "All rights reserved",
        "Ferry timetable",
        "Tweet",
        "Sign up",
    ):
        assert chrome not in result.text, chrome


def test_english_article_metadata() -> None:
    result = extract_article(
        news_page(), "https://ledger.example/local/2025/01/28/old-quay-bridge?utm_source=x"
    )
    assert result.title == "Council votes to rebuild Old Quay bridge"
    assert result.author == "Mara Lindqvist"
    assert result.published == datetime(2025, 1, 28, 8, 15, tzinfo=UTC)
    assert result.published is not None and result.published.utcoffset() == timedelta(hours=1)
    assert result.canonical_url == "https://ledger.example/local/2025/01/28/old-quay-bridge"
    assert result.lang == "en"
    assert result.site_name == "The Harbour Ledger"
    assert result.description == "The crumbling crossing will be replaced, not repaired."


def test_furniture_inside_the_article_body_is_dropped() -> None:
    furniture = [
        "<p>Advertisement</p>",
        "<p>Read more: Ferry timetable dispute goes to arbitration</p>",
        "<p><em>Sign up for our newsletter to get the harbour's news in your inbox every morning.</em></p>",
        "<p>Share this article with a friend</p>",
        "<p class='byline'>By Mara Lindqvist</p>",
        "<p>Updated 28 January 2025, 10:40</p>",
        "<figure><img src='/b.jpg'><figcaption>Photo: Jan Berg/Harbour Ledger</figcaption></figure>",
    ]
    body = [f"{p}</p>{furniture[i]}<p>" if i < len(furniture) else p for i, p in enumerate(BODY)]
    result = extract_article(news_page(body), "https://ledger.example/a")
    assert result.ok, result.reason
    assert all(paragraph in result.text for paragraph in BODY)
    for junk in (
        "Advertisement",
        "Read more",
        "newsletter",
        "Share this",
        "By Mara",
        "Updated 28",
        "Jan Berg",
    ):
        assert junk not in result.text, junk


def test_sidebar_headlines_never_reach_the_text() -> None:
    result = extract_article(news_page(), "https://ledger.example/a")
    assert result.ok
    for word in ("DeepSeek", "Stargate", "Liang Wenfeng", "SoftBank", "ferry timetable"):
        assert word.lower() not in result.text.lower(), word


def test_chinese_page() -> None:
    result = extract_article(zh_page(), "https://dongan.example/tech/2025/0127/123.shtml")
    assert result.ok, result.reason
    assert result.text.splitlines() == ZH_BODY
    for chrome in ("首页", "热点排行", "星际之门", "网友评论", "这个模型我试过", "版权所有", "分享到"):
        assert chrome not in result.text, chrome
    assert result.lang == "zh"
    assert result.title.startswith("深度求索发布新模型")
    assert result.site_name == "东岸新闻网"
    # a naive time is taken as UTC
    assert result.published == datetime(2025, 1, 27, 10, 30, tzinfo=UTC)


def test_canonical_from_og_url_and_date_only() -> None:
    page = news_page().replace('<link rel="canonical" href="/local/2025/01/28/old-quay-bridge">', "")
    page = page.replace('content="2025-01-28T09:15:00+01:00"', 'content="2025-01-28"')
    page = page.replace('<time datetime="2025-01-28T09:15:00+01:00">', "<time>")
    page = page.replace(
        "<meta charset", '<meta property="og:url" content="https://ledger.example/b/1"><meta charset'
    )
    result = extract_article(page, "https://m.ledger.example/b/1?amp=1")
    assert result.canonical_url == "https://ledger.example/b/1"
    assert result.published == datetime(2025, 1, 28, tzinfo=UTC)
    assert result.published.tzinfo is not None


def test_published_keeps_the_declared_offset() -> None:
    page = zh_page().replace('content="2025-01-27 10:30:00"', 'content="2025-01-27T10:30:00+08:00"')
    result = extract_article(page, "https://dongan.example/x")
    assert result.published == datetime(2025, 1, 27, 10, 30, tzinfo=timezone(timedelta(hours=8)))


def test_a_front_page_is_not_an_article() -> None:
    teasers = "\n".join(
        f'<li><a href="/story/{i}">{headline}</a> <span class="time">{i} hours ago</span></li>'
        for i, headline in enumerate(
            [
                "DeepSeek releases a new reasoning model",
                "Markets fall as chip makers slide",
                "Council approves new ferry timetable",
                "Stargate picks Texas for first data centre",
                "Weather: storm warning for the coast",
                "Local team wins the regional cup",
            ]
        )
    )
    page = f"""<html lang="en"><head><title>The Harbour Ledger - News</title></head><body>{NAV}
    <main><section class="top-stories"><h2>Top stories</h2><ul>{teasers}</ul></section>{SIDEBAR}</main>
    </body></html>"""
    result = extract_article(page, "https://ledger.example/")
    assert not result.ok
    assert result.reason is not None and "no article body" in result.reason
    assert result.text == ""
    assert result.title.startswith("The Harbour Ledger")
    assert result.site_name is None  # not declared by the page; the host name is no site name


def test_a_script_rendered_page_falls_back_to_the_declared_body() -> None:
    declared = json.dumps(
        {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": "Council votes",
            "datePublished": "2025-01-28T09:15:00Z",
            "articleBody": "\n".join(BODY),
        }
    )
    page = news_page(["<span id='app-root'></span>"]).replace(
        "</head>", f'<script type="application/ld+json">{declared}</script></head>'
    )
    result = extract_article(page, "https://ledger.example/a")
    assert result.ok, result.reason
    assert result.text.splitlines() == BODY


def test_a_page_with_only_a_title() -> None:
    result = extract_article(
        "<html><head><title>Coming soon</title></head><body></body></html>", "https://x.example/"
    )
    assert not result.ok
    assert result.reason == "no article body found"
    assert result.title == "Coming soon"


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("", "empty page"),
        ("  \n\t ", "empty page"),
        ("%PDF-1.7\n%âãÏÓ\n1 0 obj << /Type /Catalog >>", "PDF"),
        ('{"articles": [{"title": "DeepSeek"}]}', "JSON"),
        ("\x00\x01\x02\x03binary\x00", "binary"),
        ("just some words, no markup at all", "no HTML elements"),
        (None, "expected decoded text"),
        (b"<html><body><p>bytes</p></body></html>", "expected decoded text"),
    ],
)
def test_garbage_input_gives_a_reason_not_an_exception(content: object, reason: str) -> None:
    result = extract_article(content, "https://x.example/")  # type: ignore[arg-type]
    assert isinstance(result, Extracted)
    assert not result.ok
    assert result.reason is not None and reason in result.reason
    assert result.text == ""


@pytest.mark.parametrize(
    "content",
    [
        "<html><body><div><p>unclosed <b>tags <i>everywhere",
        "<<<>>><p></p></div></div></body><html><html>",
        '<?xml version="1.0" encoding="gbk"?><html><body><p>声明</p></body></html>',
        "<p>" + "x" * 200_000 + "</p>",
        "<html>" + "<div>" * 5000 + "deep" + "</div>" * 5000 + "</html>",
        "<html><head><script>var a = '<p>not text</p>';</script></head><body>\ud800</body></html>",
    ],
)
def test_broken_html_never_raises(content: str) -> None:
    result = extract_article(content, "not a url")
    assert isinstance(result, Extracted)
    assert result.ok or result.reason


def test_broken_but_real_article_is_still_extracted() -> None:
    page = news_page().replace("</p>", "").replace("</div>", "").replace("</article>", "")
    result = extract_article(page[: len(page) * 3 // 4], "https://ledger.example/a")
    assert result.ok, result.reason
    assert BODY[0] in result.text


def test_five_megabyte_page() -> None:
    comments = "".join(
        f'<div class="comment"><span class="author">reader{i}</span><p>Comment {i}: I have lived by the quay '
        f"for {i % 40} years and the bridge was already shaking back then.</p></div>"
        for i in range(38_000)
    )
    page = news_page().replace(
        '<section id="comments" class="comments">', f'<section id="comments">{comments}'
    )
    assert len(page) > 5_000_000
    result = extract_article(page, "https://ledger.example/a")
    assert result.ok, result.reason
    assert BODY[0] in result.text and BODY[-1] in result.text
    assert "the bridge was already shaking" not in result.text


def blog_post(comments: str, body: list[str] = BODY) -> str:
    """A blog post page whose readers' comments far outweigh the post."""
    paragraphs = "\n".join(f"<p>{p}</p>" for p in body)
    return f"""<html lang="en"><head><title>Old Quay bridge: my view | Harbour Notes</title>
<meta property="og:type" content="article"></head><body>{NAV}
<div class="post"><h1>Old Quay bridge: my view</h1><div class="entry-content">{paragraphs}</div></div>
{comments}
</body></html>"""


def reader_comment(number: int, tag: str = "li") -> str:
    return (
        f'<{tag} class="note" id="note-{number}"><span class="who">reader{number} says:</span>'
        f"<p>Comment number {number}: the quay has flooded {number % 9} times since I moved here, and "
        f"nobody on the council has ever answered my letters about the drains near the old market.</p>"
        f'<a class="reply" href="#respond">Reply</a></{tag}>'
    )


@pytest.mark.parametrize(
    "wrapper",
    [
        '<div id="comments"><h3>385 comments</h3><ol class="commentlist">{}</ol></div>',
        # not a class trafilatura knows, and each comment's paragraph on the same tag path as the post's
        '<div class="discussion comment-thread"><h3>385 comments</h3>{}</div>',
    ],
)
def test_readers_comments_never_reach_the_body(wrapper: str) -> None:
    # The comments hold ten times the post's words: they must not win, nor be added back to the body.
    tag = "li" if "<ol" in wrapper else "div"
    comments = wrapper.format("".join(reader_comment(i, tag) for i in range(385)))
    result = extract_article(blog_post(comments), "https://notes.example/2025/01/old-quay")
    assert result.ok, result.reason
    assert all(paragraph in result.text for paragraph in BODY)
    assert "Comment number" not in result.text
    assert "says:" not in result.text


def test_a_short_real_post_is_kept() -> None:
    post = (
        "The harbour office confirmed this morning that the ferry to the islands will run to its winter "
        "timetable from Monday, with the last boat leaving at six. Tickets bought for later sailings will "
        "be refunded at the kiosk or online, and the office apologised to travellers for the short notice."
    )
    result = extract_article(blog_post("", [post]), "https://notes.example/ferry")
    assert len(post.split()) < 60  # the size of the post an independent measurement saw rejected
    assert result.ok, result.reason
    assert result.text == post


LINKED_TITLES = [
    "The council's own engineering report on the corroded steel supports of the bridge",
    "A survey of every harbour district crossing and how long each one has left",
    "Minutes of the January transport committee meeting where the vote was taken",
    "How the regional infrastructure grant is shared between the coastal towns",
    "Residents' association letter asking for a firm timetable for the works",
    "Photographs of the old span from the archive of the maritime museum",
]


def test_a_post_that_is_mostly_links_in_its_sentences_is_kept() -> None:
    # A week's reading list: most of the text is link text, but every line is a sentence, not a headline.
    items = [
        f'<p><a href="https://elsewhere.example/{i}">{title}</a>, which I read twice this week.</p>'
        for i, title in enumerate(LINKED_TITLES)
    ]
    page = blog_post("", []).replace(
        '<div class="entry-content"></div>', f'<div class="entry-content">{"".join(items)}</div>'
    )
    result = extract_article(page, "https://notes.example/reading-list")
    assert result.ok, result.reason
    assert all(title in result.text for title in LINKED_TITLES)


NOTICE = [
    "为进一步规范本市公共数据开放工作，提高数据开放质量，根据有关法律法规和上级部门的工作要求，"
    "结合本市实际，现就做好二〇二五年度公共数据开放有关工作通知如下。",
    "一、各部门应当于三月底前完成本部门公共数据资源目录的梳理和更新，明确数据的开放属性、更新频率和"
    "责任处室，并报市数据管理部门备案。",
    "二、对列入开放清单的数据，各部门应当按照统一的标准和格式及时发布，确保数据准确、完整、可用，"
    "不得以任何理由拖延或者选择性开放。",
    "三、市数据管理部门将定期对各部门数据开放情况进行检查评估，评估结果纳入年度绩效考核，"
    "对工作不力的单位予以通报。",
    "特此通知。",
]


def test_a_government_notice_is_more_than_its_metadata_table() -> None:
    rows = [
        ("索引号", "000014349/2025-00012"),
        ("主题分类", "综合政务\\通知"),
        ("发布机构", "市人民政府办公厅"),
        ("成文日期", "2025年01月20日"),
        ("标题", "关于做好二〇二五年度公共数据开放工作的通知"),
        ("发文字号", "市政办发〔2025〕3号"),
        ("发布日期", "2025年01月22日"),
    ]
    table = "".join(f"<tr><td>{label}：</td><td>{value}</td></tr>" for label, value in rows)
    paragraphs = "".join(f"<p>{p}</p>" for p in NOTICE)
    page = f"""<html><head><title>关于做好二〇二五年度公共数据开放工作的通知_政府信息公开</title></head>
<body><div class="header"><a href="/">首页</a> <a href="/zwgk">政务公开</a> <a href="/hd">互动交流</a></div>
<div class="xxgk"><table class="xxgk-meta">{table}</table></div>
<div class="article"><h1>关于做好二〇二五年度公共数据开放工作的通知</h1>
<div class="TRS_Editor">{paragraphs}</div>
<p class="sign">市人民政府办公厅</p></div>
<div class="footer">主办单位：市人民政府办公厅</div></body></html>"""
    result = extract_article(page, "https://www.gov.example/zwgk/2025/0122/3.html")
    assert result.ok, result.reason
    for paragraph in NOTICE[:4]:
        assert paragraph in result.text
    assert result.lang == "zh"


# --- against plain trafilatura on real pages, when the shared corpus is present ----------------------

_TOKEN = re.compile(r"\w+")


def _f1(truths: list[str], predictions: list[str]) -> float:
    """The ScrapingHub benchmark's measure: mean shingle precision and recall per page, F1 of the means."""
    precisions, recalls = [], []
    for truth, prediction in zip(truths, predictions, strict=True):
        shingles = [Counter(_shingles(text)) for text in (truth, prediction)]
        tp = sum((shingles[0] & shingles[1]).values())
        fp, fn = sum(shingles[1].values()) - tp, sum(shingles[0].values()) - tp
        if tp + fp:
            precisions.append(tp / (tp + fp) if fp or fn else 1.0)
        if tp + fn:
            recalls.append(tp / (tp + fn) if fp or fn else 1.0)
    precision, recall = statistics.mean(precisions), statistics.mean(recalls)
    return 2 * precision * recall / (precision + recall)


def _shingles(text: str) -> list[tuple[str, ...]]:
    tokens = _TOKEN.findall(text)
    return [tuple(tokens[i : i + 4]) for i in range(max(1, len(tokens) - 3)) if tokens[i : i + 4]]


@pytest.mark.corpus
def test_not_worse_than_plain_trafilatura_on_benchmark_pages(shared_corpus: Path) -> None:
    root = shared_corpus / "extraction_benchmarks" / "scrapinghub_article_extraction_benchmark"
    if not (root / "ground-truth.json").is_file():
        pytest.skip("the ScrapingHub extraction benchmark is not in the shared corpus")
    truth = json.loads((root / "ground-truth.json").read_text(encoding="utf-8"))
    keys = sorted(truth)[::9][:20]  # a fixed spread-out sample, not the first pages only
    pages = [gzip.decompress((root / "html" / f"{key}.html.gz").read_bytes()).decode("utf-8") for key in keys]
    truths = [truth[key]["articleBody"] for key in keys]
    ours = [
        extract_article(html, truth[key].get("url", "")).text for key, html in zip(keys, pages, strict=True)
    ]
    plain = [trafilatura.extract(html) or "" for html in pages]
    assert _f1(truths, ours) >= _f1(truths, plain)


def test_a_masthead_laid_out_in_a_table_is_not_the_start_of_the_article() -> None:
    # The demo's wire service lays its masthead out in a table, as old news sites do.
    from crawler.demo.corpus import load_corpus
    from crawler.demo.web import DemoWeb

    web = DemoWeb(load_corpus(), "http://127.0.0.1:1", "http://127.0.0.1:2")
    wire = [a for a in web.corpus.articles.values() if a.outlet == "pacificwire"]
    assert wire
    for article in wire[:4]:
        url = web.renderer.url(article)
        page = web.respond(url.removeprefix("http://127.0.0.1:1"))
        body = page.body if isinstance(page.body, bytes) else page.body.encode()
        result = extract_article(body.decode("utf-8"), url)
        assert result.ok
        first = result.text.splitlines()[0]
        assert "Licensing" not in first and not first.startswith("|"), first


def test_a_page_laid_out_in_one_table_gives_its_paragraphs_not_a_table_cell() -> None:
    # The demo's market site lays out the whole page (masthead, menu, body, sidebar) in one table, as
    # old sites do; trafilatura alone flattens the body into one table cell behind the byline.
    from crawler.demo.corpus import load_corpus
    from crawler.demo.web import DemoWeb

    web = DemoWeb(load_corpus(), "http://127.0.0.1:1", "http://127.0.0.1:2")
    market = [a for a in web.corpus.articles.values() if a.outlet == "marketpulse" and not a.copy_of]
    assert len(market) >= 3
    for article in market:
        url = web.renderer.url(article)
        page = web.respond(url.removeprefix("http://127.0.0.1:1"))
        body = page.body if isinstance(page.body, bytes) else page.body.encode()
        result = extract_article(body.decode("utf-8"), url)
        assert result.ok, (article.id, result.reason)
        lines = result.text.splitlines()
        assert not any(line.startswith("|") for line in lines), (article.id, lines[0])
        assert lines[0] == " ".join(article.blocks[0].split()), (article.id, lines[0])
        assert len(lines) > 2


def test_a_data_table_is_not_taken_for_a_layout_table() -> None:
    from lxml.html import fromstring

    from crawler.extract_combine import read_from_layout_table, unwrap_layout_tables

    page = fromstring(
        "<html><body><table><tr><td><h1>Results</h1><p>Long prose here.</p>"
        "<table><tr><th>Model</th><th>Score</th></tr><tr><td>R1</td><td>79.8</td></tr></table>"
        "</td></tr></table></body></html>"
    )
    assert unwrap_layout_tables(page) == 1  # the outer table: one of its cells holds a heading
    assert [t.tag for t in page.iter("table", "tr", "td", "th")] == [
        "table",
        "tr",
        "th",
        "th",
        "tr",
        "td",
        "td",
    ]
    assert read_from_layout_table("| Model | Score |\n| R1 | 79.8 |") is False
    cell = (
        "The company said on Monday that it would invest more. Analysts were not convinced by the plan. " * 3
    )
    assert read_from_layout_table(f"| May 1 | {cell} |") is True


def test_a_huge_page_is_not_read_twice_for_its_layout_tables() -> None:
    from lxml.html import fromstring

    from crawler.extract_combine import MAX_JUSTEXT_ELEMENTS, out_of_layout_tables

    cell = "The company said on Monday that it would invest more. Analysts were not convinced by it. " * 3
    flattened = f"| May 1 | {cell} |"
    small = fromstring(f"<html><body><table><tr><td><h1>News</h1><p>{cell}</p></td></tr></table></body>")
    assert out_of_layout_tables(small, None, flattened)[0] is not small  # read again, unwrapped
    filler = "<span>x</span>" * MAX_JUSTEXT_ELEMENTS
    huge = fromstring(f"<html><body><table><tr><td><p>{cell}</p>{filler}</td></tr></table></body></html>")
    assert out_of_layout_tables(huge, None, flattened) == (huge, flattened)


def test_a_chinese_portals_masthead_menu_and_related_rows_are_not_the_article() -> None:
    # The demo's portal (GBK, laid out in tables like many Chinese portals) has a slogan row and a menu
    # row above the body and a "相关新闻" table of bulleted headlines below it.
    from crawler.demo.corpus import load_corpus
    from crawler.demo.web import DemoWeb
    from crawler.encoding import decode_page

    web = DemoWeb(load_corpus(), "http://127.0.0.1:1", "http://127.0.0.1:2")
    portal = [a for a in web.corpus.articles.values() if a.outlet == "huaxia"]
    assert len(portal) >= 5
    for article in portal:
        url = web.renderer.url(article)
        page = web.respond(url.removeprefix("http://127.0.0.1:1"))
        body = page.body if isinstance(page.body, bytes) else page.body.encode()
        result = extract_article(decode_page(body).text, url)
        assert result.ok, (article.id, result.reason)
        rows = [line for line in result.text.splitlines() if line.startswith("|")]
        assert not rows, (article.id, rows)


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ("|  | 华夏门户 资讯天下 |  |", True),  # a slogan: two words of two characters each
        ("| 国内 | 国际 | 深度求索DeepSeek专题 |", True),
        ("| SITE | Licensing |", True),
        (
            "| 意大利监管机构要求限制DeepSeek处理本国用户数据并宣布就此展开调查 |",
            False,
        ),  # a headline-long cell
        ("| The regulator ordered DeepSeek to stop. |", False),  # a sentence
    ],
)
def test_a_row_of_short_cells_is_furniture_in_either_script(row: str, expected: bool) -> None:
    from crawler.extract_combine import is_furniture_row

    assert is_furniture_row(row) is expected


def test_a_bulleted_headline_row_is_a_link_row() -> None:
    from lxml.html import fromstring

    from crawler.extract_combine import PageShape

    shape = PageShape.of(
        fromstring(
            '<html><body><p>Body.</p><a href="/a">韩国个人信息保护委员会：DeepSeek在韩暂停新下载</a>'
            "</body></html>"
        )
    )
    assert shape.all_links("| ・韩国个人信息保护委员会：DeepSeek在韩暂停新下载 2025/02/17 21:00 |")
    assert shape.all_links("| • 韩国个人信息保护委员会：DeepSeek在韩暂停新下载 |")
    assert not shape.all_links(
        "| 韩国个人信息保护委员会：DeepSeek在韩暂停新下载，此前已下架。监管机构称将继续调查此事 |"
    )
