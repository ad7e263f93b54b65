"""Read models of the register: what a registration returned and everything known about one document."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from gateway.core.errors import NotFound
from gateway.register.models import Arrival, Attachment, AuditEvent, Document, Message, RegisterBook


@dataclass(frozen=True)
class Registration:
    """The outcome of register_arrival."""

    outcome: str  # "registered" | "duplicate" | "already-registered"
    message_db_id: int
    document_id: int | None
    register_code: str
    year: int | None
    arrival_number: int | None
    duplicate_of_document_id: int | None = None
    reason: str = ""  # for duplicates: "sha256" or "message-id"


@dataclass(frozen=True)
class AssignmentView:
    """One unit's share of a document: role (lead, cooperate, inform), deadline, status and who set them."""

    document_id: int
    unit_code: str
    unit_name: str
    role: str
    due_date: dt.date | None
    status: str
    assigned_by: str = ""
    updated_by: str = ""
    note: str = ""
    assigned_at: dt.datetime | None = None  # when the unit was given the document (the sổ's "ngày chuyển")


@dataclass(frozen=True)
class AttachmentRecord:
    """One stored file of the message."""

    id: int
    filename: str
    member_path: str
    part_index: int | None
    sniffed_type: str
    size: int
    sha256: str
    extract_status: str
    extract_detail: str
    page_count: int | None
    signatures: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class ArrivalRecord:
    """One arrival of the message (the original and every duplicate)."""

    id: int
    spool_id: str
    kind: str
    duplicate_reason: str | None
    received_at: dt.datetime
    source: str
    envelope: dict[str, Any]


@dataclass(frozen=True)
class AuditRecord:
    """One audit event about the message or the document."""

    id: int
    at: dt.datetime
    actor: str
    action: str
    detail: dict[str, Any]


@dataclass(frozen=True)
class DocumentRecord:
    """A registered document with its message, files, arrivals and history."""

    id: int
    register_code: str
    register_name: str
    year: int
    arrival_number: int | None  # None while it waits for messages received before it
    arrival_date: dt.date
    arrived_at: dt.datetime
    code_number: str
    code_notation: str
    issued_date: dt.date | None
    place: str
    organ_name: str
    organ_id: str
    type_name: str
    type_code: str
    subject: str
    signer_position: str
    signer_name: str
    urgency: int
    secrecy: int
    page_amount: int | None
    to_places: str
    due_date: dt.date | None
    description: str
    organ_parent: str
    addressees: str
    signature_status: str
    field_sources: dict[str, Any]
    possible_duplicate_of: int | None
    status: str
    message_db_id: int
    message_sha256: str
    message_id_header: str | None
    email_subject: str
    from_addr: str
    from_name: str
    to_addrs: str
    date_header: dt.datetime | None
    size: int
    source: str
    mail_from: str
    rcpt_tos: tuple[str, ...]
    peer: str
    helo: str
    source_ref: str
    received_at: dt.datetime
    defects: tuple[str, ...]
    auth: dict[str, str]  # spf, dkim, dmarc results and the source they came from
    attachments: tuple[AttachmentRecord, ...]
    arrivals: tuple[ArrivalRecord, ...]
    audit: tuple[AuditRecord, ...]


_DOC_FIELDS = (
    "year arrival_number arrival_date arrived_at code_number code_notation issued_date place organ_name organ_id "
    "type_name type_code subject signer_position signer_name urgency secrecy page_amount to_places due_date "
    "description organ_parent addressees signature_status field_sources possible_duplicate_of status"
).split()


def load_document(session: Session, document_id: int) -> DocumentRecord:
    """Everything about one document; NotFound when there is no such document."""
    doc = session.get(Document, document_id)
    if doc is None:
        raise NotFound(f"Không có văn bản mã {document_id}.")
    msg = session.get(Message, doc.message_id)
    book = session.get(RegisterBook, doc.register_id)
    assert msg is not None and book is not None
    attachments = session.scalars(
        sa.select(Attachment).where(Attachment.message_id == msg.id).order_by(Attachment.id)
    ).all()
    arrivals = session.scalars(sa.select(Arrival).where(Arrival.message_id == msg.id).order_by(Arrival.id)).all()
    events = session.scalars(
        sa.select(AuditEvent)
        .where(sa.or_(AuditEvent.document_id == doc.id, AuditEvent.message_id == msg.id))
        .order_by(AuditEvent.id)
    ).all()
    return DocumentRecord(
        id=doc.id,
        register_code=book.code,
        register_name=book.name,
        **{name: getattr(doc, name) for name in _DOC_FIELDS},
        message_db_id=msg.id,
        message_sha256=msg.sha256,
        message_id_header=msg.message_id_header,
        email_subject=msg.subject,
        from_addr=msg.from_addr,
        from_name=msg.from_name,
        to_addrs=msg.to_addrs,
        date_header=msg.date_header,
        size=msg.size,
        source=msg.source,
        mail_from=msg.mail_from,
        rcpt_tos=tuple(json.loads(msg.rcpt_tos or "[]")),
        peer=msg.peer,
        helo=msg.helo,
        source_ref=msg.source_ref,
        received_at=msg.received_at,
        defects=tuple(json.loads(msg.defects or "[]")),
        auth={"spf": msg.auth_spf, "dkim": msg.auth_dkim, "dmarc": msg.auth_dmarc, "source": msg.auth_source},
        attachments=tuple(_attachment(a) for a in attachments),
        arrivals=tuple(_arrival(a) for a in arrivals),
        audit=tuple(AuditRecord(e.id, e.at, e.actor, e.action, dict(e.detail or {})) for e in events),
    )


def load_attachment_texts(session: Session, document_id: int) -> tuple[str, ...]:
    """The extracted text of every file of a document's message, in stored order (later OCR included)."""
    message_id = session.scalar(sa.select(Document.message_id).where(Document.id == document_id))
    if message_id is None:
        raise NotFound(f"no document {document_id}")
    texts = session.scalars(
        sa.select(Attachment.text).where(Attachment.message_id == message_id).order_by(Attachment.id)
    ).all()
    return tuple(text for text in texts if text)


def _attachment(row: Attachment) -> AttachmentRecord:
    return AttachmentRecord(
        id=row.id,
        filename=row.filename,
        member_path=row.member_path,
        part_index=row.part_index,
        sniffed_type=row.sniffed_type,
        size=row.size,
        sha256=row.sha256,
        extract_status=row.extract_status,
        extract_detail=row.extract_detail,
        page_count=row.page_count,
        signatures=tuple(row.signatures or ()),
    )


def _arrival(row: Arrival) -> ArrivalRecord:
    return ArrivalRecord(
        id=row.id,
        spool_id=row.spool_id,
        kind=row.kind,
        duplicate_reason=row.duplicate_reason,
        received_at=row.received_at,
        source=row.source,
        envelope=json.loads(row.envelope or "{}"),
    )
