"""Stand-ins for what tests cannot have: Telegram's Bot API (`telegram_api`)."""
