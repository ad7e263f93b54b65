"""What people change in a registered document: fields (corrected or confirmed), assignments, handling status.
Each change writes the row, its audit event and (for text) the search index in one transaction under the writer
lock. Messages are Vietnamese: they are shown to the văn thư as they are."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from gateway.core.errors import GatewayError, NotFound
from gateway.register.audit import record_audit
from gateway.register.db import Database
from gateway.register.index import add_to_index
from gateway.register.models import Assignment, Department, Direction, Document, OutboxMessage
from gateway.register.outbox import QueuedMail, queue_mail, queue_prepared_in
from gateway.register.review import MANUAL, review_confidence, settled
from gateway.register.search import Searcher
from gateway.register.terms import (
    ASSIGNMENT_DONE,
    ASSIGNMENT_IN_PROGRESS,
    ASSIGNMENT_NEW,
    ASSIGNMENT_PROPOSED,
    HANDLED,
    RECALLED,
    RETURNED,
    ROLE_COOPERATE,
    ROLE_INFORM,
    ROLE_LEAD,
)

# The register fields a person may correct, by kind of value.
TEXT_FIELDS = (
    "code_number", "code_notation", "place", "organ_name", "organ_id", "type_name", "type_code", "subject",
    "signer_position", "signer_name", "addressees", "to_places", "description",
)
DATE_FIELDS = ("issued_date", "due_date")
LEVEL_FIELDS = ("urgency", "secrecy")  # 0..3: thường, khẩn/mật, thượng khẩn/tối mật, hỏa tốc/tuyệt mật
INT_FIELDS = LEVEL_FIELDS + ("page_amount",)
EDITABLE_FIELDS = TEXT_FIELDS + DATE_FIELDS + INT_FIELDS
ASSIGNMENT_ROLES = (ROLE_LEAD, ROLE_COOPERATE, ROLE_INFORM)
ASSIGNMENT_STATES = (ASSIGNMENT_NEW, ASSIGNMENT_IN_PROGRESS, ASSIGNMENT_DONE)


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
        _check_names(changes)
        if "subject" in changes and not str(changes["subject"] or "").strip():
            raise EditError("Trích yếu không được để trống.")
        for name in LEVEL_FIELDS:
            if name in changes and changes[name] not in (0, 1, 2, 3):
                raise EditError(f"{_LEVEL_NAMES[name]} phải là một trong các mức 0, 1, 2, 3.")
        result: dict[str, tuple[Any, Any]] = {}
        with self.db.transaction() as conn:
            row = _fields(conn, document_id, changes)
            sources = dict(row.field_sources or {})
            changed: dict[str, Any] = {}
            for name, value in changes.items():
                old = getattr(row, name)
                result[name] = (old, value)
                if old == value:
                    continue
                changed[name] = value
                sources[name] = {"source": MANUAL, "confidence": 1.0, "by": actor, "at": _now().isoformat()}
            if not changed:
                return result
            conn.execute(sa.update(Document).where(Document.id == document_id).values(
                {**changed, "field_sources": sources, "review_confidence": review_confidence(sources)}))
            text = "\n".join(str(v) for k, v in changed.items() if k in TEXT_FIELDS and v)
            add_to_index(conn, self.searcher, document_id, text)
            for name, value in changed.items():
                record_audit(conn, "field-corrected", actor=actor, message_id=row.message_id,
                             document_id=document_id,
                             detail={"field": name, "old": _audit_value(result[name][0]), "new": _audit_value(value)})
        return result

    def confirm(self, document_id: int, fields: Iterable[str], actor: str) -> list[str]:
        """Record that ``actor`` checked these fields against the document and found them right.

        The reader's value, source and confidence stay; who confirmed and when are added to its field source.
        Writes the row and one field-confirmed event per field, nothing else. Returns the fields confirmed now
        (one already confirmed or typed by a person is left as it is).
        """
        names = list(dict.fromkeys(fields))
        _check_names(names)
        if not names:
            return []
        with self.db.transaction() as conn:
            row = _fields(conn, document_id, names)
            sources = dict(row.field_sources or {})
            now = _now().isoformat()
            done = []
            for name in names:
                source = sources.get(name)
                if settled(source):
                    continue
                value = _audit_value(getattr(row, name))
                entry = dict(source) if isinstance(source, Mapping) else {"source": "none", "confidence": 0.0}
                entry.update(value=value, confirmed_by=actor, confirmed_at=now)
                sources[name] = entry
                done.append((name, value))
            if not done:
                return []
            conn.execute(sa.update(Document).where(Document.id == document_id).values(
                field_sources=sources, review_confidence=review_confidence(sources)))
            for name, value in done:
                record_audit(conn, "field-confirmed", actor=actor, message_id=row.message_id,
                             document_id=document_id, detail={"field": name, "value": value})
        return [name for name, _ in done]

    def assign(self, document_id: int, unit_code: str, role: str, due_date: dt.date | None, actor: str,
               note: str = "") -> None:
        """Assign (or re-assign) a unit to a document with a role and deadline; audited with the previous values.

        A document has one chủ trì: making a second unit the lead is refused (EditError) until the first one is
        made phối hợp or taken off, so that no one is left believing they lead.
        """
        if role not in ASSIGNMENT_ROLES:
            raise EditError("Vai trò phải là chủ trì, phối hợp hoặc để biết.")
        with self.db.transaction() as conn:
            doc = _document(conn, document_id, lock=True)
            if conn.execute(sa.select(Department.code).where(Department.code == unit_code)).first() is None:
                raise NotFound(f"Không có đơn vị mã {unit_code}.")
            if role == ROLE_LEAD:
                lead = conn.execute(
                    sa.select(Assignment.unit_code, Department.name)
                    .join(Department, Department.code == Assignment.unit_code)
                    .where(Assignment.document_id == document_id, Assignment.role == ROLE_LEAD,
                           Assignment.unit_code != unit_code)).first()
                if lead is not None:
                    raise EditError(
                        f"Văn bản đã có đơn vị chủ trì: {lead.name} ({lead.unit_code}). Mỗi văn bản chỉ có một "
                        f"đơn vị chủ trì: đổi {lead.unit_code} sang phối hợp hoặc bỏ giao trước.")
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
            raise EditError("Trạng thái phải là chưa xử lý, đang xử lý hoặc hoàn thành.")
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
        with self.db.transaction() as conn:
            doc = _document(conn, document_id)
            if doc.status == RETURNED:
                raise EditError(f"văn bản {document_id} đã trả lại")
            conn.execute(sa.update(Document).where(Document.id == document_id).values(status=RETURNED))
            queue_prepared_in(conn, mail, body_sha256, document_id)
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


_LEVEL_NAMES = {"urgency": "Độ khẩn", "secrecy": "Độ mật"}


def no_document(document_id: int) -> str:
    """The message of a NotFound for a document id."""
    return f"Không có văn bản mã {document_id}."


def _check_names(names: Iterable[str]) -> None:
    unknown = sorted(set(names) - set(EDITABLE_FIELDS))
    if unknown:
        raise EditError(f"Không sửa được trường {', '.join(unknown)}.")


def _fields(conn: sa.Connection, document_id: int, names: Iterable[str]) -> sa.Row:
    """The named fields of a document with its field sources and message id; NotFound when there is none."""
    columns = [getattr(Document, name) for name in names]
    row = conn.execute(sa.select(*columns, Document.id, Document.field_sources, Document.message_id, Document.status)
                       .where(Document.id == document_id)).first()
    if row is None:
        raise NotFound(no_document(document_id))
    _check_not_recalled(row)
    return row


def _check_not_recalled(row: sa.Row) -> None:
    """A recalled document keeps only its số đến and the record of the recall: nothing more is written to it."""
    if row.status == RECALLED:
        raise EditError(f"Văn bản mã {row.id} đã bị thu hồi: không sửa, giao việc hay chỉ đạo được nữa.")


def _document(conn: sa.Connection, document_id: int, lock: bool = False) -> sa.Row:
    query = sa.select(Document.id, Document.message_id, Document.status).where(Document.id == document_id)
    # On PostgreSQL the row lock queues two assignments of one document (the one-lead check); SQLite writers
    # are serialised already.
    row = conn.execute(query.with_for_update() if lock else query).first()
    if row is None:
        raise NotFound(no_document(document_id))
    _check_not_recalled(row)
    return row


def _assignment(conn: sa.Connection, document_id: int, unit_code: str) -> sa.Row:
    row = conn.execute(sa.select(Assignment.__table__).where(
        Assignment.document_id == document_id, Assignment.unit_code == unit_code)).first()
    if row is None:
        raise NotFound(f"Văn bản mã {document_id} chưa giao cho đơn vị {unit_code}.")
    return row
