"""The registering transaction of one arrival: the message, its document with the next số đến, its files, its
search-index text, its routing and its audit events; or a duplicate arrival of a message already held."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import logging
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from gateway.core.errors import RegisterError
from gateway.core.values import DocumentMeta, Extracted, SpooledMessage
from gateway.register.audit import record_audit
from gateway.register.decisions import RoutingRecord, write_routing
from gateway.register.index import TEXT_FIELDS, arrival_text, index_forms
from gateway.register.models import Arrival, Attachment, Document, Message, RegisterBook, same_code
from gateway.register.numbering import Numbered, OtherHosts, number_waiting
from gateway.register.ocr_jobs import queue_jobs as queue_ocr_jobs
from gateway.register.recalls import link_in
from gateway.register.records import Registration
from gateway.register.review import review_confidence
from gateway.register.search import Searcher
from gateway.register.terms import MAIN_REGISTER, SECRET_REGISTER

log = logging.getLogger(__name__)

ACTOR = "gateway"


@dataclass(frozen=True)
class NewArrival:
    """A spooled message read and understood, with the routing decided for it: what one registration writes."""

    spooled: SpooledMessage
    extracted: Extracted
    meta: DocumentMeta
    routing: RoutingRecord | None = None
    links: tuple[tuple[str, int], ...] = ()  # (update|replace, document id): the earlier versions it supersedes

    def index_text(self) -> tuple[str, str]:
        """The two forms of its search-index text (built before the write lock is taken)."""
        return index_forms(arrival_text(self.extracted, self.meta))


class ArrivalWriter:
    """Writes arrivals inside a transaction the register opened (under its writer lock)."""

    def __init__(self, searcher: Searcher, timezone: ZoneInfo, ocr: bool, others: OtherHosts | None = None) -> None:
        self.searcher = searcher
        self.timezone = timezone
        self.ocr = ocr
        self.others = others
        self._register_ids: dict[str, int] = {}

    def write(self, conn: sa.Connection, arrival: NewArrival, index: tuple[str, str],
              number_before: str | None = None) -> Registration:
        """Register ``arrival`` in the caller's transaction, or record it as a duplicate; idempotent per spool id.

        The document takes its số đến here when nothing received before it is still unsettled (its receipt key
        is below ``number_before``; None: number now); otherwise it waits, and number_waiting gives it later.
        """
        spooled, extracted, meta = arrival.spooled, arrival.extracted, arrival.meta
        existing = conn.execute(_ARRIVAL_OF_SPOOL, {"spool_id": spooled.spool_id}).first()
        if existing is not None:
            return self._already(conn, existing)
        sha = hashlib.sha256(spooled.raw).hexdigest()
        message_id = extracted.message.message_id.strip() or None
        first, same_id = self._held_message(conn, sha, message_id, extracted)
        if first is not None:
            return self._duplicate(conn, spooled, first, "sha256" if first.sha256 == sha else "message-id")
        # Core inserts, not ORM objects: this runs under the register's write lock, and the unit of work
        # cost several milliseconds per arrival, which capped how many workers could register per second.
        message = _message_values(spooled, extracted, sha, message_id)
        message_pk = _insert(conn, Message, message)
        _insert(conn, Arrival, _arrival_values(spooled, message_pk, "original", None))
        document = self._document_values(conn, spooled, extracted, meta, message_pk, same_id)
        document_pk = _insert(conn, Document, document)
        attachments = _attachment_values(extracted, meta, message_pk, document_pk)
        if attachments:
            conn.execute(Attachment.__table__.insert(), attachments)
        self.searcher.index_document(conn, document_pk, *index)
        self.searcher.index_sender(conn, document_pk, message["from_addr"], message["mail_from"])
        code = SECRET_REGISTER if meta.secrecy > 0 else MAIN_REGISTER
        numbered = number_waiting(conn, number_before, self.others)
        year = document["year"]
        number = next((n.number for n in numbered if n.document_id == document_pk), None)
        by = {"by": spooled.envelope.released_by} if spooled.envelope.released_by else {}
        _audit(conn, "registered", message_pk, document_pk, spool_id=spooled.spool_id, source=spooled.envelope.source,
               message_id_header=message_id, register=code, year=year, number=number, **by)
        self.audit_numbered(conn, [n for n in numbered if n.document_id != document_pk])
        if same_id is not None:
            _audit(conn, "same-message-id", message_pk, document_pk, other_document=same_id,
                   message_id_header=message_id)
        self._flag_possible_duplicate(conn, document_pk, document)
        for kind, target in arrival.links:
            link_in(conn, document_pk, target, kind, ACTOR, "edxml")
        if meta.secrecy > 0:
            _alert_secret(conn, message_pk, document_pk, meta, extracted)
        elif self.ocr and any(_wants_ocr(row) for row in attachments):  # else queue_jobs would find nothing
            queue_ocr_jobs(conn, document_pk)
        if arrival.routing is not None:
            write_routing(conn, document_pk, arrival.routing)
        return Registration("registered", message_pk, document_pk, code, year, number)

    @staticmethod
    def _held_message(conn: sa.Connection, sha: str, message_id: str | None,
                      extracted: Extracted) -> tuple[sa.Row | None, int | None]:
        """The message already held that this one duplicates, and else the document of one with its Message-ID.

        A duplicate is the same raw bytes, or the same Message-ID from the same sender with the same files;
        another message that merely reuses a Message-ID (senders' software does) is registered, and its
        document is noted as sharing the Message-ID with the first.
        """
        same = conn.execute(_MESSAGE_BY_SHA, {"sha": sha}).first()
        if same is not None or not message_id:
            return same, None
        if conn.dialect.name == "postgresql":
            # Two hosts taking copies of one message at once (their Received lines differ) queue here, so the
            # second sees the first and becomes a duplicate arrival.
            conn.execute(sa.select(sa.func.pg_advisory_xact_lock(sa.func.hashtextextended(message_id, 0))))
        parsed = extracted.message
        files = sorted(part.sha256 for part in parsed.parts)
        shared = None
        for held in conn.execute(_MESSAGES_BY_ID, {"message_id": message_id}).all():
            held_files = sorted(conn.execute(
                sa.select(Attachment.sha256).where(Attachment.message_id == held.id, Attachment.member_path == "",
                                                   Attachment.part_index.is_not(None))).scalars())
            if (held.from_addr or "").lower() == (parsed.from_addr or "").lower() and held_files == files:
                return held, None
            if shared is None:
                doc = _first_document(conn, held.id)
                shared = doc.id if doc is not None else None
        return None, shared

    def audit_numbered(self, conn: sa.Connection, numbered: list[Numbered]) -> None:
        """A "numbered" event for each document that took its số đến after it was registered."""
        codes = {}
        for n in numbered:
            if n.register_id not in codes:
                codes[n.register_id] = conn.scalar(
                    sa.select(RegisterBook.code).where(RegisterBook.id == n.register_id))
            _audit(conn, "numbered", n.message_id, n.document_id, register=codes[n.register_id], year=n.year,
                   number=n.number)

    def _already(self, conn: sa.Connection, arrival: sa.Row) -> Registration:
        doc = _first_document(conn, arrival.message_id)
        code = self._code_of(conn, doc)
        return Registration(
            "already-registered", arrival.message_id, doc.id if doc else None, code,
            doc.year if doc else None, doc.arrival_number if doc else None,
            doc.id if doc and arrival.kind == "duplicate" else None, arrival.duplicate_reason or "",
        )

    def _duplicate(self, conn: sa.Connection, spooled: SpooledMessage, first: sa.Row, reason: str) -> Registration:
        _insert(conn, Arrival, _arrival_values(spooled, first.id, "duplicate", reason))
        doc = _first_document(conn, first.id)
        _audit(conn, "duplicate-arrival", first.id, doc.id if doc else None, spool_id=spooled.spool_id,
               reason=reason, source=spooled.envelope.source)
        log.info("spool %s: duplicate (by %s) of message %d", spooled.spool_id, reason, first.id)
        return Registration("duplicate", first.id, None, self._code_of(conn, doc),
                            doc.year if doc else None, doc.arrival_number if doc else None,
                            doc.id if doc else None, reason)

    @staticmethod
    def _code_of(conn: sa.Connection, doc: sa.Row | None) -> str:
        if doc is None:
            return ""
        return conn.scalar(sa.select(RegisterBook.code).where(RegisterBook.id == doc.register_id)) or ""

    def _register_id(self, conn: sa.Connection, code: str) -> int:
        if code not in self._register_ids:  # the two registers never change once the schema exists
            register_id = conn.scalar(sa.select(RegisterBook.id).where(RegisterBook.code == code))
            if register_id is None:
                raise RegisterError(f"register {code!r} missing: run `gateway db upgrade`")
            self._register_ids[code] = register_id
        return self._register_ids[code]

    def _document_values(
        self, conn: sa.Connection, spooled: SpooledMessage, extracted: Extracted, meta: DocumentMeta, message_id: int,
        same_id: int | None,
    ) -> dict[str, Any]:
        received = spooled.envelope.received_at
        local = received.astimezone(self.timezone)
        register_id = self._register_id(conn, SECRET_REGISTER if meta.secrecy > 0 else MAIN_REGISTER)
        sources = {k: {"value": v.value, "confidence": v.confidence, "source": v.source} for k, v in meta.fields.items()}
        notes = list(meta.notes)
        if same_id is not None:
            notes.append(f"cùng Message-ID với văn bản {same_id}")
        if notes:
            sources["notes"] = {"value": "; ".join(notes), "confidence": 1.0, "source": "reader"}
        subject = meta.get("subject")
        if not subject:
            subject = extracted.message.subject
            sources["subject"] = {"value": subject, "confidence": 0.3, "source": "email"}
        return dict(
            message_id=message_id, register_id=register_id, year=local.year,
            arrival_number=None, received_key=spooled.spool_id,
            arrival_date=local.date(), arrived_at=received,
            **{name: meta.get(name) for name in TEXT_FIELDS},
            issued_date=_iso_date(meta.get("issued_date")), due_date=_iso_date(meta.get("due_date")),
            subject=subject, urgency=meta.urgency, secrecy=meta.secrecy,
            page_amount=_int_or_none(meta.get("page_amount")), field_sources=sources,
            review_confidence=review_confidence(sources), status="registered",
        )

    @staticmethod
    def _flag_possible_duplicate(conn: sa.Connection, document_id: int, doc: dict[str, Any]) -> None:
        if not (doc["code_number"] and doc["code_notation"]):
            return
        candidates = conn.execute(_SAME_CODE, {"code_number": doc["code_number"],
                                               "code_notation": doc["code_notation"],
                                               "organ_name": doc["organ_name"], "document_id": document_id}).all()
        key_year = _dedup_year(doc["issued_date"], doc["year"])
        match = next((c for c in candidates if _dedup_year(c.issued_date, c.year) == key_year), None)
        if match is None:
            return
        conn.execute(sa.update(Document).where(Document.id == document_id).values(possible_duplicate_of=match.id))
        _audit(conn, "possible-duplicate", doc["message_id"], document_id, duplicate_of=match.id,
               code=f"{doc['code_number']}/{doc['code_notation']}", organ_name=doc["organ_name"])
        log.warning("document %d may duplicate document %d (%s/%s)", document_id, match.id, doc["code_number"],
                    doc["code_notation"])


def _first_document(conn: sa.Connection, message_id: int) -> sa.Row | None:
    """The id, register, year and số đến of the first document of a message, if it has one."""
    return conn.execute(_FIRST_DOCUMENT, {"message_id": message_id}).first()


def _insert(conn: sa.Connection, model: type, values: dict[str, Any]) -> int:
    """Insert one row with SQLAlchemy Core and return its id."""
    statement = _INSERTS.get(model)
    if statement is None:
        table = model.__table__
        statement = _INSERTS[model] = table.insert().returning(table.c.id)
    return conn.execute(statement, values).scalar_one()


def _wants_ocr(attachment: dict[str, Any]) -> bool:
    """Whether ocr_jobs.queue_jobs makes a job for this attachment row: a PDF with pages that have no text layer."""
    return attachment["sniffed_type"] == "pdf" and (
        attachment["extract_status"] == "empty" or "no text layer" in (attachment["extract_detail"] or ""))


# The registering transaction's statements, built once (each execution then only looks up its compiled form).
_INSERTS: dict[type, sa.Executable] = {}
_ARRIVAL_OF_SPOOL = sa.select(Arrival.message_id, Arrival.kind, Arrival.duplicate_reason) \
    .where(Arrival.spool_id == sa.bindparam("spool_id"))
_MESSAGE_BY_SHA = sa.select(Message.id, Message.sha256).where(Message.sha256 == sa.bindparam("sha")).limit(1)
_MESSAGES_BY_ID = sa.select(Message.id, Message.sha256, Message.from_addr) \
    .where(Message.message_id_header == sa.bindparam("message_id")).order_by(Message.id)
_SAME_CODE = sa.select(Document.id, Document.issued_date, Document.year) \
    .where(same_code(sa.bindparam("code_number"), sa.bindparam("code_notation")),
           Document.organ_name == sa.bindparam("organ_name"), Document.id != sa.bindparam("document_id")) \
    .order_by(Document.id)
_FIRST_DOCUMENT = sa.select(Document.id, Document.register_id, Document.year, Document.arrival_number) \
    .where(Document.message_id == sa.bindparam("message_id")).order_by(Document.id).limit(1)


def _message_values(spooled: SpooledMessage, extracted: Extracted, sha: str, message_id: str | None) -> dict:
    parsed, env = extracted.message, spooled.envelope
    return dict(
        sha256=sha, message_id_header=message_id, subject=parsed.subject, from_addr=parsed.from_addr,
        from_name=parsed.from_name, to_addrs=", ".join(parsed.to_addrs), date_header=parsed.date,
        size=len(spooled.raw), raw_blob=sha, source=env.source, mail_from=env.mail_from,
        rcpt_tos=json.dumps(list(env.rcpt_tos), ensure_ascii=False), peer=env.peer, helo=env.helo,
        source_ref=env.source_ref, received_at=env.received_at,
        defects=json.dumps(list(parsed.defects), ensure_ascii=False),
        auth_spf=extracted.auth.spf[:16], auth_dkim=extracted.auth.dkim[:16], auth_dmarc=extracted.auth.dmarc[:16],
        auth_source=extracted.auth.source,
    )


def _arrival_values(spooled: SpooledMessage, message_id: int, kind: str, reason: str | None) -> dict:
    env = spooled.envelope
    return dict(spool_id=spooled.spool_id, message_id=message_id, kind=kind, duplicate_reason=reason,
                   received_at=env.received_at, source=env.source, envelope=env.to_json())


def _attachment_values(extracted: Extracted, meta: DocumentMeta, message_id: int, document_id: int) -> list[dict]:
    # Reports of top-level parts are keyed by part index, those of archive and edXML members by member path.
    signed: dict[int | str | None, list[dict]] = {}
    for report in meta.signatures:
        key = report.part_index if report.part_index is not None else report.filename
        signed.setdefault(key, []).append(dataclasses.asdict(report))
    rows = [
        dict(message_id=message_id, document_id=document_id, part_index=t.part_index,
                   member_path=t.member_path, filename=t.filename, sniffed_type=t.sniffed_type, size=t.size,
                   sha256=t.sha256, text=t.text, extract_status=t.status, extract_detail=t.detail,
                   page_count=t.page_count,
                   signatures=signed.get(t.member_path if t.member_path else t.part_index, []))
        for t in extracted.texts
    ]
    covered = {t.part_index for t in extracted.texts if t.part_index is not None}
    for part in extracted.message.parts:
        if part.index not in covered:
            rows.append(dict(message_id=message_id, document_id=document_id, part_index=part.index,
                                   member_path="", filename=part.filename, sniffed_type=part.sniffed_type,
                                   size=part.size, sha256=part.sha256, text="", extract_status="skipped",
                                   extract_detail="no text was extracted from this part", page_count=None,
                                   signatures=signed.get(part.index, [])))
    return rows


def _alert_secret(conn: sa.Connection, message_id: int, document_id: int, meta: DocumentMeta,
                  extracted: Extracted) -> None:
    """Tell the văn thư: the law forbids state secrets on Internet mail (Luật 29/2018/QH14 Điều 5)."""
    level = ("", "MẬT", "TỐI MẬT", "TUYỆT MẬT")[min(meta.secrecy, 3)]
    code = "/".join(v for v in (meta.get("code_number"), meta.get("code_notation")) if v)
    log.warning("SECRET document %d (%s %s) arrived by e-mail from %s: registered in the secret register; "
                "văn thư must handle it under the state-secret law", document_id, level, code or "no số",
                extracted.message.from_addr or "unknown sender")
    _audit(conn, "secret-document-alert", message_id, document_id, secrecy=meta.secrecy, level=level,
           code=code, organ_name=meta.get("organ_name"), from_addr=extracted.message.from_addr)


def _audit(conn: sa.Connection, action: str, message_id: int | None, document_id: int | None, **detail: Any) -> None:
    record_audit(conn, action, actor=ACTOR, message_id=message_id, document_id=document_id, detail=detail)


def _dedup_year(issued_date: dt.date | None, arrival_year: int) -> int:
    """The year that makes two documents with the same số, ký hiệu and cơ quan the same one."""
    return issued_date.year if issued_date else arrival_year


def _iso_date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value.strip()[:10]) if value.strip() else None
    except ValueError:
        return None


def _int_or_none(value: str) -> int | None:
    try:
        return int(value.strip()) if value.strip() else None
    except ValueError:
        return None
