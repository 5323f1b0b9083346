"""How updates reach the handlers and how the bot's calls leave: long polling or a webhook, both
confirming an update to Telegram only after its effect is committed, and the one rate limiter that
every Bot API call goes through.

    Telegram ─getUpdates─► polling.poll ─┐
    Telegram ─POST──────► webhook ───────┴─► Application.process_update ─► a feature's handler
    handler ─► Bot API call ─► ratelimit.PatientRateLimiter ─► Telegram
"""
