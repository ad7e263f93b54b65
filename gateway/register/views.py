"""Read models for people's screens: sổ rows with their units, export rows, dashboard counts and deadlines, a
unit's work list, and the fields people confirmed (read back as labels for the field reader's benchmark)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from gateway.core.errors import NotFound
from gateway.register import scope as scopes
from gateway.register.db import Database
from gateway.register.decisions import RoutingView, load_assignments, load_routing
from gateway.register.models import (
    OPEN_ASSIGNMENTS_SQL,
    Assignment,
    Attachment,
    Department,
    Direction,
    Document,
    Message,
    RegisterBook,
)
from gateway.register.records import AssignmentView
from gateway.register.review import settled
from gateway.register.scope import Scope, assignment_scope, scope_clause
from gateway.register.terms import ASSIGNMENT_DONE, ASSIGNMENT_IN_PROGRESS, ASSIGNMENT_NEW, ROLE_INFORM, ROLE_LEAD

EXPORT_MAX_ROWS = 100_000
OPEN_STATES = (ASSIGNMENT_NEW, ASSIGNMENT_IN_PROGRESS)
# The open states written out as the partial indexes' own condition: SQLite uses a partial index only for a
# query whose WHERE contains that very term (a bound-parameter IN list does not prove it).
OPEN_ASSIGNMENT = sa.text("assignments." + OPEN_ASSIGNMENTS_SQL)
assert OPEN_ASSIGNMENTS_SQL == "status IN ({})".format(", ".join(f"'{s}'" for s in OPEN_STATES))
# Work to do: an open assignment that is not "để biết" (inform needs no action, so it is never open work).
OPEN_WORK = sa.and_(OPEN_ASSIGNMENT, Assignment.role != ROLE_INFORM)


@dataclass(frozen=True)
class RegisterRow:
    """One line of the sổ đăng ký văn bản đến (ND30 Phụ lục IV)."""

    id: int
    register_code: str
    year: int
    arrival_number: int | None  # None while it waits for messages received before it
    arrival_date: dt.date
    arrived_at: dt.datetime
    organ_name: str
    code_number: str
    code_notation: str
    issued_date: dt.date | None
    type_name: str
    subject: str
    sender: str
    status: str
    due_date: dt.date | None
    description: str
    review_confidence: float | None = None
    secrecy: int = 0
    assignments: tuple[AssignmentView, ...] = field(default=())

    @property
    def code(self) -> str:
        return "/".join(p for p in (self.code_number, self.code_notation) if p)

    @property
    def deadline(self) -> dt.date | None:
        """The document's own hạn giải quyết, else the earliest deadline of unfinished work (không tính để biết)."""
        if self.due_date:
            return self.due_date
        open_dues = [a.due_date for a in self.assignments
                     if a.due_date and a.status != ASSIGNMENT_DONE and a.role != ROLE_INFORM]
        return min(open_dues) if open_dues else None

    @property
    def lead(self) -> str:
        """The code of the chủ trì unit, "" when there is none."""
        return next((a.unit_code for a in self.assignments if a.role == ROLE_LEAD), "")

    @property
    def secret(self) -> bool:
        return self.register_code.endswith("mat") or self.secrecy > 0

    def needs_review(self, below: float) -> bool:
        """A read field is less sure than ``below`` and nobody has confirmed or corrected it."""
        return self.review_confidence is not None and self.review_confidence < below

    @property
    def units(self) -> str:
        return ", ".join(a.unit_name or a.unit_code for a in self.assignments)


_ROW_COLUMNS = (
    Document.id, RegisterBook.code.label("register_code"), Document.year, Document.arrival_number,
    Document.arrival_date, Document.arrived_at, Document.organ_name, Document.code_number, Document.code_notation,
    Document.issued_date, Document.type_name, Document.subject, Message.from_addr, Message.mail_from,
    Document.status, Document.due_date, Document.description, Document.review_confidence, Document.secrecy,
)


class RegisterViews:
    """Read queries for pages, API answers and exports."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def rows(self, ids: list[int]) -> list[RegisterRow]:
        """Register rows for these document ids, in the given order."""
        if not ids:
            return []
        with self.db.reading() as conn:
            found = conn.execute(self._row_select().where(Document.id.in_(ids))).all()
            assignments = load_assignments(conn, ids)
        by_id = {r.id: _row(r, assignments.get(r.id, ())) for r in found}
        return [by_id[i] for i in ids if i in by_id]

    def export_rows(self, scope: Scope, date_from: dt.date, date_to: dt.date) -> list[RegisterRow]:
        """Every visible document that arrived in the date range, in register order (capped at EXPORT_MAX_ROWS)."""
        with self.db.reading() as conn:
            found = conn.execute(
                self._row_select()
                .where(Document.arrival_date >= date_from, Document.arrival_date <= date_to, scope_clause(scope))
                .order_by(RegisterBook.code, Document.year, Document.arrival_number)
                .limit(EXPORT_MAX_ROWS)
            ).all()
            ids = [r.id for r in found]
            assignments: dict[int, tuple[AssignmentView, ...]] = {}
            for start in range(0, len(ids), 500):
                assignments.update(load_assignments(conn, ids[start : start + 500]))
        return [_row(r, assignments.get(r.id, ())) for r in found]

    @staticmethod
    def _row_select() -> sa.Select:
        return (
            sa.select(*_ROW_COLUMNS)
            .join(Message, Message.id == Document.message_id)
            .join(RegisterBook, RegisterBook.id == Document.register_id)
        )

    def assignments(self, document_id: int) -> tuple[AssignmentView, ...]:
        with self.db.reading() as conn:
            return load_assignments(conn, [document_id]).get(document_id, ())

    def departments(self, active_only: bool = True) -> list[tuple[str, str]]:
        with self.db.reading() as conn:
            query = sa.select(Department.code, Department.name).order_by(Department.code)
            if active_only:
                query = query.where(Department.active.is_(True))
            return [(c, n) for c, n in conn.execute(query).all()]

    def arrivals_on(self, scope: Scope, day: dt.date) -> int:
        with self.db.reading() as conn:
            return conn.execute(
                sa.select(sa.func.count()).select_from(Document).where(Document.arrival_date == day, scope_clause(scope))
            ).scalar_one()

    def deadlines(self, scope: Scope, today: dt.date, soon_days: int) -> list[dict[str, Any]]:
        """Per unit: open work (không tính để biết) overdue and due within ``soon_days`` (units the scope shows)."""
        soon = today + dt.timedelta(days=soon_days)
        overdue = sa.func.sum(sa.case((Assignment.due_date < today, 1), else_=0))
        due_soon = sa.func.sum(sa.case((sa.and_(Assignment.due_date >= today, Assignment.due_date <= soon), 1), else_=0))
        # Counted per unit in the open-assignment index's order, names added after: joining departments per
        # assignment row made the database sort tens of thousands of rows to group them.
        counts = (
            sa.select(Assignment.unit_code, sa.func.count().label("n"), overdue.label("overdue"),
                      due_soon.label("soon"))
            .where(OPEN_WORK, assignment_scope(scope))
            .group_by(Assignment.unit_code)
            .subquery()
        )
        query = (
            sa.select(counts.c.unit_code, Department.name, counts.c.n, counts.c.overdue, counts.c.soon)
            .join(Department, Department.code == counts.c.unit_code)
            .order_by(counts.c.unit_code)
        )
        with self.db.reading() as conn:
            rows = conn.execute(query).all()
        return [dict(unit=u, name=n, open=int(c), overdue=int(o or 0), due_soon=int(s or 0)) for u, n, c, o, s in rows]

    def overdue_list(self, scope: Scope, today: dt.date, soon_days: int, limit: int = 50) -> list[dict[str, Any]]:
        """Open work (không tính để biết) due on or before today + soon_days, earliest first."""
        soon = today + dt.timedelta(days=soon_days)
        query = (
            sa.select(Assignment.document_id, Assignment.unit_code, Assignment.due_date, Assignment.status,
                      Document.year, Document.arrival_number, Document.subject)
            .join(Document, Document.id == Assignment.document_id)
            .where(OPEN_WORK, Assignment.due_date <= soon, assignment_scope(scope))
            .order_by(Assignment.due_date, Assignment.document_id).limit(limit)
        )
        with self.db.reading() as conn:
            rows = conn.execute(query).all()
        return [dict(document_id=r.document_id, unit=r.unit_code, due_date=r.due_date, status=r.status,
                     year=r.year, number=r.arrival_number, subject=r.subject, overdue=r.due_date < today)
                for r in rows]

    def due_work(self, until: dt.date) -> list[DueItem]:
        """Every unit's open work (chủ trì and phối hợp, not để biết) due on or before ``until``, by unit and
        deadline: what the daily follow-up (đôn đốc) lists."""
        query = (
            sa.select(Assignment.unit_code, Department.name, Department.mailbox, Assignment.role,
                      Assignment.due_date, Assignment.status, Document.id, Document.year, Document.arrival_number,
                      Document.code_number, Document.code_notation, Document.organ_name, Document.subject)
            .join(Document, Document.id == Assignment.document_id)
            .join(Department, Department.code == Assignment.unit_code)
            .where(OPEN_ASSIGNMENT, Assignment.role != ROLE_INFORM, Assignment.due_date <= until)
            .order_by(Assignment.unit_code, Assignment.due_date, Document.id)
        )
        with self.db.reading() as conn:
            rows = conn.execute(query).all()
        return [DueItem(r.unit_code, r.name, r.mailbox, r.role, r.due_date, r.status, r.id, r.year, r.arrival_number,
                        "/".join(p for p in (r.code_number, r.code_notation) if p), r.organ_name, r.subject)
                for r in rows]
    def work_list(self, scope: Scope, units: tuple[str, ...], today: dt.date, limit: int = 100) -> list[WorkItem]:
        """The open work of these units (chủ trì, phối hợp), by deadline, those without one last; then the
        "để biết" documents of the last 30 days, newest first."""
        if not units:
            return []
        columns = (Assignment.document_id, Assignment.unit_code, Assignment.role, Assignment.due_date,
                   Assignment.status, Document.year, Document.arrival_number, Document.arrival_date,
                   Document.organ_name, Document.type_name, Document.subject, Document.due_date.label("doc_due"))
        visible = sa.and_(Assignment.unit_code.in_(units), assignment_scope(scope))
        due = sa.func.coalesce(Assignment.due_date, Document.due_date)
        work = (sa.select(*columns).join(Document, Document.id == Assignment.document_id)
                .where(OPEN_WORK, visible)
                .order_by(due.is_(None), due, Assignment.document_id).limit(limit))
        since = today - dt.timedelta(days=30)
        informed = (sa.select(*columns).join(Document, Document.id == Assignment.document_id)
                    .where(Assignment.role == ROLE_INFORM, Document.arrival_date >= since, visible)
                    .order_by(Assignment.document_id.desc()).limit(limit))
        with self.db.reading() as conn:
            rows = conn.execute(work).all() + conn.execute(informed).all()
        return [WorkItem(r.document_id, r.unit_code, r.role, r.due_date or r.doc_due, r.status, r.year,
                         r.arrival_number, r.arrival_date, r.organ_name, r.type_name, r.subject) for r in rows]

    def reviewed_documents(self, after_id: int, limit: int, date_from: dt.date | None = None,
                           date_to: dt.date | None = None) -> tuple[int, list[ReviewedDocument]]:
        """Documents with ids above ``after_id`` (a batch of ``limit`` ids looked at) that have fields a person
        confirmed or corrected: their values and the file that holds the document.

        Returns the last id looked at (the caller goes on from there until it gets 0) and the documents found.
        """
        query = (sa.select(Document.id, Document.field_sources, *(getattr(Document, n) for n in _LABEL_COLUMNS))
                 .where(Document.id > after_id).order_by(Document.id).limit(limit))
        if date_from is not None:
            query = query.where(Document.arrival_date >= date_from)
        if date_to is not None:
            query = query.where(Document.arrival_date <= date_to)
        with self.db.reading() as conn:
            rows = conn.execute(query).all()
            found = []
            for row in rows:
                sources = row.field_sources or {}
                names = tuple(n for n in _LABEL_COLUMNS if settled(sources.get(n)))
                if names:
                    found.append((row, names))
            files = _document_files(conn, [row.id for row, _ in found])
        last = rows[-1].id if rows else 0
        return last, [ReviewedDocument(row.id, {n: getattr(row, n) for n in _LABEL_COLUMNS}, names,
                                       files.get(row.id)) for row, names in found]

    def check_visible(self, scope: Scope, document_id: int) -> None:
        """NotFound unless the document exists and ``scope`` shows it."""
        with self.db.reading() as conn:
            scopes.check_visible(conn, scope, document_id)

    def routing(self, document_id: int) -> RoutingView | None:
        """The routing of a document: decision, assignments and outbound mail (None when it has none)."""
        with self.db.reading() as conn:
            return load_routing(conn, document_id)

    def directions(self, document_id: int) -> tuple[DirectionView, ...]:
        """The leader's directions on a document, oldest first (the last is in force)."""
        with self.db.reading() as conn:
            return load_directions(conn, document_id)

    def attachment(self, document_id: int, attachment_id: int) -> StoredFile:
        """Where the bytes of one file of a document are; NotFound when the document has no such file."""
        with self.db.reading() as conn:
            row = conn.execute(
                sa.select(Attachment.filename, Attachment.sha256, Attachment.sniffed_type, Attachment.message_id)
                .join(Document, Document.message_id == Attachment.message_id)
                .where(Attachment.id == attachment_id, Document.id == document_id)
            ).first()
        if row is None:
            raise NotFound(f"Văn bản mã {document_id} không có tệp mã {attachment_id}.")
        return StoredFile(attachment_id, row.filename, row.sha256, row.sniffed_type, row.message_id)


@dataclass(frozen=True)
class DueItem:
    """One unit's open share of a document with its deadline, for the daily follow-up."""

    unit_code: str
    unit_name: str
    mailbox: str
    role: str
    due_date: dt.date
    status: str
    document_id: int
    year: int
    arrival_number: int | None
    code: str
    organ_name: str
    subject: str


@dataclass(frozen=True)
class WorkItem:
    """One unit's share of a document on that unit's work list."""

    document_id: int
    unit_code: str
    role: str
    due_date: dt.date | None  # the assignment's deadline, else the document's
    status: str
    year: int
    arrival_number: int | None  # None while it waits for messages received before it
    arrival_date: dt.date
    organ_name: str
    type_name: str
    subject: str


# The columns a confirmation can make a label of (bench/fields.py's keys are worked out by the caller).
_LABEL_COLUMNS = ("code_number", "code_notation", "issued_date", "place", "organ_name", "type_name", "subject",
                  "signer_name", "signer_position", "addressees")
# Which file holds the document when a message has several: the first of these kinds, in this order.
_DOCUMENT_KINDS = ("pdf", "docx", "doc", "xml")


@dataclass(frozen=True)
class ReviewedDocument:
    """A document with the fields people confirmed or corrected, and the file the document is in."""

    id: int
    values: dict[str, Any]
    settled: tuple[str, ...]  # the fields a person confirmed or typed
    file: StoredFile | None


def _document_files(conn: sa.Connection, ids: list[int]) -> dict[int, StoredFile]:
    """The file each document is in: its first PDF, else DOCX, DOC, edXML, else its first file."""
    if not ids:
        return {}
    rows = conn.execute(
        sa.select(Document.id.label("document_id"), Attachment.id, Attachment.filename, Attachment.sha256,
                  Attachment.sniffed_type, Attachment.message_id, Attachment.extract_status)
        .join(Attachment, Attachment.message_id == Document.message_id)
        .where(Document.id.in_(ids)).order_by(Attachment.id)
    ).all()
    best: dict[int, Any] = {}
    for row in rows:
        rank = _DOCUMENT_KINDS.index(row.sniffed_type) if row.sniffed_type in _DOCUMENT_KINDS else len(_DOCUMENT_KINDS)
        held = best.get(row.document_id)
        if held is None or rank < held[0]:
            best[row.document_id] = (rank, row)
    return {doc_id: StoredFile(r.id, r.filename, r.sha256, r.sniffed_type, r.message_id,
                               scanned=r.extract_status == "empty")
            for doc_id, (_rank, r) in best.items()}


@dataclass(frozen=True)
class StoredFile:
    """One file of a document: its name, type and the blob that holds its bytes."""

    id: int
    filename: str
    sha256: str
    sniffed_type: str
    message_id: int
    scanned: bool = False  # a PDF without a text layer


def _row(r: Any, assignments: tuple[AssignmentView, ...]) -> RegisterRow:
    return RegisterRow(
        id=r.id, register_code=r.register_code, year=r.year, arrival_number=r.arrival_number,
        arrival_date=r.arrival_date, arrived_at=r.arrived_at, organ_name=r.organ_name, code_number=r.code_number,
        code_notation=r.code_notation, issued_date=r.issued_date, type_name=r.type_name, subject=r.subject,
        sender=r.from_addr or r.mail_from, status=r.status, due_date=r.due_date, description=r.description,
        review_confidence=r.review_confidence, secrecy=r.secrecy, assignments=assignments,
    )


@dataclass(frozen=True)
class DirectionView:
    """A leader's direction as recorded (the last one is in force)."""

    directed_by: str
    recorded_by: str
    directed_at: dt.datetime
    opinion: str
    lead: str
    cooperate: tuple[str, ...]
    inform: tuple[str, ...]
    due_date: dt.date | None


def load_directions(conn: sa.Connection, document_id: int) -> tuple[DirectionView, ...]:
    """The directions recorded on a document, oldest first."""
    rows = conn.execute(sa.select(Direction.__table__).where(Direction.document_id == document_id)
                        .order_by(Direction.id)).all()
    return tuple(DirectionView(r.directed_by, r.recorded_by, r.directed_at, r.opinion, r.lead, tuple(r.cooperate or ()),
                               tuple(r.inform or ()), r.due_date) for r in rows)
