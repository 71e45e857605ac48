"""Kinds of page an independent measurement saw the extractor fail on, rebuilt from common CMS markup.

A short post, a post made of links, a blog post under hundreds of readers' comments, a government
notice under its metadata table: each written here from scratch (a WordPress-style blog, a
government portal), none copied from a benchmark.
"""

from __future__ import annotations

import pytest

from crawler.extract import extract_article

MENU = """<header class="site-header"><a class="site-title" href="/">Quiet Lanes</a>
<nav class="main-navigation"><ul><li><a href="/">Home</a></li><li><a href="/walks">Walks</a></li>
<li><a href="/about">About</a></li><li><a href="/contact">Contact</a></li></ul></nav></header>"""

WIDGETS = """<aside id="secondary" class="widget-area"><section class="widget widget_recent_entries">
<h2 class="widget-title">Recent posts</h2><ul>
<li><a href="/2025/01/towpath">Walking the old towpath in the rain</a></li>
<li><a href="/2025/01/garden">Notes on a winter garden and its visitors</a></li>
<li><a href="/2024/12/car">A month without a car: what changed</a></li>
<li><a href="/2024/12/bakery">The bakery on Mill Street closes its doors</a></li></ul></section>
<section class="widget widget_archive"><h2 class="widget-title">Archives</h2><ul>
<li><a href="/2025/01/">January 2025</a></li><li><a href="/2024/12/">December 2024</a></li></ul></section>
</aside><footer class="site-footer"><p>Proudly powered by WordPress</p></footer>"""


def blog_post(title: str, content: str, after: str = "", head: str = "") -> str:
    """One post of a WordPress-style blog: one <article>, menu, widgets, whatever comes after it."""
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>{title} – Quiet Lanes</title>{head}</head>
<body class="post-template-default single single-post postid-12"><div id="page">{MENU}
<div id="content"><main id="main"><article id="post-12" class="post-12 post type-post hentry">
<header class="entry-header"><h1 class="entry-title">{title}</h1><div class="entry-meta">
<time class="entry-date published" datetime="2025-01-20T08:00:00+00:00">January 20, 2025</time></div>
</header><div class="entry-content">{content}</div>
<footer class="entry-footer"><span class="cat-links">Posted in <a href="/category/notes">Notes</a></span>
</footer></article>{after}</main></div>{WIDGETS}</div></body></html>"""


SHORT_POST = [
    "The lane behind the church flooded again last night and the water reached the old forge.",
    "The council says a new drain is planned for spring. Walk over the field instead this week.",
]


def test_a_short_post_on_a_one_article_page_is_kept() -> None:
    # About thirty words and nothing declared but the markup of a single post: still a post.
    result = extract_article(
        blog_post("Flooded lane", "".join(f"<p>{p}</p>" for p in SHORT_POST)), "https://lanes.example/flood"
    )
    assert result.ok, result.reason
    assert result.text.splitlines() == SHORT_POST


READING = [
    "Sarah Jones on why the town's bus timetables change every single winter",
    "The county archive has put its whole collection of tithe maps online for free",
    "A long read about the men who built the canal locks two hundred years ago",
    "How one village saved its post office by turning it into a community shop",
    "The river trust's new guide to spotting otters along the upper reaches",
    "Photographs of the great flood of 1968 from a local family album",
]


@pytest.mark.parametrize(
    "item",
    [
        '<p><a href="https://elsewhere.example/{i}">{title}.</a></p>',  # each paragraph one link
        '<h3><a href="https://elsewhere.example/{i}">{title}</a></h3>',  # a list of headlines, one post
    ],
)
def test_a_post_made_of_links_is_kept(item: str) -> None:
    content = "".join(item.format(i=i, title=title) for i, title in enumerate(READING))
    result = extract_article(blog_post("Weekend reading", content), "https://lanes.example/reading")
    assert result.ok, result.reason
    assert all(title in result.text for title in READING)


POST = [
    "The lane behind the church flooded again last night, and by midnight the water had reached the step "
    "of the old forge, where the brook runs under the road through a pipe far too narrow for it.",
    "Neighbours moved their cars up the hill and the fire brigade pumped out the cellars of the two "
    "cottages nearest the brook, for the third time since the autumn.",
    "The council says a new drain is planned for the spring, but nobody in the village has seen the "
    "plans, and the parish meeting has asked for them to be shown before any work starts.",
]


def reader(i: int) -> str:
    return f"Thank you for this, number {i}. We walked the lane with the dog on Sunday and got wet boots."


THREADS = {
    # WordPress: trafilatura knows this one
    "wordpress": '<div id="comments" class="comments-area"><h2 class="comments-title">385 thoughts</h2>'
    '<ol class="comment-list">{}</ol></div>',
    # BEM-style theme names and schema.org microdata: names trafilatura's list does not start with
    "microdata": '<section class="post__discussion"><h2>385 responses</h2>{}</section>',
    "bem": '<section class="entry__comments"><h2>385 responses</h2>{}</section>',
}
ITEMS = {
    "wordpress": '<li id="comment-{i}" class="comment even depth-1"><article class="comment-body">'
    '<b class="fn">walker{i}</b> says:<div class="comment-content"><p>{text}</p></div></article></li>',
    "microdata": '<article class="msg" itemprop="comment" itemscope itemtype="https://schema.org/Comment">'
    '<span itemprop="author">walker{i}</span><p itemprop="text">{text}</p></article>',
    "bem": '<div class="entry__comments-item"><p class="who">walker{i}</p><p>{text}</p></div>',
}


@pytest.mark.parametrize("markup", sorted(THREADS))
def test_hundreds_of_readers_comments_never_reach_the_body(markup: str) -> None:
    items = "".join(ITEMS[markup].format(i=i, text=reader(i)) for i in range(385))
    page = blog_post("Flooded lane", "".join(f"<p>{p}</p>" for p in POST), THREADS[markup].format(items))
    result = extract_article(page, "https://lanes.example/flood")
    assert result.ok, result.reason
    assert result.text.splitlines() == POST
    assert "walker" not in result.text and "Thank you" not in result.text


NOTICE = [
    "为进一步规范本市公共数据开放工作，提高数据开放质量，根据有关法律法规和上级部门的工作要求，"
    "结合本市实际，现就做好二〇二五年度公共数据开放有关工作通知如下。",
    "一、各部门应当于三月底前完成本部门公共数据资源目录的梳理和更新，明确数据的开放属性、"
    "更新频率和责任处室，并报市数据管理部门备案。",
    "二、对列入开放清单的数据，各部门应当按照统一的标准和格式及时发布，确保数据准确、完整、可用，"
    "不得以任何理由拖延或者选择性开放。",
    "三、市数据管理部门将定期对各部门数据开放情况进行检查评估，评估结果纳入年度绩效考核，"
    "对工作不力的单位予以通报。",
]
FIELDS = [
    ("索 引 号", "000014349/2025-00012", "主题分类", "综合政务\\通知"),
    ("发布机构", "市人民政府办公厅", "成文日期", "2025年01月20日"),
    ("标　　题", "关于做好二〇二五年度公共数据开放工作的通知", "", ""),
    ("发文字号", "市政办发〔2025〕3号", "发布日期", "2025年01月22日"),
]


def government_notice(body: str) -> str:
    """A notice as government portals publish them: a table of its fields, then the text."""
    rows = "".join(
        f"<tr><td><b>{a}：</b></td><td>{b}</td><td><b>{c}{'：' if c else ''}</b></td><td>{d}</td></tr>"
        for a, b, c, d in FIELDS
    )
    return f"""<html><head><meta charset="utf-8">
<title>关于做好二〇二五年度公共数据开放工作的通知_政府信息公开</title></head><body>
<div class="top"><a href="/">首页</a> <a href="/zwgk">政务公开</a> <a href="/bs">办事服务</a></div>
<div class="dqwz">当前位置：<a href="/">首页</a> &gt; <a href="/zwgk">政务公开</a> &gt; 通知公告</div>
<div class="main"><table class="xxgk_table">{rows}</table><div class="article">
<h1>关于做好二〇二五年度公共数据开放工作的通知</h1>{body}
<div class="fj">附件：<a href="/f.doc">公共数据开放目录.doc</a></div></div></div>
<div class="bottom"><p>主办单位：市人民政府办公厅 网站标识码：1234000001</p></div></body></html>"""


@pytest.mark.parametrize(
    "body",
    [
        '<div class="pages_content" id="UCAP-CONTENT">{}</div>',
        '<div class="zw" id="zoom"><div class="TRS_Editor">{}</div></div>',
    ],
)
def test_a_government_notice_is_its_text_not_its_fields(body: str) -> None:
    paragraphs = "".join(f"<p style='text-indent:2em'>{p}</p>" for p in NOTICE)
    result = extract_article(
        government_notice(body.format(paragraphs)), "https://www.gov.example/2025/3.html"
    )
    assert result.ok, result.reason
    assert result.text.splitlines()[: len(NOTICE)] == NOTICE
    for label in ("索 引 号", "发布机构", "发文字号", "000014349"):
        assert label not in result.text


def test_an_old_table_layout_keeps_its_body_and_drops_its_slogan_and_readers() -> None:
    paragraphs = "".join(f"<p>{p}</p>" for p in POST)
    page = f"""<html><head><title>Flooded lane - Valley Courier</title></head><body>
<table width="100%"><tr><td class="masthead"><a class="logo" href="/">Valley Courier</a>
<span class="slogan">News from the hills</span></td></tr></table>
<table width="100%"><tr><td width="70%"><h1>Flooded lane</h1>{paragraphs}</td>
<td width="30%"><a href="/a">Ferry fares rise</a></td></tr></table>
<table class="readers" width="100%"><tr><td bgcolor="#EEEEEE"><b>Reader comments (2)</b></td></tr>
<tr><td><b>walker1</b> wrote on 01/29/2025:<br>{reader(1)}</td></tr>
<tr><td><b>walker2</b> wrote on 01/29/2025:<br>{reader(2)}</td></tr></table></body></html>"""
    result = extract_article(page, "https://courier.example/flood")
    assert result.ok, result.reason
    assert POST[0] in result.text and POST[-1] in result.text
    assert "News from the hills" not in result.text
    assert "walker" not in result.text and "Thank you" not in result.text
