"""Prometheus metrics shared by every service (exposed at /metrics)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

consumed = Counter(
    "airwarn_events_consumed_total",
    "Events handled, per topic and consumer group",
    ["topic", "group"],
)
published = Counter("airwarn_events_published_total", "Events published, per topic", ["topic"])
dead_lettered = Counter(
    "airwarn_events_dead_lettered_total", "Messages sent to a DLQ", ["topic", "group"]
)
handler_failures = Counter(
    "airwarn_handler_failures_total",
    "Handler attempts that raised and will be retried",
    ["topic", "group"],
)
handler_seconds = Histogram(
    "airwarn_handler_seconds",
    "Time to handle one event",
    ["topic", "group"],
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
outbox_backlog = Gauge(
    "airwarn_outbox_backlog", "Outbox rows not yet relayed to the bus", ["service"]
)
stale_forecasts = Gauge(
    "airwarn_stale_forecasts",
    "Areas under warning whose latest forecast is older than the 4-hour duty allows",
)
deliveries = Counter(
    "airwarn_delivery_attempts_total",
    "Bulletin delivery attempts, by channel and outcome",
    ["channel", "status"],
)
consumer_lag = Gauge(
    "airwarn_consumer_lag",
    "Messages on a partition not yet handled and committed by the consumer group",
    ["topic", "partition", "group"],
)
delivery_states = Gauge(
    "airwarn_deliveries",
    "Deliveries in the delivery log by channel and current status "
    "(delivered, pending, failing and retrying, dead)",
    ["channel", "status"],
)
