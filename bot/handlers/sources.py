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


async def _admin_request(
    update: Update, context: ContextTypes.DEFAULT_TYPE, usage: str
) -> tuple[str, str, list[str]] | None:
    """(lang, URL, tags) of an admin's command; None once a non-admin is refused or the URL is missing
    (the usage text `usage` is sent)."""
    if await refuse_non_admin(update, context):
        return None
    lang = await lang_of(update, context)
    args = list(context.args or [])
    if not args:
        await reply(update, context, t(lang, usage))
        return None
    return lang, args[0], [tag.lstrip("#") for tag in args[1:] if tag.lstrip("#")]


async def addsource(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Add a source after fetching it once (seedwatch admins only): /addsource URL [tag ...]."""
    request = await _admin_request(update, context, "addsource_usage")
    if request is None:
        return
    lang, given, tags = request
    try:
        url = check_url(given)
    except SourceListError as exc:
        await reply(update, context, t(lang, "source_bad_url", reason=str(exc)))
        return
    svc = services(context)
    spec = SourceSpec(name=url, kind="auto", url=url, options={"tags": tags} if tags else {})
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
    request = await _admin_request(update, context, "removesource_usage")
    if request is None:
        return
    lang, given, _ = request
    svc = services(context)
    try:
        removed = await db(remove_source, svc.settings, svc.store, given)
    except SourceListError as exc:
        await reply(update, context, t(lang, "source_error", reason=str(exc)))
        return
    if removed is None:
        await reply(update, context, t(lang, "removesource_unknown", url=given))
    else:
        await reply(update, context, t(lang, "removesource_done", name=removed.name, url=removed.url))
