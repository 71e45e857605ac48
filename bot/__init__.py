"""seedwatch's user-facing side: the Telegram bot, the digest, the daemon and the command line."""
