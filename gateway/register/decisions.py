"""Routing decisions as the register keeps them: the decision row, the units' assignments, the mail it queued,
written in the registering transaction; the departments the rule files name; and a document's routing read back."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa

from gateway.register.audit import record_audit
from gateway.register.models import Assignment, Department, Document, RoutingDecision
from gateway.register.outbox import TABLE as OUTBOX
from gateway.register.outbox import OutboxItem, QueuedMail, item_of, queue_mail
from gateway.register.records import AssignmentView
from gateway.register.terms import ASSIGNMENT_NEW, ASSIGNMENT_PROPOSED, ROLE_COOPERATE, ROLE_LEAD

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Unit:
    """A department (đơn vị) as the rule files name it."""

    code: str
    name: str
    mailbox: str = ""


@dataclass(frozen=True)
class UnitShare:
    """One unit's share of a document: its role (lead, cooperate, inform) and deadline."""

    unit_code: str
    role: str
    due_date: dt.date | None


@dataclass(frozen=True)
class RoutingRecord:
    """Everything a routing decision writes with its document, worked out before the write lock is taken."""

    rules_version: str
    matched: tuple[dict, ...]  # the matched rules with their actions, as stored in routing_decisions.matched
    lead: str
    cooperate: tuple[str, ...]
    inform: tuple[str, ...]
    priority: str
    tags: tuple[str, ...]
    due: dt.date | None
    units: tuple[UnitShare, ...]
    mail: tuple[QueuedMail, ...]
    forward_skipped: tuple[tuple[str, str], ...] = ()  # (unit, why): no mailbox, our own address, a mailbox twice
    receipt_withheld: str = ""  # the sender who gets no receipt
    receipt_withheld_reason: str = ""  # why: domain not allowed, not authenticated, our own address, …
    quarantine: str = ""  # a rule's reason to hold the message back instead of registering it
    proposal: bool = False  # the units are proposed; a leader's direction assigns them (routing.decision)


@dataclass(frozen=True)
class RoutingView:
    """A document's routing as stored: the decision, its assignments and its outbound mail."""

    decided_at: dt.datetime | None
    rules_version: str
    matched: list
    priority: str
    tags: list
    assignments: tuple[AssignmentView, ...]
    outbox: tuple[OutboxItem, ...]


def write_routing(conn: sa.Connection, document_id: int, record: RoutingRecord) -> None:
    """Store a decision for a just-registered document, in its registering transaction."""
    now = dt.datetime.now(dt.timezone.utc)
    conn.execute(sa.insert(RoutingDecision.__table__).values(
        document_id=document_id, decided_at=now, rules_version=record.rules_version,
        matched=list(record.matched), priority=record.priority, tags=list(record.tags)))
    if record.units:
        conn.execute(sa.insert(Assignment.__table__), [
            dict(document_id=document_id, unit_code=share.unit_code, role=share.role, due_date=share.due_date,
                 status=ASSIGNMENT_PROPOSED if record.proposal else ASSIGNMENT_NEW, assigned_at=now,
                 assigned_by="gateway", updated_at=None, updated_by="", note="")
            for share in record.units])
    if record.due is not None:
        conn.execute(sa.update(Document).where(Document.id == document_id).values(due_date=record.due))
    record_audit(conn, "routing-proposed" if record.proposal else "routed", document_id=document_id, detail={
        "rules_version": record.rules_version, "matched": [m["rule"] for m in record.matched],
        "lead": record.lead, "cooperate": list(record.cooperate), "inform": list(record.inform),
        "due_date": record.due.isoformat() if record.due else None, "priority": record.priority,
        "tags": list(record.tags),
    })
    if record.mail:
        queue_mail(conn, document_id, record.mail)
        record_audit(conn, "outbox-queued", document_id=document_id, detail={
            "mail": [{"kind": m.kind, "unit": m.unit_code, "to": m.recipient, "message_id": m.message_id}
                     for m in record.mail]})
    for reason in dict.fromkeys(why for _, why in record.forward_skipped):
        record_audit(conn, "forward-skipped", document_id=document_id, detail={
            "units": [unit for unit, why in record.forward_skipped if why == reason], "reason": reason})
    if record.receipt_withheld:
        reason = record.receipt_withheld_reason or "sender domain not in outbox.receipt_domains"
        record_audit(conn, "receipt-withheld", document_id=document_id, detail={
            "to": record.receipt_withheld, "reason": reason})
        log.info("document %d: no receipt to %s (%s)", document_id, record.receipt_withheld, reason)


def sync_departments(conn: sa.Connection, units: Iterable[Unit]) -> None:
    """Upsert the departments of the rule files; those no longer named are kept (for old assignments), inactive."""
    table = Department.__table__
    existing = {row.code for row in conn.execute(sa.select(table.c.code))}
    named = set()
    for unit in units:
        named.add(unit.code)
        values = dict(name=unit.name, mailbox=unit.mailbox, active=True)
        if unit.code in existing:
            conn.execute(table.update().where(table.c.code == unit.code).values(**values))
        else:
            conn.execute(table.insert().values(code=unit.code, **values))
    gone = existing - named
    if gone:
        conn.execute(table.update().where(table.c.code.in_(gone)).values(active=False))


_ROLE_ORDER = sa.case({ROLE_LEAD: 0, ROLE_COOPERATE: 1}, value=Assignment.role, else_=2)


def load_assignments(conn: sa.Connection, ids: list[int]) -> dict[int, tuple[AssignmentView, ...]]:
    """The assignments of these documents with their units' names, lead first."""
    rows = conn.execute(
        sa.select(Assignment.__table__, Department.name.label("unit_name"))
        .join(Department, Department.code == Assignment.unit_code)
        .where(Assignment.document_id.in_(ids))
        .order_by(Assignment.document_id, _ROLE_ORDER, Assignment.unit_code)
    ).all()
    out: dict[int, list[AssignmentView]] = {}
    for a in rows:
        out.setdefault(a.document_id, []).append(AssignmentView(
            a.document_id, a.unit_code, a.unit_name, a.role, a.due_date, a.status, a.assigned_by, a.updated_by,
            a.note, a.assigned_at))
    return {k: tuple(v) for k, v in out.items()}


def load_routing(conn: sa.Connection, document_id: int) -> RoutingView | None:
    """The routing of one document, or None when it was registered without routing and has no assignments."""
    decision = conn.execute(
        sa.select(RoutingDecision.__table__).where(RoutingDecision.document_id == document_id)).first()
    assignments = load_assignments(conn, [document_id]).get(document_id, ())
    if decision is None and not assignments:
        return None
    outbox = tuple(item_of(row) for row in conn.execute(
        sa.select(OUTBOX).where(OUTBOX.c.document_id == document_id).order_by(OUTBOX.c.id)))
    if decision is None:
        return RoutingView(None, "", [], "normal", [], assignments, outbox)
    return RoutingView(decision.decided_at, decision.rules_version, list(decision.matched or []),
                       decision.priority, list(decision.tags or []), assignments, outbox)
