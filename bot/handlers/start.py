"""/start, /help, and what the bot says to commands it does not know and to plain text."""

from __future__ import annotations

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import ContextTypes

from bot.handlers.common import (
    Command,
    db,
    is_bot_admin,
    lang_of,
    lang_of_chat,
    own_chat,
    reply,
    services,
)
from bot.i18n import t


def help_text(commands: tuple[Command, ...], lang: str, *, admin: bool, **values: str) -> str:
    """/help from the command table: the intro, a line per command, admins' commands for admins."""
    lines = [t(lang, f"help_{c.name}", **values) for c in commands if c.help and not c.admin]
    text = t(lang, "help_intro") + "\n\n" + "\n".join(lines)
    admin_lines = [t(lang, f"help_{c.name}", **values) for c in commands if c.help and c.admin]
    if admin and admin_lines:
        text += "\n\n" + t(lang, "help_admin") + "\n" + "\n".join(admin_lines)
    return text


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Greet a new chat and say how to subscribe."""
    chat = await own_chat(update, context)
    if not chat.active:
        await db(services(context).store.chats.update, chat.chat_id, active=True, inactive_reason=None)
    text = t(lang_of_chat(chat, context), "start", time=chat.digest_time, timezone=chat.timezone)
    await reply(update, context, text)


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """List the commands."""
    chat = await own_chat(update, context)
    text = help_text(
        services(context).commands,
        lang_of_chat(chat, context),
        admin=is_bot_admin(update, context),
        time=chat.digest_time,
        timezone=chat.timezone,
    )
    await reply(update, context, text)


async def unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer a command we do not know with a pointer to /help (in groups only when it is meant for us)."""
    message = update.effective_message
    if message is None or not message.text:
        return
    word = message.text.split()[0][1:]
    name, _, addressee = word.partition("@")
    if addressee and addressee.lower() != (context.bot.username or "").lower():
        return  # another bot's command
    chat = update.effective_chat
    if chat is not None and chat.type != ChatType.PRIVATE and not addressee:
        return  # in a group, a bare unknown command is likely for another bot
    await reply(update, context, t(await lang_of(update, context), "unknown_command", command=name))


async def plain_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Plain text in a private chat: one line pointing to /help (groups talk among themselves)."""
    await reply(update, context, t(await lang_of(update, context), "plain_text"))
