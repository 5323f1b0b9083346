"""How updates reach the handlers and how the bot's calls leave: long polling or a webhook, both
confirming an update to Telegram only after its effect is committed, and the one rate limiter that
every Bot API call goes through.

    Telegram ─getUpdates─► polling.poll ─┐
    Telegram ─POST──────► webhook ───────┴─► Application.process_update ─► a feature's handler
    handler ─► Bot API call ─► ratelimit.PatientRateLimiter ─► Telegram
    handler ─► rt.apply(queues in the outbox) ─► commit ─► outbox.send ─► Telegram

    polling      fetch, run, confirm; every update parsed on its own; repeats confirmed unrun
    webhook      the same behind Telegram's webhook, for several workers
    ratelimit    Telegram's budgets per chat, 429s held per chat, retries, button answers that may fail
    budget       sliding windows and the per-chat queues the rate limiter keeps
    outbox       messages committed with their effect, sent after the commit (and at start, if left);
                 a question saved with its message, its id written in once sent
    background   the tasks a bot starts, so a stop can finish or cancel them in time
"""
