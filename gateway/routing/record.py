"""Writes a routing decision with its document: the decision row, assignments, outbox rows and audit events,
all in the registering transaction (worked out beforehand, so little runs under the register's write lock);
and keeps the departments table in step with the rule files."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from gateway.core.config import Config
from gateway.core.values import Envelope, ParsedMessage
from gateway.outbox.store import mail_row
from gateway.register.audit import record_audit
from gateway.register.models import (
    ROLE_COOPERATE,
    ROLE_INFORM,
    ROLE_LEAD,
    Assignment,
    Department,
    Document,
    OutboxMessage,
    RoutingDecision,
)
from gateway.routing.allow import receipt_allowed
from gateway.routing.evaluate import Decision
from gateway.routing.rules import RuleSet
from gateway.routing.workdays import WorkCalendar

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


@dataclass(frozen=True)
class Plan:
    """Everything routing will write for one message, worked out before the register's write lock is taken."""

    decision: Decision
    due: dt.date | None
    units: tuple[tuple[str, str, dt.date | None], ...]  # (department, role, due date)
    mail: tuple[dict, ...]  # outbox rows without their document_id
    forward_skipped: tuple[str, ...] = ()  # assigned units without a mailbox
    receipt_withheld: str = ""  # the sender who gets no receipt (domain not allowed)


def plan_routing(decision: Decision, envelope: Envelope, message: ParsedMessage, urgency: int,
                 calendar: WorkCalendar, config: Config, mailboxes: dict[str, str]) -> Plan:
    """The rows a decision leads to; the arrival date is the one the register will give (its time zone)."""
    arrival = envelope.received_at.astimezone(ZoneInfo(config.register.timezone)).date()
    due = decision.deadline(arrival, calendar)
    units = [(decision.lead, ROLE_LEAD, due)] + [(c, ROLE_COOPERATE, due) for c in decision.cooperate] \
        + [(i, ROLE_INFORM, None) for i in decision.inform]
    units = [u for u in units if u[0]]
    # Urgent documents (thượng khẩn, hỏa tốc) go out before anything else waiting in the outbox.
    priority = max(PRIORITY_RANK.get(decision.priority, 0), 2 if urgency >= 2 else 0)
    domain = config.outbox.from_address.rpartition("@")[2]
    mail, skipped, withheld = [], [], ""
    if decision.forward:
        for code, _, _ in units:
            if mailboxes.get(code):
                mail.append(mail_row(kind="forward", document_id=None, recipient=mailboxes[code], domain=domain,
                                     unit_code=code, priority=priority))
            else:
                skipped.append(code)
    if decision.receipt:
        if receipt_allowed(message.from_addr, config.outbox.receipt_domains):
            mail.append(mail_row(kind="receipt", document_id=None, recipient=message.from_addr.strip().lower(),
                                 domain=domain, in_reply_to=message.message_id, priority=priority))
        else:
            withheld = message.from_addr or "(no sender)"
    return Plan(decision, due, tuple(units), tuple(mail), tuple(skipped), withheld)


def write_plan(session: Session, document_id: int, plan: Plan) -> None:
    """Store a plan for a just-registered document (from Register's on_registered hook, under its write lock)."""
    conn = session.connection()
    now = dt.datetime.now(dt.timezone.utc)
    decision = plan.decision
    conn.execute(sa.insert(RoutingDecision.__table__).values(
        document_id=document_id, decided_at=now, rules_version=decision.rules_version,
        matched=decision.matched_json(), priority=decision.priority, tags=list(decision.tags)))
    if plan.units:
        conn.execute(sa.insert(Assignment.__table__), [
            dict(document_id=document_id, unit_code=code, role=role, due_date=due, status="new",
                 assigned_at=now, assigned_by="gateway", updated_at=None, updated_by="", note="")
            for code, role, due in plan.units])
    if plan.due is not None:
        conn.execute(sa.update(Document).where(Document.id == document_id).values(due_date=plan.due))
    record_audit(conn, "routed", document_id=document_id, detail={
        "rules_version": decision.rules_version, "matched": [v.rule for v in decision.matched],
        "lead": decision.lead, "cooperate": list(decision.cooperate), "inform": list(decision.inform),
        "due_date": plan.due.isoformat() if plan.due else None, "priority": decision.priority,
        "tags": list(decision.tags),
    })
    if plan.mail:
        conn.execute(sa.insert(OutboxMessage.__table__), [{**row, "document_id": document_id} for row in plan.mail])
        record_audit(conn, "outbox-queued", document_id=document_id, detail={
            "mail": [{"kind": r["kind"], "unit": r["unit_code"], "to": r["recipient"],
                      "message_id": r["message_id_header"]} for r in plan.mail]})
    if plan.forward_skipped:
        record_audit(conn, "forward-skipped", document_id=document_id,
                     detail={"units": list(plan.forward_skipped), "reason": "no mailbox"})
    if plan.receipt_withheld:
        record_audit(conn, "receipt-withheld", document_id=document_id, detail={
            "to": plan.receipt_withheld, "reason": "sender domain not in outbox.receipt_domains"})
        log.info("document %d: no receipt to %s (domain not allowed)", document_id, plan.receipt_withheld)
