"""Reads a document's routing back for display: the decision, its assignments and its outbound mail."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from gateway.outbox.store import TABLE, OutboxItem, _item
from gateway.register.models import Assignment, Department, RoutingDecision


@dataclass(frozen=True)
class AssignmentView:
    unit_code: str
    unit_name: str
    role: str
    due_date: dt.date | None
    status: str


@dataclass(frozen=True)
class RoutingView:
    decided_at: dt.datetime | None
    rules_version: str
    matched: list
    priority: str
    tags: list
    assignments: tuple[AssignmentView, ...]
    outbox: tuple[OutboxItem, ...]

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


def load_routing(session: Session, document_id: int) -> RoutingView | None:
    """The routing of one document, or None when it was registered without routing."""
    decision = session.get(RoutingDecision, document_id)
    rows = session.execute(
        sa.select(Assignment, Department.name).join(Department, Department.code == Assignment.unit_code)
        .where(Assignment.document_id == document_id).order_by(Assignment.id)
    ).all()
    if decision is None and not rows:
        return None
    assignments = tuple(AssignmentView(a.unit_code, name, a.role, a.due_date, a.status) for a, name in rows)
    outbox = tuple(_item(row) for row in session.execute(
        sa.select(TABLE).where(TABLE.c.document_id == document_id).order_by(TABLE.c.id)))
    if decision is None:
        return RoutingView(None, "", [], "normal", [], assignments, outbox)
    return RoutingView(decision.decided_at, decision.rules_version, list(decision.matched or []),
                       decision.priority, list(decision.tags or []), assignments, outbox)
