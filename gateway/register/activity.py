"""Recent activity of the register for operators: documents registered on a day and the last registration."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from gateway.register.models import AuditEvent, Document


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
