"""Decoding pages whose declared charset is wrong: the bytes real sites send, with the labels they send."""

from __future__ import annotations

import codecs

import pytest

from crawler.encoding import charset_from_content_type, codec_name, decode_page, meta_charset

ZH = (
    "<html><head><title>深度求索发布新模型</title></head><body><article><p>"
    + "中国人工智能公司深度求索周一发布了新的推理模型，称其性能可与美国同行竞争，"
    "而训练成本只是其一小部分。分析人士表示，这一消息引发了科技股的大幅抛售。"
    * 4
    + "</p></article></body></html>"
)
TW = (
    "<html><head><title>深度求索發布新模型</title></head><body><article><p>"
    + "中國人工智慧公司深度求索週一發布了新的推理模型，稱其性能可與美國同行競爭，"
    "而訓練成本只是其一小部分。分析人士表示，這一消息引發了科技股的大幅拋售。"
    * 4
    + "</p></article></body></html>"
)
FR = (
    "<html><head><title>L’économie française</title></head><body><p>"
    + "Le ministre a déclaré que l’été serait « décisif » pour la réforme, et qu’il faudrait "
    "être prêt à négocier dès la rentrée. " * 4 + "</p></body></html>"
)


HTML = "text/html; charset="
WRONG = [
    pytest.param(ZH.encode("gbk"), HTML + "utf-8", ZH, "utf-8", "gb18030", id="gbk-as-utf8"),
    pytest.param(ZH.encode("gb18030"), HTML + "UTF-8", ZH, "utf-8", "gb18030", id="gb18030-as-utf8"),
    pytest.param(FR.encode(), HTML + "ISO-8859-1", FR, "iso-8859-1", "utf_8", id="utf8-as-latin1"),
    pytest.param(ZH.encode(), HTML + "windows-1252", ZH, "windows-1252", "utf_8", id="utf8-as-1252"),
    pytest.param(TW.encode("big5"), HTML + "utf-8", TW, "utf-8", "big5hkscs", id="big5-as-utf8"),
    pytest.param(codecs.BOM_UTF8 + FR.encode(), HTML + "iso-8859-1", FR, "iso-8859-1", "utf-8", id="bom8"),
    pytest.param(
        codecs.BOM_UTF16_LE + ZH.encode("utf-16-le"), HTML + "utf-8", ZH, "utf-8", "utf-16-le", id="bom16"
    ),
]


@pytest.mark.parametrize(("body", "content_type", "text", "declared", "used"), WRONG)
def test_a_wrong_declared_charset_is_overridden_and_said_so(
    body: bytes, content_type: str, text: str, declared: str, used: str
) -> None:
    page = decode_page(body, content_type)
    assert page.text == text
    assert page.encoding == used
    assert page.overridden and page.declared == declared
    assert page.note is not None
    assert f"declared charset {declared} (HTTP header) does not fit the page" in page.note
    assert used.replace("_", "-") in page.note


def test_a_meta_charset_is_used_when_the_header_is_wrong() -> None:
    html = ZH.replace("<head>", '<head><meta charset="gbk">')
    page = decode_page(html.encode("gbk"), "text/html; charset=utf-8")
    assert page.text == html
    assert page.how == "meta" and page.declared == "utf-8"


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (ZH.encode(), "text/html; charset=utf-8"),
        (FR.replace("’", "'").encode("latin-1"), "text/html; charset=iso-8859-1"),
        (FR.encode("cp1252"), "text/html; charset=iso-8859-1"),  # browsers read latin-1 as windows-1252
        (ZH.replace("<head>", '<head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">')
         .encode("gb2312"), "text/html"),
    ],
)  # fmt: skip
def test_a_right_declaration_is_kept(body: bytes, content_type: str) -> None:
    page = decode_page(body, content_type)
    assert not page.overridden and page.note is None
    assert "\ufffd" not in page.text and "Ã" not in page.text


def test_undeclared_pages_are_detected_without_a_note() -> None:
    assert decode_page(TW.encode("big5"), "text/html").text == TW
    assert decode_page(ZH.encode(), None).text == ZH


def test_a_few_broken_bytes_in_utf8_keep_utf8() -> None:
    data = bytearray(ZH.encode())
    for i in range(100, len(data), 97):
        data[i] = 0xFF
    page = decode_page(bytes(data), "text/html; charset=utf-8")
    assert page.encoding == "utf_8" and not page.overridden
    assert "深度求索" in page.text


def test_labels() -> None:
    assert charset_from_content_type('text/html; charset="GB2312"') == "GB2312"
    assert charset_from_content_type("text/html") is None
    assert meta_charset(b"<html><head><meta charset='Big5'>") == "Big5"
    assert codec_name("gb2312") == "gb18030" and codec_name("latin1") == "cp1252"
    assert codec_name("no-such-charset") is None
    unknown = decode_page(ZH.encode("gbk"), "text/html; charset=no-such-charset")
    assert unknown.text == ZH and unknown.declared == "no-such-charset"
