"""Chinese and English wording of the digest and of every bot reply.

`t(lang, key, **values)` formats one template. Templates of bot replies may hold Telegram HTML tags; the
values put into them are escaped here, so article text or user input can never break a message.
`phrase(lang, key, **values)` is the same without escaping, for the terminal and for callers that escape
themselves. A key with `_one` beside it is used when `n == 1` (English plurals).
"""

from __future__ import annotations

import html
import string
from typing import Any

LANGS = ("en", "zh")

TEMPLATES: dict[str, dict[str, str]] = {
    "en": {
        # The digest.
        "digest_title": "seedwatch digest",
        "window": "{start} – {end} ({tz})",
        "summary": "{stories:story|stories} from {articles:article|articles}",
        "others": "+{n} other outlets: {names}",
        "others_one": "+1 other outlet: {names}",
        "others_more": "and {n} more",
        "novelty": "{pct}% new",
        "entry_disputes": "Disputes: {claims}",
        "entry_supports": "Supports: {claims}",
        "entry_contested": "Disputed and supported here: {claims}",
        "claims_heading": "The seed's claims in this coverage",
        "disputes": "Disputed",
        "supports": "Newly supported",
        "claim_more": "+{n} more articles",
        "claim_more_one": "+1 more article",
        "left_out": "Left out: {dups:more article|more articles} on stories already listed, "
        "{irrelevant} off-topic",
        "left_out_filtered": ", {n} by your filters",
        "more_stories": "{n} more stories not shown.",
        "more_stories_one": "1 more story not shown.",
        "more_claims": "{n} more claims in the claims tracker (/claims).",
        "more_claims_one": "1 more claim in the claims tracker (/claims).",
        "empty": "Nothing new since {since}.",
        "untitled": "(untitled)",
        # The claims timeline.
        "timeline_title": "The seed's claims in the coverage, day by day",
        "timeline_coverage": "Relevant articles per day",
        "timeline_claims": "Articles per day on each claim",
        "stance_supports": "supports",
        "stance_disputes": "disputes",
        "stance_mentions": "mentions",
        # The bot.
        # The bot's commands: `cmd_` is the menu entry (setMyCommands), `help_` the line in /help.
        "help_intro": "<b>seedwatch</b> follows the coverage of a seed article and sends a daily digest of "
        "what is new.",
        "help_admin": "<b>For seedwatch admins</b>",
        "cmd_subscribe": "Get the daily digest",
        "help_subscribe": "/subscribe [topic…] — get the daily digest (all topics, or the ones named)",
        "cmd_unsubscribe": "Stop the daily digest",
        "help_unsubscribe": "/unsubscribe [topic…] — stop it (or drop the topics named)",
        "cmd_topics": "Choose topics",
        "help_topics": "/topics — choose topics with buttons",
        "cmd_digest": "The digest now",
        "help_digest": "/digest — the digest now, since the last one",
        "cmd_time": "Digest time, HH:MM",
        "help_time": "/time HH:MM — when the digest comes (now {time})",
        "cmd_timezone": "Time zone, Area/City",
        "help_timezone": "/timezone Area/City — your time zone (now {timezone})",
        "cmd_lang": "Language: zh or en",
        "help_lang": "/lang zh|en — digest language",
        "cmd_filter": "Keep or drop words: +word -word",
        "help_filter": "/filter +word -word — keep only articles with +words, drop those with -words; "
        "/filter clear",
        "cmd_claims": "The seed's claims in the coverage",
        "help_claims": "/claims — what the coverage says about the seed's claims",
        "cmd_sources": "How the sources are doing",
        "help_sources": "/sources — how the sources are doing",
        "cmd_status": "This chat's settings",
        "help_status": "/status — this chat's settings",
        "cmd_channel": "Set up a channel",
        "help_channel": "/channel @name — set up a channel where I am an admin (in a private chat)",
        "cmd_help": "What I can do",
        "help_crawl": "/crawl — crawl every source now",
        "help_stats": "/stats — counts of articles, chats and today's deliveries",
        "help_broadcast": "/broadcast text — send a message to every subscribed chat",
        "start": "Hello! I send a daily digest of the coverage of the seed article.\n"
        "Send /subscribe to get it every day at {time} ({timezone}), or /digest to see it now.",
        "subscribed": "Subscribed: the digest comes every day at {time} ({timezone}). Topics: {topics}.",
        "unsubscribed": "Unsubscribed. Send /subscribe to start again.",
        "topics_left": "Topics now: {topics}.",
        "all_topics": "all",
        "unknown_topic": "Unknown topic {topic}. Topics: {topics}.",
        "topics_prompt": "Tap a topic to switch it on or off (none ticked means all):",
        "time_set": "The digest now comes at {time} ({timezone}).",
        "time_bad": "Give a time as HH:MM, for example /time 08:30.",
        "tz_set": "Time zone set to {timezone}; the digest comes at {time}.",
        "tz_bad": "Give a time zone as Area/City, for example /timezone Europe/Berlin or "
        "/timezone Asia/Shanghai.",
        "lang_set": "Language set to {language}.",
        "lang_name_en": "English",
        "lang_name_zh": "Chinese",
        "lang_bad": "Choose zh or en, for example /lang en.",
        "filter_show": "Keep articles with: {include}\nDrop articles with: {exclude}",
        "filter_none": "(nothing)",
        "filter_bad": "Use /filter +word to keep only articles with a word, /filter -word to drop them, "
        "/filter clear to remove all filters.",
        "filter_cleared": "Filters cleared.",
        "filter_dropped": "Only {limit} words are kept per list; {n} left out: {words}.",
        "filter_cut": "{n} words cut at {limit} characters: {words}.",
        "filter_cut_one": "1 word cut at {limit} characters: {words}.",
        "plain_text": "I answer commands only. Send /help for what I can do.",
        "admins_only": "Only the admins of this group can change its settings.",
        "bot_admins_only": "That command is for seedwatch admins.",
        "unknown_command": "I don't know /{command}. Send /help for what I can do.",
        "no_args": "/{command} takes no arguments.",
        "status": "<b>Status</b>\nSubscribed: {subscribed}\nTopics: {topics}\nDigest at {time} ({timezone})\n"
        "Language: {language}\nFilters: +{include} −{exclude}\nLast digest up to: {last}\n"
        "Next digest: {next}",
        "yes": "yes",
        "no": "no",
        "never": "never",
        "status_system": "\n\n<b>seedwatch</b>\nArticles: {articles} ({relevant} relevant)\n"
        "Subscribed chats: {subscribers}\nDigests sent today: {sent_today}\nDeliveries pending: {pending}",
        "claims_title": "<b>Claims tracker</b> (supports / disputes / mentions)",
        "claims_legend": "✔ supports and ❗ disputes, one mark per {n} days, {first} – {last}",
        "claims_legend_one": "✔ supports and ❗ disputes, one mark per day, {first} – {last}",
        "claims_line": "{text}: {supports} / {disputes} / {mentions}",
        "claims_spark": "   ✔ {supports} ❗ {disputes}",
        "claims_coverage": "Relevant articles per day: {sparks}",
        "claims_latest": '   latest dispute: <i>{evidence}</i> — <a href="{url}">{outlet}</a>',
        "claims_none": "No article addresses the seed's claims yet.",
        "sources_title": "<b>Sources</b>",
        "source_ok": "✅ {name}: last success {when}",
        "source_failing": "⚠️ {name}: {failures:failure|failures} in a row, last error: {error}",
        "source_empty": "⚠️ {name}: nothing new for {runs:run|runs}",
        "source_never": "▫️ {name}: not crawled yet",
        "sources_none": "No sources registered yet.",
        "crawl_started": "Crawl started.",
        "crawl_done": "Crawl finished: {result}",
        "crawl_busy": "A crawl is already running.",
        "stats": "<b>Stats</b>\nArticles: {articles} ({relevant} relevant, {today} in the last 24 h)\n"
        "Chats: {chats} ({subscribers} subscribed, {inactive} inactive)\n"
        "Deliveries today: {sent} sent, {failed} failed, {pending} pending",
        "broadcast_bad": "Give the text to send: /broadcast Hello everyone.",
        "help_addsource": "/addsource URL [tag …] — add a feed, sitemap or page to crawl (checked first)",
        "help_removesource": "/removesource URL — stop crawling a source",
        "addsource_usage": "Give the source's address: /addsource https://example.com/feed.xml tech",
        "removesource_usage": "Give the source's address: /removesource https://example.com/feed.xml",
        "source_bad_url": "Not added: {reason}.",
        "addsource_checking": "Checking {url} …",
        "addsource_added": "Added: {line}",
        "addsource_present": "Not added twice: {line}",
        "addsource_refused": "Not added: {line}",
        "source_error": "The sources cannot be changed now: {reason}",
        "removesource_unknown": "{url} is not a source; /sources lists them.",
        "removesource_done": "Removed {name} ({url}): it is no longer crawled.",
        "broadcast_done": "Broadcast queued for {n:chat|chats}: {sent} sent, {failed} failed.",
        "channel_usage": "Send /channel @name (or forward me a post from the channel) in our private chat. "
        "I must be an admin of the channel allowed to post.",
        "channel_not_found": "I can't see the channel {name}. Add me to it as an admin first.",
        "channel_bot_not_admin": "I am not an admin of {name} allowed to post. Make me one, then try again.",
        "channel_user_not_admin": "Only admins of {name} can set it up.",
        "channel_set": "Channel {name} is set up and subscribed. The settings commands you send here now "
        "apply to it; /channel off to manage this chat again.",
        "channel_off": "The settings commands apply to this chat again.",
        "channel_list": "Managing channel {name}.",
        "channel_none": "You are not managing a channel. /channel @name to set one up.",
        "for_channel": " (channel {name})",
        "private_only": "Do that in a private chat with me.",
        "digest_empty": "Nothing new since {since}.",
        "error": "Sorry, something went wrong. It has been logged.",
    },
    "zh": {
        "digest_title": "seedwatch 每日摘要",
        "window": "{start} – {end}（{tz}）",
        "summary": "{articles} 篇文章，{stories} 个事件",
        "others": "另有 {n} 家媒体：{names}",
        "others_more": "等 {n} 家",
        "novelty": "新内容 {pct}%",
        "entry_disputes": "质疑：{claims}",
        "entry_supports": "支持：{claims}",
        "entry_contested": "既有质疑也有支持：{claims}",
        "claims_heading": "本期报道涉及的原文论断",
        "disputes": "被质疑",
        "supports": "新获支持",
        "claim_more": "另有 {n} 篇",
        "left_out": "已略去：已列事件的其他文章 {dups} 篇，无关 {irrelevant} 篇",
        "left_out_filtered": "，按筛选条件 {n} 篇",
        "more_stories": "另有 {n} 个事件未列出。",
        "more_claims": "论断追踪（/claims）中还有 {n} 条论断。",
        "empty": "自 {since} 以来没有新内容。",
        "untitled": "（无标题）",
        "help_intro": "<b>seedwatch</b> 跟踪一篇种子文章的报道，每天推送新内容摘要。",
        "help_admin": "<b>seedwatch 管理员命令</b>",
        "cmd_subscribe": "订阅每日摘要",
        "help_subscribe": "/subscribe [话题…] — 订阅每日摘要（全部话题，或指定话题）",
        "cmd_unsubscribe": "取消订阅",
        "help_unsubscribe": "/unsubscribe [话题…] — 取消订阅（或去掉指定话题）",
        "cmd_topics": "选择话题",
        "help_topics": "/topics — 用按钮选择话题",
        "cmd_digest": "立即获取摘要",
        "help_digest": "/digest — 立即获取自上次以来的摘要",
        "cmd_time": "推送时间 HH:MM",
        "help_time": "/time HH:MM — 推送时间（当前 {time}）",
        "cmd_timezone": "时区 地区/城市",
        "help_timezone": "/timezone 地区/城市 — 时区（当前 {timezone}）",
        "cmd_lang": "语言 zh 或 en",
        "help_lang": "/lang zh|en — 摘要语言",
        "cmd_filter": "筛选词 +词 -词",
        "help_filter": "/filter +词 -词 — 只保留含 +词 的文章，去掉含 -词 的文章；/filter clear 清除",
        "cmd_claims": "原文论断追踪",
        "help_claims": "/claims — 报道如何评价种子文章的论断",
        "cmd_sources": "信息源状况",
        "help_sources": "/sources — 各信息源的状况",
        "cmd_status": "本聊天设置",
        "help_status": "/status — 本聊天的设置",
        "cmd_channel": "设置频道",
        "help_channel": "/channel @频道名 — 设置一个我担任管理员的频道（在私聊中使用）",
        "cmd_help": "帮助",
        "help_crawl": "/crawl — 立即抓取全部信息源",
        "help_stats": "/stats — 文章、聊天和今日推送的统计",
        "help_broadcast": "/broadcast 内容 — 向所有订阅的聊天发送一条消息",
        "timeline_title": "报道对种子文章论断的逐日态度",
        "timeline_coverage": "每日相关文章数",
        "timeline_claims": "每条论断的每日文章数",
        "stance_supports": "支持",
        "stance_disputes": "质疑",
        "stance_mentions": "提及",
        "start": "你好！我每天推送种子文章相关报道的摘要。\n"
        "发送 /subscribe 每天 {time}（{timezone}）接收，或发送 /digest 立即查看。",
        "subscribed": "已订阅：每天 {time}（{timezone}）推送摘要。话题：{topics}。",
        "unsubscribed": "已取消订阅。发送 /subscribe 可重新订阅。",
        "topics_left": "当前话题：{topics}。",
        "all_topics": "全部",
        "unknown_topic": "没有话题 {topic}。可选话题：{topics}。",
        "topics_prompt": "点击话题开启或关闭（都不选即全部）：",
        "time_set": "摘要将在每天 {time}（{timezone}）推送。",
        "time_bad": "请用 HH:MM 格式给出时间，例如 /time 08:30。",
        "tz_set": "时区已设为 {timezone}；摘要在 {time} 推送。",
        "tz_bad": "请用 地区/城市 格式给出时区，例如 /timezone Asia/Shanghai。",
        "lang_set": "语言已设为{language}。",
        "lang_name_en": "英文",
        "lang_name_zh": "中文",
        "lang_bad": "请选择 zh 或 en，例如 /lang zh。",
        "filter_show": "只保留含这些词的文章：{include}\n去掉含这些词的文章：{exclude}",
        "filter_none": "（无）",
        "filter_bad": "用 /filter +词 只保留含该词的文章，/filter -词 去掉含该词的文章，"
        "/filter clear 清除全部筛选。",
        "filter_cleared": "筛选已清除。",
        "filter_dropped": "每个列表最多保留 {limit} 个词；未保留 {n} 个：{words}。",
        "filter_cut": "词语最长 {limit} 个字符，已截断 {n} 个：{words}。",
        "plain_text": "我只回应命令。发送 /help 查看可用命令。",
        "admins_only": "只有本群管理员可以更改设置。",
        "bot_admins_only": "该命令仅限 seedwatch 管理员使用。",
        "unknown_command": "我不认识 /{command}。发送 /help 查看可用命令。",
        "no_args": "/{command} 不需要参数。",
        "status": "<b>状态</b>\n已订阅：{subscribed}\n话题：{topics}\n推送时间：{time}（{timezone}）\n"
        "语言：{language}\n筛选：+{include} −{exclude}\n上次摘要截至：{last}\n下次摘要：{next}",
        "yes": "是",
        "no": "否",
        "never": "从未",
        "status_system": "\n\n<b>seedwatch</b>\n文章：{articles}（相关 {relevant}）\n"
        "订阅的聊天：{subscribers}\n今日已发摘要：{sent_today}\n待发送：{pending}",
        "claims_title": "<b>论断追踪</b>（支持 / 质疑 / 提及）",
        "claims_legend": "✔ 支持，❗ 质疑，每格 {n} 天，{first} – {last}",
        "claims_legend_one": "✔ 支持，❗ 质疑，每格 1 天，{first} – {last}",
        "claims_line": "{text}：{supports} / {disputes} / {mentions}",
        "claims_spark": "   ✔ {supports} ❗ {disputes}",
        "claims_coverage": "每日相关文章：{sparks}",
        "claims_latest": '   最新质疑：<i>{evidence}</i> — <a href="{url}">{outlet}</a>',
        "claims_none": "还没有文章涉及种子文章的论断。",
        "sources_title": "<b>信息源</b>",
        "source_ok": "✅ {name}：最近成功 {when}",
        "source_failing": "⚠️ {name}：连续失败 {failures} 次，最近错误：{error}",
        "source_empty": "⚠️ {name}：连续 {runs} 次没有新内容",
        "source_never": "▫️ {name}：尚未抓取",
        "sources_none": "还没有登记信息源。",
        "crawl_started": "抓取已开始。",
        "crawl_done": "抓取结束：{result}",
        "crawl_busy": "已有抓取正在进行。",
        "stats": "<b>统计</b>\n文章：{articles}（相关 {relevant}，最近 24 小时 {today}）\n"
        "聊天：{chats}（订阅 {subscribers}，停用 {inactive}）\n"
        "今日推送：成功 {sent}，失败 {failed}，待发 {pending}",
        "broadcast_bad": "请给出要发送的内容：/broadcast 大家好。",
        "help_addsource": "/addsource 网址 [标签 …] — 添加要抓取的订阅源、站点地图或网页（先检查）",
        "help_removesource": "/removesource 网址 — 停止抓取某个信息源",
        "addsource_usage": "请给出信息源地址：/addsource https://example.com/feed.xml 科技",
        "removesource_usage": "请给出信息源地址：/removesource https://example.com/feed.xml",
        "source_bad_url": "未添加：{reason}。",
        "addsource_checking": "正在检查 {url} …",
        "addsource_added": "已添加：{line}",
        "addsource_present": "不会重复添加：{line}",
        "addsource_refused": "未添加：{line}",
        "source_error": "暂时无法修改信息源：{reason}",
        "removesource_unknown": "{url} 不是信息源；/sources 可列出全部信息源。",
        "removesource_done": "已移除 {name}（{url}），不再抓取。",
        "broadcast_done": "已向 {n} 个聊天广播：成功 {sent}，失败 {failed}。",
        "channel_usage": "请在与我的私聊中发送 /channel @频道名（或转发一条该频道的消息给我）。"
        "我必须是该频道可发帖的管理员。",
        "channel_not_found": "我看不到频道 {name}。请先把我加为该频道管理员。",
        "channel_bot_not_admin": "我不是 {name} 可发帖的管理员。请设置后重试。",
        "channel_user_not_admin": "只有 {name} 的管理员可以设置它。",
        "channel_set": "频道 {name} 已设置并订阅。你在这里发送的设置命令现在作用于该频道；"
        "发送 /channel off 恢复管理本聊天。",
        "channel_off": "设置命令重新作用于本聊天。",
        "channel_list": "正在管理频道 {name}。",
        "channel_none": "你没有在管理频道。发送 /channel @频道名 进行设置。",
        "for_channel": "（频道 {name}）",
        "private_only": "请在与我的私聊中进行。",
        "digest_empty": "自 {since} 以来没有新内容。",
        "error": "抱歉，出了点问题，已记录。",
    },
}


class _Formatter(string.Formatter):
    """`{n:story|stories}` writes `1 story` or `2 stories`: English plurals beside their number."""

    def format_field(self, value: Any, format_spec: str) -> str:
        if "|" in format_spec and isinstance(value, int):
            one, many = format_spec.split("|", 1)
            return f"{value} {one if value == 1 else many}"
        return str(super().format_field(value, format_spec))


_FORMATTER = _Formatter()


def fill(template: str, **values: Any) -> str:
    """A template filled as it is, `{n:one|many}` plurals included (for wording kept outside TEMPLATES)."""
    return _FORMATTER.format(template, **values)


def plural(n: int, one: str, many: str) -> str:
    """`1 failure`, `2 failures`."""
    return f"{n} {one if n == 1 else many}"


def normalize_lang(lang: str | None, default: str = "en") -> str:
    """`zh` or `en` from a chat setting or a Telegram language code (`zh-hans`, `en-US`)."""
    code = (lang or "").lower().split("-")[0].split("_")[0]
    return code if code in LANGS else default


def _template(lang: str, key: str, n: int | None) -> str:
    table = TEMPLATES.get(lang, TEMPLATES["en"])
    if n == 1 and f"{key}_one" in table:
        return table[f"{key}_one"]
    return table.get(key) or TEMPLATES["en"][key]


def phrase(lang: str, key: str, **values: Any) -> str:
    """A template filled with values as they are (for plain text, or values escaped by the caller)."""
    count = values.get("n") if isinstance(values.get("n"), int) else None
    return _FORMATTER.format(_template(lang, key, count), **values)


def t(lang: str, key: str, **values: Any) -> str:
    """A template as Telegram HTML, every value escaped."""
    count = values.get("n") if isinstance(values.get("n"), int) else None
    escaped = {
        k: v if isinstance(v, int | float) else html.escape(str(v), quote=True) for k, v in values.items()
    }
    return _FORMATTER.format(_template(lang, key, count), **escaped)
