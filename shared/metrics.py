"""Prometheus metrics every service exposes on ``/metrics``.

All carry a ``service`` label so that several services can share one process (tests).
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

HTTP_REQUESTS = Counter(
    "gongjian_http_requests_total", "HTTP requests", ["service", "method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "gongjian_http_request_duration_seconds", "HTTP request latency", ["service", "method", "route"]
)
EVENTS_PUBLISHED = Counter(
    "gongjian_events_published_total", "Events published by the outbox relay", ["service", "type"]
)
EVENTS_CONSUMED = Counter(
    "gongjian_events_consumed_total",
    "Events consumed (outcome: handled, duplicate, ignored)",
    ["service", "type", "outcome"],
)
EVENTS_FAILED = Counter(
    "gongjian_events_failed_total", "Handler attempts that raised", ["service", "type"]
)
HANDLER_LATENCY = Histogram(
    "gongjian_event_handler_duration_seconds", "Event handler latency", ["service", "type"]
)
CONSUMER_LAG = Gauge(
    "gongjian_consumer_lag",
    "Messages behind the partition's high watermark",
    ["service", "topic", "partition"],
)
OUTBOX_BACKLOG = Gauge("gongjian_outbox_backlog", "Outbox rows not yet published", ["service"])
OUTBOX_OLDEST_AGE = Gauge(
    "gongjian_outbox_oldest_age_seconds", "Age of the oldest unpublished outbox row", ["service"]
)
DEAD_LETTERS = Counter(
    "gongjian_dead_letters_total", "Messages sent to the dead-letter topic", ["service"]
)
DEAD_LETTERS_PENDING = Gauge(
    "gongjian_dead_letters_pending", "Dead letters not yet replayed", ["service"]
)
