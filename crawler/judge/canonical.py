"""Canonical URLs: one key per article, whatever tracking, AMP, mobile or fragment variant led to it.

A page's own ``rel=canonical`` is trusted only when it names the same site: a declaration pointing at
another outlet says "syndicated from there", which is a content duplicate (judged later), not the same URL.
"""

from __future__ import annotations

import re
from urllib.parse import SplitResult, parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from w3lib.url import canonicalize_url, safe_url_string

TRACKING_PARAMS = frozenset(
    """
    utm_source utm_medium utm_campaign utm_term utm_content utm_id utm_name utm_reader utm_brand
    utm_social utm_social-type fbclid gclid dclid gclsrc msclkid yclid mc_cid mc_eid igshid twclid
    _hsenc _hsmi hsctatracking mkt_tok oly_anon_id oly_enc_id vero_id vero_conv wickedid rb_clickid
    s_cid cmpid ncid ocid sr_share smid smtyp cid_source ito itm_source itm_medium itm_campaign
    at_medium at_campaign at_custom1 at_custom2 xtor spm scm share_token share_from sharetype
    shareid fromshare wfr from_source amp_js_v amp_gsa usqp outputtype __twitter_impression
    ref_src ref_url guccounter guce_referrer guce_referrer_sig taid cmp feature
    """.split()
)
AMP_PARAMS = frozenset({"amp", "outputtype", "output", "view"})
# A "?" that a link builder put before a tracking parameter where "&" belonged ("?id=5?utm_source=x"):
# only before a tracking name, so a legitimate "?" inside a value ("?next=/a?b=1") is kept.
_STRAY_QUESTION_MARK = re.compile(
    r"\?(?=(?:utm_[^=&?]*|" + "|".join(map(re.escape, sorted(TRACKING_PARAMS))) + r")(?:[=&?]|$))",
    re.IGNORECASE,
)
MOBILE_HOST = re.compile(r"^(?:www|m|mobile|wap|amp|3g)\.", re.IGNORECASE)
AMP_PATH = re.compile(r"(?:/amp(?=/|$)|\.amp(?=\.html?$|$)|/amp\.html?$)", re.IGNORECASE)


def _site(host: str) -> str:
    host = host.lower().rstrip(".")
    while MOBILE_HOST.match(host) and host.count(".") >= 2:
        host = MOBILE_HOST.sub("", host, count=1)
    return host


def _port(parts: SplitResult) -> int | None:
    try:
        return parts.port
    except ValueError:  # out of range or not a number: no port we could connect to
        return None


def same_site(a: str, b: str) -> bool:
    """Whether two URLs belong to one site (ignoring www., m., amp. and the scheme)."""
    try:
        pa, pb = urlsplit(a), urlsplit(b)
    except ValueError:
        return False
    return _site(pa.hostname or "") == _site(pb.hostname or "") and _port(pa) == _port(pb)


def _strip_amp_path(path: str) -> str:
    stripped = AMP_PATH.sub("", path)
    if path.endswith("/") and not stripped.endswith("/"):
        stripped += "/"
    return stripped or "/"


def canonical_url(url: str, declared: str | None = None) -> str:
    """The canonical form of an article URL; `declared` is the page's own rel=canonical, if any."""
    try:
        return _canonical(url, declared)
    except ValueError:  # not a URL one could fetch (a broken IPv6 host, say): it is its own key
        return url.strip()


def _canonical(url: str, declared: str | None) -> str:
    url = safe_url_string(url.strip())
    if declared:
        try:
            candidate = safe_url_string(urljoin(url, declared.strip()))
            if urlsplit(candidate).scheme in ("http", "https") and same_site(candidate, url):
                url = candidate
        except ValueError:
            pass  # a rel=canonical that is no URL is ignored, as an absent one
    parts = urlsplit(url)
    host = _site(parts.hostname or "")
    if ":" in host:
        host = f"[{host}]"  # an IPv6 address keeps its brackets
    port = _port(parts)
    netloc = (
        host if port is None or port == {"http": 80, "https": 443}.get(parts.scheme) else f"{host}:{port}"
    )
    path = _strip_amp_path(parts.path or "/")
    rebuilt = urlunsplit((parts.scheme.lower(), netloc, path, _untracked(parts.query, amp=True), ""))
    return canonicalize_url(rebuilt, keep_fragments=False)


def url_variants(url: str) -> list[str]:
    """The URL as fetched and its canonical form: the keys under which a stored article is known."""
    return list(dict.fromkeys([url, canonical_url(url)]))


def link_url(url: str) -> str:
    """The URL to show people: the one fetched, without tracking parameters or fragment (same host, same
    path, so it still opens where the canonical key, which drops `www.`, might not)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, _untracked(parts.query, amp=False), ""))


def _untracked(query: str, amp: bool) -> str:
    """The query without tracking parameters (and, with `amp`, without AMP switches)."""
    kept = []
    for key, value in parse_qsl(_STRAY_QUESTION_MARK.sub("&", query), keep_blank_values=True):
        name = key.lstrip("?").lower()  # "??utm_source=x": a link builder's doubled "?"
        if name in TRACKING_PARAMS or name.startswith("utm_"):
            continue
        if amp and name in AMP_PARAMS and value.lower() in ("1", "true", "amp", ""):
            continue
        kept.append((key.lstrip("?") or key, value))
    return urlencode(kept)
