"""Everything that knows about Telegram lives in this package."""
