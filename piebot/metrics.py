"""What a running piebot tells Prometheus: updates handled, failed, repeated and unreadable, how long handling
takes, Telegram's 429s and lost button answers, the outbox, and who leads the scheduler.

Served at /metrics by the webhook server. Counts only; nothing a member wrote ever becomes a label.
"""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest

UPDATES_PROCESSED = Counter(
    "piebot_updates_processed_total",
    "Updates run through the handlers with no handler failing (repeats included).",
)
UPDATE_FAILURES = Counter(
    "piebot_update_failures_total",
    "Updates a handler failed on; they are retried, so one update may count more than once.",
)
UPDATES_GIVEN_UP = Counter(
    "piebot_updates_given_up_total",
    "Updates confirmed to Telegram after failing every retry (their effect is lost; see the log).",
)
UPDATE_SECONDS = Histogram(
    "piebot_update_handling_seconds",
    "Time from an update's arrival at the handlers to their last one returning.",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
WEBHOOK_REFUSED = Counter(
    "piebot_webhook_refused_total",
    "Webhook requests refused before any handler ran, by reason.",
    ["reason"],
)
UPDATES_REPEATED = Counter(
    "piebot_updates_repeated_total",
    "Updates delivered again after their effect was committed: confirmed without running the handlers.",
)
UPDATES_UNREADABLE = Counter(
    "piebot_updates_unreadable_total",
    "Updates that could not be parsed (unknown shapes): logged, confirmed and skipped.",
)
TOO_MANY_REQUESTS = Counter(
    "piebot_telegram_too_many_requests_total",
    "429 answers from Telegram, by the budget they were held against (chat or overall).",
    ["scope"],
)
BUTTON_ANSWERS_LOST = Counter(
    "piebot_button_answers_lost_total",
    "Button answers Telegram refused or never got (too old, answered already, unreachable); the work went on.",
)
OUTBOX_SENT = Counter(
    "piebot_outbox_sent_total",
    "Messages sent from the outbox (after the transaction that queued them committed).",
)
OUTBOX_DROPPED = Counter(
    "piebot_outbox_dropped_total",
    "Outbox messages given up: refused by Telegram, or failing every try.",
)
SCHEDULER_LEADER = Gauge(
    "piebot_scheduler_leader",
    "1 while this process is the elected scheduler leader, else 0.",
)


def exposition() -> tuple[bytes, str]:
    """The current metrics in Prometheus' text format, and its content type."""
    return generate_latest(), CONTENT_TYPE_LATEST
