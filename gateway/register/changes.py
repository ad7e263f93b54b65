"""What people change in a registered document: fields, assignments, handling status. Each change writes the
row, its audit event and (for text) the search index in one transaction under the writer lock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from gateway.core.errors import GatewayError, NotFound
from gateway.register.audit import record_audit
from gateway.register.db import Database
from gateway.register.index import add_to_index
from gateway.register.models import Assignment, Department, Direction, Document, OutboxMessage
from gateway.register.outbox import QueuedMail, queue_mail
from gateway.register.search import Searcher
from gateway.register.terms import (
    ASSIGNMENT_DONE,
    ASSIGNMENT_IN_PROGRESS,
    ASSIGNMENT_NEW,
    ASSIGNMENT_PROPOSED,
    ROLE_COOPERATE,
    ROLE_INFORM,
    ROLE_LEAD,
)

# The register fields a person may correct, by kind of value.
TEXT_FIELDS = (
    "code_number", "code_notation", "place", "organ_name", "organ_id", "type_name", "type_code", "subject",
    "signer_position", "signer_name", "to_places", "description",
)
DATE_FIELDS = ("issued_date", "due_date")
INT_FIELDS = ("urgency", "page_amount")
EDITABLE_FIELDS = TEXT_FIELDS + DATE_FIELDS + INT_FIELDS
ASSIGNMENT_ROLES = (ROLE_LEAD, ROLE_COOPERATE, ROLE_INFORM)
ASSIGNMENT_STATES = (ASSIGNMENT_NEW, ASSIGNMENT_IN_PROGRESS, ASSIGNMENT_DONE)
HANDLED = "handled"
RETURNED = "returned"  # trả lại: sent back to its sender (wrong recipient, failed checks); keeps its số đến
RECALLED = "recalled"  # thu hồi: withdrawn by its sender; keeps its số đến as "đã thu hồi"


class EditError(GatewayError):
    """A change that cannot be made as asked (unknown field, bad value, unknown role or state)."""


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _audit_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


@dataclass(frozen=True)
class DirectionInput:
    """A leader's direction (ND30 Điều 24): ý kiến chỉ đạo, exactly one chủ trì, phối hợp, để biết, thời hạn."""

    directed_by: str  # the lãnh đạo whose direction it is
    opinion: str
    lead: str
    cooperate: tuple[str, ...] = ()
    inform: tuple[str, ...] = ()
    due_date: dt.date | None = None


class DocumentChanges:
    """The audited changes to registered documents."""

    def __init__(self, db: Database, searcher: Searcher, mail_domain: str = "localhost",
                 own_address: Callable[[str], bool] = lambda _address: False) -> None:
        self.db = db
        self.searcher = searcher
        self.mail_domain = mail_domain  # of the Message-IDs of forwards a direction queues
        self.own_address = own_address  # a forward there would come back as a new document (a mail loop)

    def correct(self, document_id: int, changes: Mapping[str, Any], actor: str) -> dict[str, tuple[Any, Any]]:
        """Set fields of a document (typed values), mark their source manual, index new text, audit each one.

        Returns {field: (old, new)} for every field named, changed or not.
        """
        unknown = sorted(set(changes) - set(EDITABLE_FIELDS))
        if unknown:
            raise EditError(f"field {', '.join(unknown)} cannot be corrected; fields: {', '.join(EDITABLE_FIELDS)}")
        if "subject" in changes and not str(changes["subject"] or "").strip():
            raise EditError("trích yếu cannot be empty")
        columns = [getattr(Document, name) for name in changes]
        result: dict[str, tuple[Any, Any]] = {}
        with self.db.transaction() as conn:
            row = conn.execute(sa.select(*columns, Document.field_sources, Document.message_id)
                               .where(Document.id == document_id)).first()
            if row is None:
                raise NotFound(f"no document {document_id}")
            sources = dict(row.field_sources or {})
            changed: dict[str, Any] = {}
            for name, value in changes.items():
                old = getattr(row, name)
                result[name] = (old, value)
                if old == value:
                    continue
                changed[name] = value
                sources[name] = {"source": "manual", "confidence": 1.0, "by": actor, "at": _now().isoformat()}
            if not changed:
                return result
            conn.execute(sa.update(Document).where(Document.id == document_id)
                         .values({**changed, "field_sources": sources}))
            text = "\n".join(str(v) for k, v in changed.items() if k in TEXT_FIELDS and v)
            add_to_index(conn, self.searcher, document_id, text)
            for name, value in changed.items():
                record_audit(conn, "field-corrected", actor=actor, message_id=row.message_id,
                             document_id=document_id,
                             detail={"field": name, "old": _audit_value(result[name][0]), "new": _audit_value(value)})
        return result

    def assign(self, document_id: int, unit_code: str, role: str, due_date: dt.date | None, actor: str,
               note: str = "") -> None:
        """Assign (or re-assign) a unit to a document with a role and deadline; audited with the previous values."""
        if role not in ASSIGNMENT_ROLES:
            raise EditError(f"role must be one of {', '.join(ASSIGNMENT_ROLES)}")
        with self.db.transaction() as conn:
            doc = _document(conn, document_id)
            if conn.execute(sa.select(Department.code).where(Department.code == unit_code)).first() is None:
                raise NotFound(f"no department with code {unit_code!r}")
            old = conn.execute(sa.select(Assignment.__table__).where(
                Assignment.document_id == document_id, Assignment.unit_code == unit_code)).first()
            now = _now()
            if old is None:
                conn.execute(sa.insert(Assignment.__table__).values(
                    document_id=document_id, unit_code=unit_code, role=role, due_date=due_date,
                    status=ASSIGNMENT_NEW, assigned_at=now, assigned_by=actor, updated_at=now, updated_by=actor,
                    note=note))
                before = None
            else:
                conn.execute(sa.update(Assignment.__table__).where(Assignment.id == old.id).values(
                    role=role, due_date=due_date, updated_at=now, updated_by=actor, note=note or old.note))
                before = {"role": old.role, "due_date": _audit_value(old.due_date)}
            record_audit(conn, "assignment-set", actor=actor, message_id=doc.message_id, document_id=document_id,
                         detail={"unit": unit_code, "old": before,
                                 "new": {"role": role, "due_date": _audit_value(due_date)}})

    def unassign(self, document_id: int, unit_code: str, actor: str) -> None:
        """Take a unit off a document; audited with what it had."""
        with self.db.transaction() as conn:
            doc = _document(conn, document_id)
            old = _assignment(conn, document_id, unit_code)
            conn.execute(sa.delete(Assignment.__table__).where(Assignment.id == old.id))
            record_audit(conn, "assignment-removed", actor=actor, message_id=doc.message_id,
                         document_id=document_id,
                         detail={"unit": unit_code, "old": {"role": old.role, "due_date": _audit_value(old.due_date),
                                                            "status": old.status}})

    def set_status(self, document_id: int, unit_code: str, status: str, actor: str) -> None:
        """Move one unit's assignment to new, in_progress or done; audited with the previous status."""
        if status not in ASSIGNMENT_STATES:
            raise EditError(f"status must be one of {', '.join(ASSIGNMENT_STATES)}")
        with self.db.transaction() as conn:
            doc = _document(conn, document_id)
            old = _assignment(conn, document_id, unit_code)
            if old.status == status:
                return
            conn.execute(sa.update(Assignment.__table__).where(Assignment.id == old.id).values(
                status=status, updated_at=_now(), updated_by=actor))
            record_audit(conn, "assignment-status", actor=actor, message_id=doc.message_id,
                         document_id=document_id, detail={"unit": unit_code, "old": old.status, "new": status})

    def mark_handled(self, document_id: int, actor: str) -> None:
        """Set the document's status to handled (đã xử lý xong); audited with the previous status."""
        with self.db.transaction() as conn:
            doc = _document(conn, document_id)
            if doc.status == HANDLED:
                return
            conn.execute(sa.update(Document).where(Document.id == document_id).values(status=HANDLED))
            record_audit(conn, "document-handled", actor=actor, message_id=doc.message_id,
                         document_id=document_id, detail={"old": doc.status, "new": HANDLED})

    def direct(self, document_id: int, direction: DirectionInput, recorded_by: str) -> None:
        """Record a leader's direction: its row, the units' assignments as it says (those it leaves out are
        taken off, proposals become real), the document's deadline, a forward to each unit with a mailbox that
        has not had one, and the audit event — one transaction."""
        _check_direction(direction)
        roles = [(direction.lead, ROLE_LEAD, direction.due_date)]
        roles += [(code, ROLE_COOPERATE, direction.due_date) for code in direction.cooperate]
        roles += [(code, ROLE_INFORM, None) for code in direction.inform]
        now = _now()
        with self.db.transaction() as conn:
            doc = _document(conn, document_id)
            mailboxes = dict(conn.execute(sa.select(Department.code, Department.mailbox)
                                          .where(Department.code.in_([code for code, _, _ in roles]))).all())
            missing = [code for code, _, _ in roles if code not in mailboxes]
            if missing:
                raise NotFound(f"không có đơn vị {', '.join(missing)}")
            conn.execute(sa.insert(Direction.__table__).values(
                document_id=document_id, directed_by=direction.directed_by, recorded_by=recorded_by,
                directed_at=now, opinion=direction.opinion, lead=direction.lead, cooperate=list(direction.cooperate),
                inform=list(direction.inform), due_date=direction.due_date))
            held = {row.unit_code: row for row in conn.execute(
                sa.select(Assignment.__table__).where(Assignment.document_id == document_id))}
            for code in set(held) - {code for code, _, _ in roles}:
                conn.execute(sa.delete(Assignment.__table__).where(Assignment.id == held[code].id))
            for code, role, due in roles:
                old = held.get(code)
                if old is None:
                    conn.execute(sa.insert(Assignment.__table__).values(
                        document_id=document_id, unit_code=code, role=role, due_date=due, status=ASSIGNMENT_NEW,
                        assigned_at=now, assigned_by=direction.directed_by, updated_at=now, updated_by=recorded_by,
                        note=""))
                else:
                    status = ASSIGNMENT_NEW if old.status == ASSIGNMENT_PROPOSED else old.status
                    conn.execute(sa.update(Assignment.__table__).where(Assignment.id == old.id).values(
                        role=role, due_date=due, status=status, updated_at=now, updated_by=recorded_by))
            conn.execute(sa.update(Document).where(Document.id == document_id).values(due_date=direction.due_date))
            forwarded = set(conn.execute(sa.select(OutboxMessage.unit_code).where(
                OutboxMessage.document_id == document_id, OutboxMessage.kind == "forward")).scalars())
            looping = sorted(code for code, _, _ in roles if mailboxes.get(code) and self.own_address(mailboxes[code]))
            mail = tuple(QueuedMail.new("forward", mailboxes[code], self.mail_domain, unit_code=code)
                         for code, _, _ in roles
                         if mailboxes.get(code) and code not in forwarded and code not in looping)
            if mail:
                queue_mail(conn, document_id, mail)
            record_audit(conn, "direction-recorded", actor=recorded_by, message_id=doc.message_id,
                         document_id=document_id, detail={
                             "directed_by": direction.directed_by, "opinion": direction.opinion,
                             "lead": direction.lead, "cooperate": list(direction.cooperate),
                             "inform": list(direction.inform), "due_date": _audit_value(direction.due_date),
                             "forwarded": [m.unit_code for m in mail], "not_forwarded_own_address": looping,
                             "removed": sorted(set(held) - {code for code, _, _ in roles})})

    def return_to_sender(self, document_id: int, reason: str, actor: str, mail: QueuedMail,
                         body_sha256: str) -> None:
        """A registered document sent back to its sender (ND30 Điều 21): it keeps its số đến, its status becomes
        "returned", the return mail (prepared whole) is queued and audited — one transaction."""
        if not reason.strip():
            raise EditError("trả lại văn bản cần ghi lý do")
        now = _now()
        with self.db.transaction() as conn:
            doc = _document(conn, document_id)
            if doc.status in (RETURNED, RECALLED):
                raise EditError(f"văn bản {document_id} đã {'trả lại' if doc.status == RETURNED else 'thu hồi'}")
            conn.execute(sa.update(Document).where(Document.id == document_id).values(status=RETURNED))
            conn.execute(OutboxMessage.__table__.insert().values(
                document_id=document_id, kind=mail.kind, unit_code="", recipient=mail.recipient,
                message_id_header=mail.message_id, in_reply_to=mail.in_reply_to, priority=mail.priority,
                state="queued", attempts=0, next_attempt_at=now, lease_until=None, created_at=now, sent_at=None,
                last_error="", body_sha256=body_sha256, once_key=None))
            record_audit(conn, "returned-to-sender", actor=actor, message_id=doc.message_id,
                         document_id=document_id, detail={"reason": reason, "to": mail.recipient,
                                                          "message_id": mail.message_id, "old": doc.status})


def _check_direction(direction: DirectionInput) -> None:
    units = [direction.lead, *direction.cooperate, *direction.inform]
    if not direction.lead.strip():
        raise EditError("ý kiến chỉ đạo cần đúng một đơn vị chủ trì")
    if len(units) != len(set(units)):
        raise EditError("một đơn vị chỉ có một vai trò: chủ trì, phối hợp hoặc để biết")
    if not direction.directed_by.strip():
        raise EditError("ý kiến chỉ đạo cần tên lãnh đạo cho ý kiến")


def _document(conn: sa.Connection, document_id: int) -> sa.Row:
    row = conn.execute(sa.select(Document.id, Document.message_id, Document.status)
                       .where(Document.id == document_id)).first()
    if row is None:
        raise NotFound(f"no document {document_id}")
    return row


def _assignment(conn: sa.Connection, document_id: int, unit_code: str) -> sa.Row:
    row = conn.execute(sa.select(Assignment.__table__).where(
        Assignment.document_id == document_id, Assignment.unit_code == unit_code)).first()
    if row is None:
        raise NotFound(f"document {document_id} is not assigned to {unit_code}")
    return row
