"""Recall, update and replace (ND30 Điều 18.4.b; edXML BusinessDocType 1, 2, 3): a recalled document loses its
files and fields but keeps its số đến (shown "đã thu hồi") and the record of the recall; a newer version is linked
to the one it updates or replaces."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from dataclasses import dataclass

import sqlalchemy as sa

from gateway.core.errors import GatewayError, NotFound
from gateway.register.audit import message_bytes_kept, record_audit
from gateway.register.blobs import BlobStore, DatabaseBlobs
from gateway.register.db import Database
from gateway.register.models import (
    Assignment,
    Attachment,
    AuditEvent,
    Document,
    DocumentLink,
    Message,
    OcrJob,
    OutboxMessage,
    Recall,
    RegisterBook,
    same_code,
)
from gateway.register.outbox import QueuedMail, queue_prepared_in
from gateway.register.search import Searcher
from gateway.register.terms import OUTBOX_FAILED, OUTBOX_QUEUED, RECALLED

log = logging.getLogger(__name__)
ACCEPTED = "accepted"
REFUSED = "refused"
LINK_KINDS = {"update": "cập nhật", "replace": "thay thế"}
# The register columns a recall empties (the số đến, the register, the dates of arrival and the status stay).
CLEARED_TEXT = ("code_number", "code_notation", "place", "organ_name", "organ_id", "type_name", "type_code", "subject",
                "signer_position", "signer_name", "to_places", "description", "organ_parent", "addressees",
                "signature_status")
CLEARED_OTHER = {"issued_date": None, "page_amount": None, "due_date": None, "urgency": 0,
                 "possible_duplicate_of": None, "field_sources": {}, "review_confidence": None}
RECALLED_NOTE = "văn bản đã thu hồi"


class RecallError(GatewayError):
    """A recall or a link that cannot be made as asked (already recalled, a document linked to itself…)."""


@dataclass(frozen=True)
class RecallRequest:
    """A sender's recall notice as the văn thư records it, and whether the văn thư agrees."""

    reason: str
    requested_by: str = ""  # the organ or address that asks
    requested_at: dt.datetime | None = None  # when the notice came (None: not known)
    source: str = "email"  # edxml, email, paper, phone
    refuse: bool = False  # the văn thư refuses (status 16): nothing is removed
    notice_sha256: str = ""  # the notice message, kept as a blob


@dataclass(frozen=True)
class RecallView:
    """One recall of a document, as the document page and `gateway show` list it."""

    id: int
    document_id: int
    register_code: str
    year: int
    arrival_number: int | None
    code: str
    organ_name: str
    requested_by: str
    requested_at: dt.datetime | None
    reason: str
    source: str
    decision: str
    recorded_by: str
    recorded_at: dt.datetime
    notice_sha256: str
    answer_message_id: str


@dataclass(frozen=True)
class LinkView:
    """A link between two documents seen from one of them: ``newer`` says whether the other one is the newer."""

    kind: str  # update, replace
    other_id: int
    other_year: int
    other_number: int | None
    newer: bool  # the other document updates or replaces this one
    source: str
    recorded_by: str
    recorded_at: dt.datetime


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class Recalls:
    """Recalls and links: written in one transaction with their audit event; files removed once it commits."""

    def __init__(self, db: Database, searcher: Searcher, blobs: BlobStore | DatabaseBlobs) -> None:
        self.db = db
        self.searcher = searcher
        self.blobs = blobs

    def recall(self, document_id: int, request: RecallRequest, actor: str,
               answer: tuple[QueuedMail, str] | None = None) -> RecallView:
        """Record a recall notice: agreed, the document's files, fields, search text and open work go and its status
        becomes recalled; refused, nothing changes but the record. ``answer`` (mail, body blob) is queued to the
        sender in the same transaction."""
        if not request.reason.strip():
            raise RecallError("thu hồi văn bản cần ghi lý do (theo thông báo của nơi gửi)")
        now = _now()
        with self.db.transaction() as conn:
            doc = conn.execute(sa.select(Document.id, Document.message_id, Document.status, Document.year,
                                         Document.arrival_number, Document.code_number, Document.code_notation,
                                         Document.organ_name, RegisterBook.code.label("register_code"))
                               .join(RegisterBook, RegisterBook.id == Document.register_id)
                               .where(Document.id == document_id)).first()
            if doc is None:
                raise NotFound(f"Không có văn bản mã {document_id}.")
            if doc.status == RECALLED:
                raise RecallError(f"văn bản mã {document_id} đã thu hồi")
            code = "/".join(p for p in (doc.code_number, doc.code_notation) if p)
            values = dict(document_id=document_id, register_code=doc.register_code, year=doc.year,
                          arrival_number=doc.arrival_number, code=code, organ_name=doc.organ_name,
                          requested_by=request.requested_by, requested_at=request.requested_at,
                          reason=request.reason.strip(), source=request.source,
                          decision=REFUSED if request.refuse else ACCEPTED, recorded_by=actor, recorded_at=now,
                          notice_sha256=request.notice_sha256, answer_message_id=answer[0].message_id if answer else "")
            recall_id = conn.execute(sa.insert(Recall.__table__).values(**values)).inserted_primary_key[0]
            removed: dict = {}
            if not request.refuse:
                removed = self._remove_content(conn, doc)
            if answer is not None:
                queue_prepared_in(conn, answer[0], answer[1], document_id)
            record_audit(conn, "recall-refused" if request.refuse else "document-recalled", actor=actor,
                         message_id=doc.message_id, document_id=document_id, detail={
                             "recall": recall_id, "number": doc.arrival_number, "year": doc.year,
                             "register": doc.register_code, "code": code, "reason": values["reason"],
                             "requested_by": request.requested_by, "source": request.source,
                             "answer_to": answer[0].recipient if answer else "", **removed})
        if not request.refuse:
            self.remove_unreferenced(removed.get("files", []))
        return RecallView(id=recall_id, **values)

    def _remove_content(self, conn: sa.Connection, doc: sa.Row) -> dict:
        """Empty the document (fields, files, search text, open work, mail not yet sent); what went, for the audit."""
        shas = list(conn.execute(sa.select(Attachment.sha256).where(Attachment.message_id == doc.message_id))
                    .scalars())
        others = conn.execute(sa.select(sa.func.count()).select_from(Document).where(
            Document.message_id == doc.message_id, Document.id != doc.id)).scalar_one()
        conn.execute(sa.delete(OcrJob.__table__).where(OcrJob.document_id == doc.id))
        conn.execute(sa.delete(Attachment.__table__).where(Attachment.document_id == doc.id))
        if not others:  # the message carried this document only: its files and its text go with it
            conn.execute(sa.delete(Attachment.__table__).where(Attachment.message_id == doc.message_id))
            raw = conn.execute(sa.select(Message.raw_blob).where(Message.id == doc.message_id)).scalar_one()
            shas.append(raw)
            conn.execute(sa.update(Message).where(Message.id == doc.message_id).values(
                subject="", from_name="", to_addrs="", date_header=None, defects="[]"))
        units = sorted(conn.execute(sa.select(Assignment.unit_code).where(Assignment.document_id == doc.id)).scalars())
        conn.execute(sa.delete(Assignment.__table__).where(Assignment.document_id == doc.id))
        cancelled = conn.execute(sa.update(OutboxMessage).where(
            OutboxMessage.document_id == doc.id, OutboxMessage.state == OUTBOX_QUEUED,
            OutboxMessage.kind.in_(("forward", "receipt"))).values(
            state=OUTBOX_FAILED, last_error=RECALLED_NOTE)).rowcount
        conn.execute(sa.update(Document).where(Document.id == doc.id).values(
            status=RECALLED, **{name: "" for name in CLEARED_TEXT}, **CLEARED_OTHER))
        self.searcher.index_document(conn, doc.id, "", "")
        return {"files": sorted(set(shas)), "unassigned": units, "mail_cancelled": cancelled}

    def remove_unreferenced(self, shas: list[str]) -> int:
        """Delete the blobs no row of the register refers to any more; how many went. Run again after a crash:
        a blob left behind is removed the next time (``gateway recall`` of an already recalled document)."""
        if not shas:
            return 0
        with self.db.reading() as conn:
            used = set(conn.execute(sa.select(Message.raw_blob).where(Message.raw_blob.in_(shas),
                                                                      message_bytes_kept())).scalars())
            used |= set(conn.execute(sa.select(Attachment.sha256).where(Attachment.sha256.in_(shas))).scalars())
            used |= set(conn.execute(sa.select(OutboxMessage.body_sha256)
                                     .where(OutboxMessage.body_sha256.in_(shas))).scalars())
            used |= set(conn.execute(sa.select(Recall.notice_sha256).where(Recall.notice_sha256.in_(shas))).scalars())
        gone = sum(self.blobs.delete(sha) for sha in shas if sha not in used)
        log.info("recall: %d file(s) removed from the blob store", gone)
        return gone

    def leftovers(self, document_id: int) -> list[str]:
        """The files a recall of the document removed or meant to remove (from its audit event), to sweep again
        after a crash between the commit and the deletion."""
        with self.db.reading() as conn:
            details = conn.execute(sa.select(AuditEvent.detail).where(
                AuditEvent.document_id == document_id, AuditEvent.action == "document-recalled")).scalars()
            return sorted({sha for detail in details for sha in (detail or {}).get("files", [])})

    def link(self, document_id: int, target_id: int, kind: str, actor: str, source: str = "manual") -> None:
        """Record that document ``document_id`` updates or replaces ``target_id`` (both stay in the register)."""
        if kind not in LINK_KINDS:
            raise RecallError(f"liên kết phải là {' hoặc '.join(LINK_KINDS)}, không phải {kind!r}")
        if document_id == target_id:
            raise RecallError("một văn bản không cập nhật hay thay thế chính nó")
        with self.db.transaction() as conn:
            link_in(conn, document_id, target_id, kind, actor, source)

    def recalls_of(self, document_id: int) -> tuple[RecallView, ...]:
        """The recalls recorded for a document, oldest first."""
        with self.db.reading() as conn:
            rows = conn.execute(sa.select(Recall.__table__).where(Recall.document_id == document_id)
                                .order_by(Recall.id)).all()
        names = [f.name for f in dataclasses.fields(RecallView)]
        return tuple(RecallView(**{name: getattr(row, name) for name in names}) for row in rows)

    def links_of(self, document_id: int) -> tuple[LinkView, ...]:
        """The documents this one updates or replaces, and those that update or replace it."""
        with self.db.reading() as conn:
            rows = conn.execute(sa.select(DocumentLink.__table__).where(sa.or_(
                DocumentLink.document_id == document_id, DocumentLink.target_id == document_id))
                .order_by(DocumentLink.id)).all()
            ids = {row.document_id for row in rows} | {row.target_id for row in rows}
            numbers = {row.id: (row.year, row.arrival_number) for row in conn.execute(
                sa.select(Document.id, Document.year, Document.arrival_number).where(Document.id.in_(ids)))}
        views = []
        for row in rows:
            newer = row.target_id == document_id
            other = row.document_id if newer else row.target_id
            year, number = numbers[other]
            views.append(LinkView(row.kind, other, year, number, newer, row.source, row.recorded_by, row.recorded_at))
        return tuple(views)

    def find_by_code(self, organ_id: str, code_number: str, code_notation: str,
                     issued: dt.date | None = None) -> int | None:
        """The newest document with this số and ký hiệu (and, when known, issuing organ code and date); None."""
        if not code_number and not code_notation:
            return None
        query = sa.select(Document.id).where(same_code(code_number, code_notation)).order_by(Document.id.desc())
        with self.db.reading() as conn:
            candidates = conn.execute(query.add_columns(Document.organ_id, Document.issued_date)).all()
        for row in candidates:
            if organ_id and row.organ_id and row.organ_id != organ_id:
                continue
            if issued and row.issued_date and row.issued_date != issued:
                continue
            return row.id
        return None


def link_in(conn: sa.Connection, document_id: int, target_id: int, kind: str, actor: str, source: str) -> None:
    """Insert one link and its audit event in the caller's transaction (a link made twice is kept once)."""
    found = conn.execute(sa.select(Document.id, Document.message_id).where(
        Document.id.in_((document_id, target_id)))).all()
    if len(found) != 2:
        missing = sorted({document_id, target_id} - {row.id for row in found})
        raise NotFound(f"Không có văn bản mã {', '.join(map(str, missing))}.")
    exists = conn.execute(sa.select(DocumentLink.id).where(DocumentLink.document_id == document_id,
                                                           DocumentLink.target_id == target_id)).first()
    if exists is not None:
        return
    conn.execute(sa.insert(DocumentLink.__table__).values(
        document_id=document_id, target_id=target_id, kind=kind, source=source, recorded_by=actor,
        recorded_at=_now()))
    message_id = next(row.message_id for row in found if row.id == document_id)
    record_audit(conn, "document-linked", actor=actor, message_id=message_id, document_id=document_id,
                 detail={"kind": kind, "target": target_id, "source": source})
