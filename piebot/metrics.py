"""What a running piebot tells Prometheus: updates handled and failed, how long handling takes, who leads.

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
SCHEDULER_LEADER = Gauge(
    "piebot_scheduler_leader",
    "1 while this process is the elected scheduler leader, else 0.",
)


def exposition() -> tuple[bytes, str]:
    """The current metrics in Prometheus' text format, and its content type."""
    return generate_latest(), CONTENT_TYPE_LATEST
