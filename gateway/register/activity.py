"""Read-only figures about the register for operators: today's documents, last registration, metrics counters."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from gateway.register.models import Arrival, AuditEvent, Document, Message


@dataclass(frozen=True)
class Activity:
    """How many documents arrived on `day` and when the newest one was registered (UTC), if any."""

    day: dt.date
    registered_on_day: int
    last_registered_at: dt.datetime | None


def load_activity(session: Session, day: dt.date) -> Activity:
    """Count documents with arrival_date `day`; the newest document's 'registered' audit time."""
    count = session.scalar(sa.select(sa.func.count(Document.id)).where(Document.arrival_date == day)) or 0
    newest = sa.select(sa.func.max(Document.id)).scalar_subquery()
    last = session.scalar(
        sa.select(AuditEvent.at).where(AuditEvent.document_id == newest, AuditEvent.action == "registered")
    )
    return Activity(day=day, registered_on_day=count, last_registered_at=last)


@dataclass(frozen=True)
class Counters:
    """Register totals for /metrics, read at scrape time (workers are other processes: no counters in memory)."""

    received_by_source: dict[str, int]  # arrivals, duplicates included
    registered_by_source: dict[str, int]  # documents, by the source of their message
    duplicates: int
    latency_buckets: tuple[tuple[float, int], ...]  # (upper bound in seconds, cumulative count)
    latency_count: int
    latency_sum: float


def _latency_seconds(session: Session) -> sa.ColumnElement[float]:
    """Seconds from a message's original arrival to its 'registered' audit event, in the database's dialect."""
    if session.get_bind().dialect.name == "sqlite":
        return (sa.func.julianday(AuditEvent.at) - sa.func.julianday(Arrival.received_at)) * 86400.0
    return sa.extract("epoch", AuditEvent.at - Arrival.received_at)


def load_counters(session: Session, buckets: tuple[float, ...]) -> Counters:
    """Arrivals and documents per source, duplicates, and the registration latency histogram."""
    received = dict(session.execute(
        sa.select(Arrival.source, sa.func.count(Arrival.id)).group_by(Arrival.source)).all())
    registered = dict(session.execute(
        sa.select(Message.source, sa.func.count(Document.id)).join(Document, Document.message_id == Message.id)
        .group_by(Message.source)).all())
    duplicates = session.scalar(sa.select(sa.func.count(Arrival.id)).where(Arrival.kind == "duplicate")) or 0
    latency = sa.func.max(_latency_seconds(session)).label("latency")
    per_document = (
        sa.select(latency)
        .select_from(Document)
        .join(Arrival, sa.and_(Arrival.message_id == Document.message_id, Arrival.kind == "original"))
        .join(AuditEvent, sa.and_(AuditEvent.document_id == Document.id, AuditEvent.action == "registered"))
        .group_by(Document.id)
        .subquery()
    )
    value = per_document.c.latency
    row = session.execute(sa.select(
        sa.func.count(value), sa.func.coalesce(sa.func.sum(value), 0.0),
        *(sa.func.coalesce(sa.func.sum(sa.case((value <= bound, 1), else_=0)), 0) for bound in buckets),
    )).one()
    return Counters(
        received_by_source=received, registered_by_source=registered, duplicates=duplicates,
        latency_buckets=tuple(zip(buckets, (int(n) for n in row[2:]))), latency_count=int(row[0]),
        latency_sum=float(row[1]),
    )
