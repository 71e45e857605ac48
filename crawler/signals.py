"""Signals our spiders send, so that recording and progress stay out of the spiders.

Each is sent with ``crawler.signals.send_catch_log(signal, **kwargs)``; the arguments are listed.
"""

from __future__ import annotations

#: source=SourceSpec, entries=int, etag=str|None, last_modified=str|None, not_modified=bool
source_succeeded = object()
#: source=SourceSpec, reason=str, detail=str, http_status=int|None
source_failed = object()
#: url=str, source=SourceSpec, reason=str, detail=str, http_status=int|None
page_failed = object()
#: url=str, source=SourceSpec, article_id=int|None (a link to an article stored already)
page_skipped = object()
