"""SQLAlchemy models of the incoming register: messages, arrivals, documents, attachments, counters, audit."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from gateway.register.terms import ASSIGNMENT_NEW, OUTBOX_QUEUED


class UTCDateTime(TypeDecorator):
    """A timestamp stored as UTC and always read back timezone-aware (SQLite keeps no zone)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(dt.timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.timezone.utc)
        return value.astimezone(dt.timezone.utc)


class Base(DeclarativeBase):
    """Declarative base; naming convention keeps constraint names identical on both backends."""

    metadata = sa.MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
        }
    )


class RegisterBook(Base):
    """One incoming register (sổ đăng ký văn bản đến): the main one and the one for secret documents."""

    __tablename__ = "registers"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name: Mapped[str] = mapped_column(sa.Text)
    secret: Mapped[bool] = mapped_column(sa.Boolean, default=False)


class RegisterCounter(Base):
    """The last số đến given in one register in one year."""

    __tablename__ = "register_counters"
    register_id: Mapped[int] = mapped_column(sa.ForeignKey("registers.id"), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    last_number: Mapped[int] = mapped_column(default=0)


class Message(Base):
    """One distinct e-mail message (by raw sha256 and Message-ID) with its envelope."""

    __tablename__ = "messages"
    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(sa.String(64), unique=True)
    message_id_header: Mapped[str | None] = mapped_column(sa.Text, index=True)  # senders reuse them: not unique
    subject: Mapped[str] = mapped_column(sa.Text, default="")
    from_addr: Mapped[str] = mapped_column(sa.Text, default="")
    from_name: Mapped[str] = mapped_column(sa.Text, default="")
    to_addrs: Mapped[str] = mapped_column(sa.Text, default="")  # comma separated
    date_header: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    size: Mapped[int] = mapped_column(default=0)
    raw_blob: Mapped[str] = mapped_column(sa.String(64))
    source: Mapped[str] = mapped_column(sa.String(16))
    mail_from: Mapped[str] = mapped_column(sa.Text, default="")
    rcpt_tos: Mapped[str] = mapped_column(sa.Text, default="[]")  # JSON list
    peer: Mapped[str] = mapped_column(sa.Text, default="")
    helo: Mapped[str] = mapped_column(sa.Text, default="")
    source_ref: Mapped[str] = mapped_column(sa.Text, default="")
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    defects: Mapped[str] = mapped_column(sa.Text, default="[]")  # JSON list
    # Sender authentication as the trust check saw it: "pass", "fail", "none" (or another RFC 8601 result)
    auth_spf: Mapped[str] = mapped_column(sa.String(16), default="none")
    auth_dkim: Mapped[str] = mapped_column(sa.String(16), default="none")
    auth_dmarc: Mapped[str] = mapped_column(sa.String(16), default="none")
    auth_source: Mapped[str] = mapped_column(sa.Text, default="")  # trusted authserv-id and/or "local-dkim"


class Arrival(Base):
    """One arrival of a message through the intake, whether the first or a duplicate."""

    __tablename__ = "arrivals"
    id: Mapped[int] = mapped_column(primary_key=True)
    spool_id: Mapped[str] = mapped_column(sa.String(200), unique=True)
    message_id: Mapped[int] = mapped_column(sa.ForeignKey("messages.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(16))  # "original" | "duplicate"
    duplicate_reason: Mapped[str | None] = mapped_column(sa.String(16))  # "sha256" | "message-id"
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    source: Mapped[str] = mapped_column(sa.String(16))
    envelope: Mapped[str] = mapped_column(sa.Text)  # Envelope.to_json()


class Document(Base):
    """One registered incoming document with its số đến and the Phụ lục VI fields."""

    __tablename__ = "documents"
    __table_args__ = (sa.UniqueConstraint("register_id", "year", "arrival_number", name="uq_documents_number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(sa.ForeignKey("messages.id"), index=True)
    register_id: Mapped[int] = mapped_column(sa.ForeignKey("registers.id"))
    year: Mapped[int]
    arrival_number: Mapped[int | None]  # None while an earlier-received message is still being read
    received_key: Mapped[str] = mapped_column(sa.String(64), default="")  # orders số đến: the time of receipt
    arrival_date: Mapped[dt.date] = mapped_column(sa.Date, index=True)
    arrived_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    code_number: Mapped[str] = mapped_column(sa.Text, default="")
    code_notation: Mapped[str] = mapped_column(sa.Text, default="")
    issued_date: Mapped[dt.date | None] = mapped_column(sa.Date)
    place: Mapped[str] = mapped_column(sa.Text, default="")
    organ_name: Mapped[str] = mapped_column(sa.Text, default="")
    organ_id: Mapped[str] = mapped_column(sa.Text, default="")
    type_name: Mapped[str] = mapped_column(sa.Text, default="")
    type_code: Mapped[str] = mapped_column(sa.Text, default="")
    subject: Mapped[str] = mapped_column(sa.Text, default="")
    signer_position: Mapped[str] = mapped_column(sa.Text, default="")
    signer_name: Mapped[str] = mapped_column(sa.Text, default="")
    urgency: Mapped[int] = mapped_column(default=0)
    secrecy: Mapped[int] = mapped_column(default=0)
    page_amount: Mapped[int | None]
    to_places: Mapped[str] = mapped_column(sa.Text, default="")
    due_date: Mapped[dt.date | None] = mapped_column(sa.Date)
    description: Mapped[str] = mapped_column(sa.Text, default="")
    organ_parent: Mapped[str] = mapped_column(sa.Text, default="")  # cơ quan chủ quản
    addressees: Mapped[str] = mapped_column(sa.Text, default="")  # Kính gửi entries, "; " between them
    signature_status: Mapped[str] = mapped_column(sa.String(32), default="")  # worst of the PDF signatures
    field_sources: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    # The lowest confidence of a read field nobody has confirmed or corrected (register/review.py); NULL: none
    review_confidence: Mapped[float | None] = mapped_column(sa.Float, index=True)
    possible_duplicate_of: Mapped[int | None] = mapped_column(sa.ForeignKey("documents.id"))
    status: Mapped[str] = mapped_column(sa.String(32), default="registered")


def same_code(number: sa.ColumnElement | str, notation: sa.ColumnElement | str) -> sa.ColumnElement[bool]:
    """Documents with this số and ký hiệu, the ký hiệu in any case: a scan OCR'd in capitals reads "UBND-TTr" as
    "UBND-TTR". Both sides go through the database's own lower(), so they fold alike; ix_documents_code serves it."""
    return sa.and_(Document.code_number == number, sa.func.lower(Document.code_notation) == sa.func.lower(notation))


sa.Index("ix_documents_code", Document.code_number, sa.func.lower(Document.code_notation))
sa.Index("ix_documents_waiting", Document.received_key, sqlite_where=sa.text("arrival_number IS NULL"),
         postgresql_where=sa.text("arrival_number IS NULL"))


class Attachment(Base):
    """One file of a message (MIME part or archive member) with its extracted text."""

    __tablename__ = "attachments"
    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(sa.ForeignKey("messages.id"), index=True)
    document_id: Mapped[int | None] = mapped_column(sa.ForeignKey("documents.id"), index=True)
    part_index: Mapped[int | None]
    member_path: Mapped[str] = mapped_column(sa.Text, default="")
    filename: Mapped[str] = mapped_column(sa.Text, default="")
    sniffed_type: Mapped[str] = mapped_column(sa.String(32), default="")
    size: Mapped[int] = mapped_column(default=0)
    sha256: Mapped[str] = mapped_column(sa.String(64))
    text: Mapped[str] = mapped_column(sa.Text, default="")
    extract_status: Mapped[str] = mapped_column(sa.String(16), default="")
    extract_detail: Mapped[str] = mapped_column(sa.Text, default="")
    page_count: Mapped[int | None]
    signatures: Mapped[list] = mapped_column(sa.JSON, default=list)  # SignatureReport dicts of a PDF


class OcrJob(Base):
    """Pages of a scanned attachment left to OCR after registration; workers drain these when the spool is idle."""

    __tablename__ = "ocr_jobs"
    id: Mapped[int] = mapped_column(primary_key=True)
    attachment_id: Mapped[int] = mapped_column(sa.ForeignKey("attachments.id"), index=True)
    document_id: Mapped[int] = mapped_column(sa.ForeignKey("documents.id"), index=True)
    state: Mapped[str] = mapped_column(sa.String(16), default="pending")  # pending, running, done, failed
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    pages_read: Mapped[int] = mapped_column(default=0)
    next_page: Mapped[int] = mapped_column(default=0)  # where the next chunk of pages starts
    lease_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)  # a running chunk's claim ends then
    detail: Mapped[str] = mapped_column(sa.Text, default="")


sa.Index("ix_ocr_jobs_state", OcrJob.state, OcrJob.id)


class AuditEvent(Base):
    """Something that happened to a message or document, kept for the access history."""

    __tablename__ = "audit_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(sa.Text)
    action: Mapped[str] = mapped_column(sa.String(64))
    message_id: Mapped[int | None] = mapped_column(sa.ForeignKey("messages.id"), index=True)
    document_id: Mapped[int | None] = mapped_column(sa.ForeignKey("documents.id"), index=True)
    detail: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    # Tamper evidence: the hash of the event before this one and this event's own hash (see audit.py)
    prev_hash: Mapped[str] = mapped_column(sa.String(64), default="")
    hash: Mapped[str] = mapped_column(sa.String(64), default="")


class ImapLedgerEntry(Base):
    """One message seen in an IMAP folder: which spool file holds it and whether its after-action is done."""

    __tablename__ = "imap_ledger"
    account: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    folder: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    uidvalidity: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    uid: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    spool_id: Mapped[str] = mapped_column(sa.String(200), index=True)
    state: Mapped[str] = mapped_column(sa.String(16))  # "spooled" | "done"
    fetched_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    done_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


sa.Index("ix_imap_ledger_pending", ImapLedgerEntry.account, ImapLedgerEntry.folder, ImapLedgerEntry.state)



class Department(Base):
    """One unit of the agency (phòng, ban) that documents are routed to; the rule files are the source."""

    __tablename__ = "departments"
    code: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    name: Mapped[str] = mapped_column(sa.Text)
    mailbox: Mapped[str] = mapped_column(sa.Text, default="")
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True)


class RoutingDecision(Base):
    """How the rules routed one document: the rules that matched and the actions taken (JSON)."""

    __tablename__ = "routing_decisions"
    document_id: Mapped[int] = mapped_column(sa.ForeignKey("documents.id"), primary_key=True)
    decided_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    rules_version: Mapped[str] = mapped_column(sa.Text, default="")
    matched: Mapped[list] = mapped_column(sa.JSON, default=list)  # [{"rule": name, "file": path, "actions": [...]}]
    priority: Mapped[str] = mapped_column(sa.String(16), default="normal")
    tags: Mapped[list] = mapped_column(sa.JSON, default=list)


class Direction(Base):
    """A leader's direction on a document (ND30 Điều 24): ý kiến chỉ đạo, the units and the deadline; the last one
    recorded is in force, the earlier ones stay as its history."""

    __tablename__ = "directions"
    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(sa.ForeignKey("documents.id"), index=True)
    directed_by: Mapped[str] = mapped_column(sa.Text)  # the lãnh đạo (or the văn thư recording it for the leader)
    recorded_by: Mapped[str] = mapped_column(sa.Text)  # who typed it in
    directed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    opinion: Mapped[str] = mapped_column(sa.Text, default="")  # ý kiến chỉ đạo
    lead: Mapped[str] = mapped_column(sa.String(64))
    cooperate: Mapped[list] = mapped_column(sa.JSON, default=list)
    inform: Mapped[list] = mapped_column(sa.JSON, default=list)
    due_date: Mapped[dt.date | None] = mapped_column(sa.Date)


class Recall(Base):
    """A sender's recall of a document (thu hồi, ND30 Điều 18.4.b): what was recalled, by whom, when and why, and
    whether the văn thư agreed. The recalled document keeps its số đến; its files and fields are gone."""

    __tablename__ = "recalls"
    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(sa.ForeignKey("documents.id"), index=True)
    register_code: Mapped[str] = mapped_column(sa.String(32))
    year: Mapped[int]
    arrival_number: Mapped[int | None]
    code: Mapped[str] = mapped_column(sa.Text, default="")  # số và ký hiệu of the recalled document
    organ_name: Mapped[str] = mapped_column(sa.Text, default="")  # its cơ quan ban hành
    requested_by: Mapped[str] = mapped_column(sa.Text, default="")  # the sender asking (organ, address)
    requested_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)  # when the notice came
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    source: Mapped[str] = mapped_column(sa.String(16))  # edxml, email, paper, phone…: how the notice came
    decision: Mapped[str] = mapped_column(sa.String(16))  # accepted, refused
    recorded_by: Mapped[str] = mapped_column(sa.Text)
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    notice_sha256: Mapped[str] = mapped_column(sa.String(64), default="")  # the notice message, kept as a blob
    answer_message_id: Mapped[str] = mapped_column(sa.Text, default="")  # the answer queued to the sender


class DocumentLink(Base):
    """A document that updates or replaces an earlier one (edXML BusinessDocType 2, 3)."""

    __tablename__ = "document_links"
    __table_args__ = (sa.UniqueConstraint("document_id", "target_id", name="uq_document_links_pair"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(sa.ForeignKey("documents.id"), index=True)  # the newer one
    target_id: Mapped[int] = mapped_column(sa.ForeignKey("documents.id"), index=True)  # the one it updates or replaces
    kind: Mapped[str] = mapped_column(sa.String(16))  # update, replace
    source: Mapped[str] = mapped_column(sa.String(16))  # edxml, manual
    recorded_by: Mapped[str] = mapped_column(sa.Text)
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


# Assignment roles (ND30 Điều 24) and the states department staff move them through.


class Assignment(Base):
    """One unit's share of a document: its role, deadline and handling status."""

    __tablename__ = "assignments"
    __table_args__ = (
        sa.UniqueConstraint("document_id", "unit_code", name="uq_assignments_document_unit"),
        # A unit's documents newest first, index only: how a unit-scoped search counts a common word (0018).
        sa.Index("ix_assignments_unit_document", "unit_code", "document_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(sa.ForeignKey("documents.id"), index=True)
    unit_code: Mapped[str] = mapped_column(sa.String(64), sa.ForeignKey("departments.code"), index=True)
    role: Mapped[str] = mapped_column(sa.String(16))
    due_date: Mapped[dt.date | None] = mapped_column(sa.Date, index=True)
    status: Mapped[str] = mapped_column(sa.String(16), default=ASSIGNMENT_NEW)
    assigned_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    assigned_by: Mapped[str] = mapped_column(sa.Text, default="gateway")  # "gateway" (rules) or a user name
    updated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    updated_by: Mapped[str] = mapped_column(sa.Text, default="")
    note: Mapped[str] = mapped_column(sa.Text, default="")



# Outbox states: queued (waiting, maybe for a retry time), sending (claimed by a sender until lease_until),
# sent, failed (permanently: a 5xx answer or the retry period is over).


class OutboxMessage(Base):
    """One outbound mail: a forward to a department or a receipt to the sender, built from its document when it
    is sent; or a mail prepared whole when queued (a return to the sender, a digest, an edXML status)."""

    __tablename__ = "outbox"
    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int | None] = mapped_column(sa.ForeignKey("documents.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(16))  # forward, receipt, return, digest, status
    unit_code: Mapped[str] = mapped_column(sa.String(64), default="")  # the department of a forward
    recipient: Mapped[str] = mapped_column(sa.Text)
    message_id_header: Mapped[str] = mapped_column(sa.String(255), unique=True)  # stable across resends
    in_reply_to: Mapped[str] = mapped_column(sa.Text, default="")
    priority: Mapped[int] = mapped_column(default=0)  # higher is sent first (urgent documents)
    state: Mapped[str] = mapped_column(sa.String(16), default=OUTBOX_QUEUED)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    lease_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str] = mapped_column(sa.Text, default="")
    body_sha256: Mapped[str | None] = mapped_column(sa.String(64))  # the blob of a mail prepared whole
    once_key: Mapped[str | None] = mapped_column(sa.String(200), unique=True)  # e.g. one digest per unit and day


sa.Index("ix_outbox_due", OutboxMessage.state, OutboxMessage.next_attempt_at)

# Indexes behind the web register's orderings and số đến lookups.
sa.Index("ix_documents_arrived_at", Document.arrived_at)
sa.Index("ix_documents_year_number", Document.year, Document.arrival_number)
sa.Index("ix_documents_organ_name", Document.organ_name)
# Open assignments only (status literally as in OPEN_ASSIGNMENTS_SQL, so SQLite sees the query implies it): the
# dashboard's earliest deadlines and per-unit counts read a few thousand entries instead of sorting all.
OPEN_ASSIGNMENTS_SQL = "status IN ('new', 'in_progress')"
sa.Index("ix_assignments_open_due", Assignment.due_date, Assignment.document_id,
         sqlite_where=sa.text(OPEN_ASSIGNMENTS_SQL), postgresql_where=sa.text(OPEN_ASSIGNMENTS_SQL))
sa.Index("ix_assignments_open_unit", Assignment.unit_code, Assignment.due_date,
         sqlite_where=sa.text(OPEN_ASSIGNMENTS_SQL), postgresql_where=sa.text(OPEN_ASSIGNMENTS_SQL))
# A date range searched with text becomes an id range: one probe of this index per day finds its ends.
sa.Index("ix_documents_arrival_date_id", Document.arrival_date, Document.id)

# Roles of people using the web UI and API.


class User(Base):
    """A person who logs in to the web UI or calls the API; the password is kept only as a salted scrypt hash."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(64), unique=True)
    full_name: Mapped[str] = mapped_column(sa.Text, default="")
    password_hash: Mapped[str] = mapped_column(sa.Text, default="")  # "" means no password login
    role: Mapped[str] = mapped_column(sa.String(16))
    unit_code: Mapped[str | None] = mapped_column(sa.String(64), sa.ForeignKey("departments.code"))
    secret_allowed: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class ApiToken(Base):
    """A bearer token of one user for the JSON API; only its sha256 is stored."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    label: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    revoked: Mapped[bool] = mapped_column(sa.Boolean, default=False)


class LoginFailure(Base):
    """One failed login, kept for a while so that guessing is slowed down per user name and per address."""

    __tablename__ = "login_failures"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    username: Mapped[str] = mapped_column(sa.String(64))
    address: Mapped[str] = mapped_column(sa.String(64))


sa.Index("ix_login_failures_username", LoginFailure.username, LoginFailure.at)
sa.Index("ix_login_failures_address", LoginFailure.address, LoginFailure.at)


class WebSession(Base):
    """A logged-in browser: the sha256 of its cookie, its CSRF token and when it expires."""

    __tablename__ = "web_sessions"
    token_hash: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)


class StoredBlob(Base):
    """The bytes of a raw message or a file, named by their sha256, when the blobs live in the database (a
    PostgreSQL register shared by several hosts): written in the registering transaction, replicated with it."""

    __tablename__ = "blobs"
    sha256: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    size: Mapped[int] = mapped_column(sa.BigInteger)
    data: Mapped[bytes] = mapped_column(sa.LargeBinary)


class Host(Base):
    """A gateway host working on this register: what it runs and when it last said so (its heartbeat)."""

    __tablename__ = "hosts"
    name: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    version: Mapped[str] = mapped_column(sa.String(64))
    rules_version: Mapped[str] = mapped_column(sa.String(64))
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    last_seen: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    # Its spool's watermark (a receipt key: nothing it received earlier is unsettled), or None: it holds no
    # number back. The other hosts number only below the lowest watermark of the hosts seen lately.
    watermark: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)


class Lease(Base):
    """Work only one host may do at a time (polling one IMAP account): who holds it and until when; another
    host takes it once it has expired."""

    __tablename__ = "leases"
    name: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    holder: Mapped[str] = mapped_column(sa.String(255))
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
