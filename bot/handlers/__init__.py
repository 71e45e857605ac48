"""The bot's handlers, one module per command family; `bot.application` registers them from one table.

    common         what every handler shares: the services, the chat an update comes from, replies, rights
    start          /start, /help, unknown commands, plain text
    subscription   /subscribe, /unsubscribe, /topics and its buttons
    chat_settings  /time, /timezone, /lang, /filter
    digest         /digest
    reports        /claims, /sources, /status
    admin          /crawl, /stats, /broadcast (seedwatch admins)
    channels       /channel, forwarded channel posts, group migrations, the bot leaving a chat

Handler modules import `common` and nothing of `bot.application`, so the builder can import them all.
Every database call runs in a worker thread (`common.db`): a crawl holding SQLite's write lock delays one
answer, never the event loop.
"""
