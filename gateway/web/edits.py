"""What văn thư and department staff change from the web: each change and its audit event in one transaction."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from gateway.core.errors import GatewayError, NotFound
from gateway.core.text import canonical_tones, fold, nfc
from gateway.register.audit import record_audit
from gateway.register.models import (
    ASSIGNMENT_DONE,
    ASSIGNMENT_IN_PROGRESS,
    ASSIGNMENT_NEW,
    ROLE_COOPERATE,
    ROLE_INFORM,
    ROLE_LEAD,
    Assignment,
    Department,
    Document,
)
from gateway.register.search import searcher_for

# Fields a văn thư may correct, with how the typed text becomes a value ("" clears dates and numbers).
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


class EditError(GatewayError):
    """A change that cannot be made as asked (unknown field, bad date, unknown unit)."""


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def parse_field(name: str, raw: str) -> Any:
    """The value to store for field ``name`` typed as ``raw``; EditError when it does not fit."""
    raw = nfc(raw).strip()
    if name in TEXT_FIELDS:
        if name == "subject" and not raw:
            raise EditError("trích yếu cannot be empty")
        return raw
    if name in DATE_FIELDS:
        return parse_date(raw)
    if name in INT_FIELDS:
        if not raw:
            return None if name == "page_amount" else 0
        if not raw.isdigit() or int(raw) > 1_000_000:
            raise EditError(f"{name}: not a whole number: {raw!r}")
        return int(raw)
    raise EditError(f"field {name!r} cannot be corrected; fields: {', '.join(EDITABLE_FIELDS)}")


def parse_date(text: str) -> dt.date | None:
    """A typed date (YYYY-MM-DD or DD/MM/YYYY); None when empty, EditError when unreadable."""
    text = text.strip()
    if not text:
        return None
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise EditError(f"not a date (DD/MM/YYYY): {text!r}")


def _audit_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def correct_field(engine: Engine, document_id: int, name: str, raw: str, actor: str) -> tuple[Any, Any]:
    """Set one field of a document, mark its source as manual and audit the old and new value; returns both.

    The UPDATE and its audit event share one transaction (the lead may swap in a shared helper here).
    """
    value = parse_field(name, raw)
    column = getattr(Document, name)
    with engine.begin() as conn:
        row = conn.execute(sa.select(column, Document.field_sources, Document.message_id)
                           .where(Document.id == document_id)).first()
        if row is None:
            raise NotFound(f"no document {document_id}")
        old = row[0]
        if old == value:
            return old, value
        sources = dict(row.field_sources or {})
        sources[name] = {"source": "manual", "confidence": 1.0, "by": actor, "at": _now().isoformat()}
        conn.execute(sa.update(Document).where(Document.id == document_id).values({name: value, "field_sources": sources}))
        if name in TEXT_FIELDS and value:
            _add_to_index(conn, document_id, value)
        record_audit(conn, "field-corrected", actor=actor, message_id=row.message_id, document_id=document_id,
                     detail={"field": name, "old": _audit_value(old), "new": _audit_value(value)})
    return old, value


def _add_to_index(conn: sa.Connection, document_id: int, text: str) -> None:
    """Make a corrected value findable: the document's index text gains it (old words stay findable too)."""
    searcher = searcher_for(conn)
    with Session(bind=conn) as session:
        current, _ = searcher.indexed_text(session, document_id)
        exact = "\n".join(p for p in (current or "", canonical_tones(text)) if p)
        searcher.index_document(session, document_id, exact, fold(exact))
        session.flush()


def set_assignment(engine: Engine, document_id: int, unit_code: str, role: str, due_date: dt.date | None,
                   actor: str, note: str = "") -> None:
    """Assign (or re-assign) a unit to a document with a role and deadline; audited with the previous values."""
    if role not in ASSIGNMENT_ROLES:
        raise EditError(f"role must be one of {', '.join(ASSIGNMENT_ROLES)}")
    with engine.begin() as conn:
        doc = _document(conn, document_id)
        if conn.execute(sa.select(Department.code).where(Department.code == unit_code)).first() is None:
            raise NotFound(f"no department with code {unit_code!r}")
        old = conn.execute(sa.select(Assignment.__table__).where(
            Assignment.document_id == document_id, Assignment.unit_code == unit_code)).first()
        now = _now()
        if old is None:
            conn.execute(sa.insert(Assignment.__table__).values(
                document_id=document_id, unit_code=unit_code, role=role, due_date=due_date, status=ASSIGNMENT_NEW,
                assigned_at=now, assigned_by=actor, updated_at=now, updated_by=actor, note=note))
            before = None
        else:
            conn.execute(sa.update(Assignment.__table__).where(Assignment.id == old.id).values(
                role=role, due_date=due_date, updated_at=now, updated_by=actor, note=note or old.note))
            before = {"role": old.role, "due_date": _audit_value(old.due_date)}
        record_audit(conn, "assignment-set", actor=actor, message_id=doc.message_id, document_id=document_id,
                     detail={"unit": unit_code, "old": before,
                             "new": {"role": role, "due_date": _audit_value(due_date)}})


def remove_assignment(engine: Engine, document_id: int, unit_code: str, actor: str) -> None:
    """Take a unit off a document; audited with what it had."""
    with engine.begin() as conn:
        doc = _document(conn, document_id)
        old = _assignment(conn, document_id, unit_code)
        conn.execute(sa.delete(Assignment.__table__).where(Assignment.id == old.id))
        record_audit(conn, "assignment-removed", actor=actor, message_id=doc.message_id, document_id=document_id,
                     detail={"unit": unit_code, "old": {"role": old.role, "due_date": _audit_value(old.due_date),
                                                        "status": old.status}})


def set_assignment_status(engine: Engine, document_id: int, unit_code: str, status: str, actor: str) -> None:
    """Move one unit's assignment to new, in_progress or done; audited with the previous status."""
    if status not in ASSIGNMENT_STATES:
        raise EditError(f"status must be one of {', '.join(ASSIGNMENT_STATES)}")
    with engine.begin() as conn:
        doc = _document(conn, document_id)
        old = _assignment(conn, document_id, unit_code)
        if old.status == status:
            return
        conn.execute(sa.update(Assignment.__table__).where(Assignment.id == old.id).values(
            status=status, updated_at=_now(), updated_by=actor))
        record_audit(conn, "assignment-status", actor=actor, message_id=doc.message_id, document_id=document_id,
                     detail={"unit": unit_code, "old": old.status, "new": status})


def mark_handled(engine: Engine, document_id: int, actor: str) -> None:
    """Set the document's status to handled (đã xử lý xong); audited with the previous status."""
    with engine.begin() as conn:
        doc = _document(conn, document_id)
        if doc.status == HANDLED:
            return
        conn.execute(sa.update(Document).where(Document.id == document_id).values(status=HANDLED))
        record_audit(conn, "document-handled", actor=actor, message_id=doc.message_id, document_id=document_id,
                     detail={"old": doc.status, "new": HANDLED})


def audit_access(engine: Engine, action: str, actor: str, document_id: int | None = None,
                 message_id: int | None = None, **detail: Any) -> None:
    """Record that someone viewed, searched, downloaded or exported something."""
    with engine.begin() as conn:
        record_audit(conn, action, actor=actor, message_id=message_id, document_id=document_id, detail=detail)


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


