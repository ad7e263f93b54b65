"""Prometheus text for /metrics, computed at scrape time from the register database and the spool."""

from __future__ import annotations

import datetime as dt

from gateway.register.activity import Counters
from gateway.register.service import Register
from gateway.spool import Spool, spool_id_time

LATENCY_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 1800.0, 3600.0)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _family(name: str, kind: str, help_text: str, samples: list[tuple[str, float]]) -> list[str]:
    """HELP and TYPE lines, then one line per sample; a sample's first item is appended to the name."""
    lines = [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]
    return lines + [f"{name}{suffix} {value:g}" if isinstance(value, float) else f"{name}{suffix} {value}"
                    for suffix, value in samples]


def _by_source(counts: dict[str, int]) -> list[tuple[str, float]]:
    return [(f'{{source="{_label(source)}"}}', count) for source, count in sorted(counts.items())]


def _histogram(counters: Counters) -> list[str]:
    name = "gateway_registration_latency_seconds"
    samples = [(f'_bucket{{le="{bound:g}"}}', count) for bound, count in counters.latency_buckets]
    samples += [('_bucket{le="+Inf"}', counters.latency_count), ("_sum", counters.latency_sum),
                ("_count", counters.latency_count)]
    return _family(name, "histogram", "Seconds from a message's arrival to its registration.", samples)


def render_metrics(register: Register, spool: Spool, now: dt.datetime | None = None) -> str:
    """Every metric in the Prometheus text exposition format."""
    now = now or dt.datetime.now(dt.timezone.utc)
    counters = register.counters(LATENCY_BUCKETS)
    queues = spool.counts()
    oldest = spool.oldest_name("incoming")
    arrived = spool_id_time(oldest.split(".", 1)[0]) if oldest else None
    age = max(0.0, (now - arrived).total_seconds()) if arrived else 0.0
    lines: list[str] = []
    lines += _family("gateway_messages_received_total", "counter",
                     "Arrivals recorded in the register (duplicates included), by source.",
                     _by_source(counters.received_by_source))
    lines += _family("gateway_documents_registered_total", "counter",
                     "Documents registered with a số đến, by the source of their message.",
                     _by_source(counters.registered_by_source))
    lines += _family("gateway_duplicate_arrivals_total", "counter",
                     "Arrivals recognised as duplicates of a message already held.", [("", counters.duplicates)])
    lines += _family("gateway_spool_messages", "gauge", "Messages in each spool queue (bad: given up on).",
                     [(f'{{queue="{queue}"}}', count) for queue, count in sorted(queues.items())])
    lines += _family("gateway_spool_oldest_waiting_seconds", "gauge",
                     "Age of the oldest message waiting in incoming/ (0 when none).", [("", round(age, 3))])
    lines += _histogram(counters)
    return "\n".join(lines) + "\n"
