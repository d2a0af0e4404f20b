"""Prometheus metrics of the product. No labels carry personal data: tools, outcomes, sources.

Served at `/metrics` with Litestar's Prometheus plugin, which also records HTTP latency.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

CALLS_IN_PROGRESS = Gauge("booking_calls_in_progress", "Phone calls being handled now")
CALLS = Counter("booking_calls_total", "Finished phone calls by outcome", ["outcome"])
TOOL_LATENCY = Histogram(
    "booking_tool_latency_seconds",
    "Time a phone tool took, errors included",
    ["tool"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
BOOKINGS = Counter("booking_bookings_total", "Appointments booked", ["source"])
REFUSALS = Counter("booking_refusals_total", "Bookings refused", ["source", "reason"])
MODEL_TROUBLE = Counter(
    "booking_model_trouble_total",
    "Gemini Live trouble handled during calls (refused connections, stalls, outages)",
    ["event"],
)
LINE_REFUSALS = Counter(
    "booking_line_refusals_total",
    "Calls and phone bookings the public line refused (caps, repeat calls, blocked numbers)",
    ["reason"],
)
CALENDAR_WRITES = Counter(
    "booking_calendar_writes_total",
    "Appointments written to staff calendars, by outcome (written, retried, failed)",
    ["outcome"],
)
CALENDAR_SYNCS = Counter(
    "booking_calendar_syncs_total",
    "Staff calendar syncs by kind (ics, caldav) and outcome (changed, unchanged, failed)",
    ["kind", "outcome"],
)
