"""/addsource and /removesource: seedwatch admins manage the crawled sources from Telegram.

The same path as `seedwatch sources add|remove`: a new URL is fetched once first under the crawl's fetch
policy (in a child process, off the event loop), and a duplicate or dead source is reported, not added.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from bot.handlers.admin import refuse_non_admin
from bot.handlers.common import db, lang_of, reply, services
from bot.i18n import t
from crawler.probe import ProbeError
from crawler.source_admin import add_sources, remove_source
from crawler.sources import SourceListError, SourceSpec, check_url


def _url_and_tags(context: ContextTypes.DEFAULT_TYPE) -> tuple[str, list[str]] | None:
    args = list(context.args or [])
    if not args:
        return None
    return args[0], [tag.lstrip("#") for tag in args[1:] if tag.lstrip("#")]


async def addsource(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Add a source after fetching it once (seedwatch admins only): /addsource URL [tag ...]."""
    if await refuse_non_admin(update, context):
        return
    lang = await lang_of(update, context)
    given = _url_and_tags(context)
    if given is None:
        await reply(update, context, t(lang, "addsource_usage"))
        return
    try:
        url = check_url(given[0])
    except SourceListError as exc:
        await reply(update, context, t(lang, "source_bad_url", reason=str(exc)))
        return
    svc = services(context)
    spec = SourceSpec(name=url, kind="auto", url=url, options={"tags": given[1]} if given[1] else {})
    await reply(update, context, t(lang, "addsource_checking", url=url))
    try:
        outcome = await db(add_sources, svc.settings, svc.store, [spec])
    except (SourceListError, ProbeError) as exc:
        await reply(update, context, t(lang, "source_error", reason=str(exc)))
        return
    if outcome.added:
        await reply(update, context, t(lang, "addsource_added", line=outcome.added[0]))
    elif outcome.present:
        await reply(update, context, t(lang, "addsource_present", line=outcome.present[0]))
    else:
        await reply(update, context, t(lang, "addsource_refused", line=outcome.refused[0]))


async def removesource(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stop crawling a source (seedwatch admins only): /removesource URL."""
    if await refuse_non_admin(update, context):
        return
    lang = await lang_of(update, context)
    given = _url_and_tags(context)
    if given is None:
        await reply(update, context, t(lang, "removesource_usage"))
        return
    svc = services(context)
    try:
        removed = await db(remove_source, svc.settings, svc.store, given[0])
    except SourceListError as exc:
        await reply(update, context, t(lang, "source_error", reason=str(exc)))
        return
    if removed is None:
        await reply(update, context, t(lang, "removesource_unknown", url=given[0]))
    else:
        await reply(update, context, t(lang, "removesource_done", name=removed.name, url=removed.url))
