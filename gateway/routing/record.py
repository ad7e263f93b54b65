"""Writes a routing decision with its document: the decision row, assignments, outbox rows and audit events,
all in the registering transaction; and keeps the departments table in step with the rule files."""

from __future__ import annotations

import datetime as dt
import logging

import sqlalchemy as sa
from sqlalchemy.orm import Session

from gateway.config import Config
from gateway.outbox.store import mail_row
from gateway.register.audit import record_audit
from gateway.register.models import (
    ROLE_COOPERATE,
    ROLE_INFORM,
    ROLE_LEAD,
    Assignment,
    Department,
    Document,
    Message,
    OutboxMessage,
    RoutingDecision,
)
from gateway.routing.allow import receipt_allowed
from gateway.routing.evaluate import Decision
from gateway.routing.rules import RuleSet
from gateway.workdays import WorkCalendar

log = logging.getLogger(__name__)
PRIORITY_RANK = {"low": -1, "normal": 0, "high": 1, "urgent": 2}


def sync_departments(conn: sa.Connection, ruleset: RuleSet) -> None:
    """Upsert the departments of the rule files; those no longer named are kept (for old assignments), inactive."""
    table = Department.__table__
    existing = {row.code for row in conn.execute(sa.select(table.c.code))}
    for dept in ruleset.departments.values():
        values = dict(name=dept.name, mailbox=dept.mailbox, active=True)
        if dept.code in existing:
            conn.execute(table.update().where(table.c.code == dept.code).values(**values))
        else:
            conn.execute(table.insert().values(code=dept.code, **values))
    gone = existing - set(ruleset.departments)
    if gone:
        conn.execute(table.update().where(table.c.code.in_(gone)).values(active=False))


def write_decision(session: Session, document_id: int, decision: Decision, calendar: WorkCalendar,
                   config: Config, mailboxes: dict[str, str]) -> None:
    """Store ``decision`` for a just-registered document (called from Register's on_registered hook).

    ``mailboxes`` maps department codes to their mailboxes (from the rule set in use, which the departments
    table mirrors). Kept to a few statements: this runs under the register's write lock.
    """
    conn = session.connection()
    now = dt.datetime.now(dt.timezone.utc)
    doc = conn.execute(
        sa.select(Document.arrival_date, Document.message_id, Document.urgency, Message.from_addr,
                  Message.message_id_header)
        .join(Message, Message.id == Document.message_id).where(Document.id == document_id)
    ).one()
    due = decision.deadline(doc.arrival_date, calendar)
    conn.execute(sa.insert(RoutingDecision.__table__).values(
        document_id=document_id, decided_at=now, rules_version=decision.rules_version,
        matched=decision.matched_json(), priority=decision.priority, tags=list(decision.tags)))
    units = [(decision.lead, ROLE_LEAD, due)] + [(c, ROLE_COOPERATE, due) for c in decision.cooperate] \
        + [(i, ROLE_INFORM, None) for i in decision.inform]
    units = [u for u in units if u[0]]
    if units:
        conn.execute(sa.insert(Assignment.__table__), [
            dict(document_id=document_id, unit_code=code, role=role, due_date=unit_due, status="new",
                 assigned_at=now, assigned_by="gateway", updated_at=None, updated_by="", note="")
            for code, role, unit_due in units])
    if due is not None:
        conn.execute(sa.update(Document).where(Document.id == document_id).values(due_date=due))
    record_audit(conn, "routed", message_id=doc.message_id, document_id=document_id, detail={
        "rules_version": decision.rules_version, "matched": [v.rule for v in decision.matched],
        "lead": decision.lead, "cooperate": list(decision.cooperate), "inform": list(decision.inform),
        "due_date": due.isoformat() if due else None, "priority": decision.priority, "tags": list(decision.tags),
    })
    # Urgent documents (thượng khẩn, hỏa tốc) go out before anything else waiting in the outbox.
    priority = max(PRIORITY_RANK.get(decision.priority, 0), 2 if doc.urgency >= 2 else 0)
    _queue_mail(conn, document_id, doc, decision, units, priority, config, mailboxes)


def _queue_mail(conn: sa.Connection, document_id: int, doc: sa.Row, decision: Decision, units, priority: int,
                config: Config, mailboxes: dict[str, str]) -> None:
    """Queue the forwards and the receipt (one insert) and say so in one audit event."""
    domain = config.outbox.from_address.rpartition("@")[2]
    rows, skipped = [], []
    if decision.forward:
        for code, role, _ in units:
            if mailboxes.get(code):
                rows.append(mail_row(kind="forward", document_id=document_id, recipient=mailboxes[code],
                                     domain=domain, unit_code=code, priority=priority))
            else:
                skipped.append(code)
    withheld = ""
    if decision.receipt:
        if receipt_allowed(doc.from_addr, config.outbox.receipt_domains):
            rows.append(mail_row(kind="receipt", document_id=document_id, recipient=doc.from_addr.strip().lower(),
                                 domain=domain, in_reply_to=doc.message_id_header or "", priority=priority))
        else:
            withheld = doc.from_addr
    if rows:
        conn.execute(sa.insert(OutboxMessage.__table__), rows)
        record_audit(conn, "outbox-queued", message_id=doc.message_id, document_id=document_id, detail={
            "mail": [{"kind": r["kind"], "unit": r["unit_code"], "to": r["recipient"],
                      "message_id": r["message_id_header"]} for r in rows]})
    if skipped:
        record_audit(conn, "forward-skipped", message_id=doc.message_id, document_id=document_id,
                     detail={"units": skipped, "reason": "no mailbox"})
    if withheld:
        record_audit(conn, "receipt-withheld", message_id=doc.message_id, document_id=document_id,
                     detail={"to": withheld, "reason": "sender domain not in outbox.receipt_domains"})
        log.info("document %d: no receipt to %s (domain not allowed)", document_id, withheld)
