"""Comment sections by the markup CMSs and comment services give them: found, and only they."""

from __future__ import annotations

import pytest
from trafilatura.utils import load_html

from crawler.extract_comments import comment_sections, drop_comment_sections

POST = "<p>The ferry to the islands runs to its winter timetable from Monday, with the last boat at six.</p>"


def page(body: str, body_class: str = "") -> str:
    return f'<html><head><title>Winter ferries</title></head><body class="{body_class}">{body}</body></html>'


@pytest.mark.parametrize(
    "thread",
    [
        # WordPress
        '<div id="comments" class="comments-area"><ol class="comment-list">'
        '<li id="comment-7" class="comment even depth-1"><p>{}</p></li></ol></div>',
        '<ol class="commentlist"><li class="comment"><p>{}</p></li></ol>',
        '<div id="respond" class="comment-respond"><form><p>{}</p></form></div>',
        # Drupal, Blogger, BEM-style theme names
        '<section class="field--name-comment">'
        '<article class="comment js-comment"><p>{}</p></article></section>',
        '<div class="comment-thread"><p>{}</p></div>',
        '<section class="post__comments"><p>{}</p></section>',
        '<div class="c-CommentList"><p>{}</p></div>',
        # comment services
        '<div id="disqus_thread"><p>{}</p></div>',
        '<div class="fb-comments"><p>{}</p></div>',
        '<div id="livefyre"><p>{}</p></div>',
        # Chinese portals
        '<div class="pinglun-box"><p>{}</p></div>',
        # schema.org microdata
        '<div class="talk"><div itemprop="comment" itemscope><p>{}</p></div></div>',
        '<div class="talk"><div itemscope itemtype="https://schema.org/Comment"><p>{}</p></div></div>',
    ],
)
def test_comment_markup_is_removed_and_the_post_kept(thread: str) -> None:
    reader = "First! The last boat at six is far too early for anyone who works in town."
    tree = load_html(page(f"<article><h1>Winter ferries</h1>{POST}</article>{thread.format(reader)}"))
    assert tree is not None
    assert drop_comment_sections(tree) >= 1
    text = tree.text_content()
    assert "far too early" not in text
    assert "winter timetable" in text


@pytest.mark.parametrize(
    "container",
    [
        '<article class="post comments-open has-comments">{}</article>',  # flags: it takes comments
        '<div class="commentary">{}</div>',  # an opinion column, not readers' comments
        '<article class="content--type-comment"><h1>Winter ferries</h1>{}</article>',  # holds the headline
        '<div class="comment-piece" itemprop="articleBody">{}</div>',  # the declared article body
    ],
)
def test_a_post_is_never_taken_for_its_comments(container: str) -> None:
    tree = load_html(page(container.format(POST)))
    assert tree is not None
    assert comment_sections(tree) == []


def test_a_body_flagged_for_comments_is_kept() -> None:
    tree = load_html(page(f"<main>{POST}</main>", body_class="single single-post comments-open"))
    assert tree is not None
    drop_comment_sections(tree)
    assert "winter timetable" in tree.text_content()


@pytest.mark.parametrize(
    "thread",
    [
        # an old table layout whose markup names nothing
        '<table class="readers"><tr><td><b>Reader comments (2)</b></td></tr>'
        "<tr><td><b>dtaylor</b> wrote:<br>{}</td></tr></table>",
        '<div class="box"><h3>23 Comments</h3><div class="item"><p>{}</p></div></div>',
        '<div class="box"><h2>Leave a Reply</h2><p>{}</p></div>',
        '<div class="box"><h3>网友评论</h3><p>{}</p></div>',
    ],
)
def test_a_section_headed_as_comments_is_removed(thread: str) -> None:
    reader = "First! The last boat at six is far too early for anyone who works in town."
    tree = load_html(page(f"<div><h1>Winter ferries</h1>{POST}</div>{thread.format(reader)}"))
    assert tree is not None
    drop_comment_sections(tree)
    assert "far too early" not in tree.text_content()
    assert "winter timetable" in tree.text_content()
