"""The incoming register: one transaction per arrival (message, document, số đến, files, index, audit) and reads."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import logging
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from gateway.core.config import Config
from gateway.core.errors import RegisterError
from gateway.core.text import canonical_tones, fold
from gateway.core.values import DocumentMeta, Extracted, SpooledMessage
from gateway.register import db
from gateway.register.activity import Activity, Counters, load_activity, load_counters
from gateway.register.audit import ChainReport, record_audit, update_document_fields, verify_chain
from gateway.register.blobs import BlobStore
from gateway.register.models import (
    MAIN_REGISTER,
    SECRET_REGISTER,
    Arrival,
    Attachment,
    Document,
    Message,
    RegisterBook,
    RegisterCounter,
)
from gateway.register.numbering import allocate_arrival_number
from gateway.register.ocr_jobs import queue_jobs as queue_ocr_jobs
from gateway.register.query import SearchHit, SearchQuery
from gateway.register.records import DocumentRecord, Registration, load_document
from gateway.register.search import searcher_for

log = logging.getLogger(__name__)

ACTOR = "gateway"
OnRegistered = Callable[[Session, int, str], None]  # (session, document id, spool id)
_TEXT_FIELDS = (
    "code_number code_notation place organ_name organ_id type_name type_code signer_position signer_name "
    "to_places description organ_parent addressees signature_status"
).split()
# What a secret document puts in the search index: the register columns that say what it is, not its content.
_SECRET_INDEX_FIELDS = "code_number code_notation organ_name organ_id type_name".split()


class Register:
    """The register database plus the blob store, as the workers and the UI use them."""

    def __init__(self, config: Config, engine: Engine | None = None) -> None:
        self.config = config
        self.engine = engine if engine is not None else db.make_engine(config.database_url)
        self.blobs = BlobStore(config.blob_dir)
        self.searcher = searcher_for(self.engine)
        self.timezone = ZoneInfo(config.register.timezone)
        self._readers = sessionmaker(db.reader(self.engine))
        self._register_ids: dict[str, int] = {}
        self._writer_lock = db.WriterLock(self.engine)

    @classmethod
    def open(cls, config: Config) -> Register:
        """A register whose schema has been checked to be at the newest migration."""
        register = cls(config)
        try:
            db.check_schema(register.engine)
        except RegisterError:
            register.close()
            raise
        return register

    def check(self) -> None:
        """Raise RegisterError unless the database answers and its schema is at the newest migration."""
        try:
            with self.engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
        except sa.exc.SQLAlchemyError as err:
            raise RegisterError(f"register database does not answer: {err}") from err
        db.check_schema(self.engine)

    def upgrade(self) -> None:
        """Bring the schema to the newest migration."""
        db.upgrade(self.engine)

    @property
    def writer_lock(self) -> db.WriterLock:
        """The lock every writing transaction takes first (an flock on SQLite, nothing on PostgreSQL)."""
        return self._writer_lock

    def close(self) -> None:
        """Release the database connections."""
        self._writer_lock.close()
        self.engine.dispose()

    # -- writing ---------------------------------------------------------------------------------------

    def register_arrival(
        self,
        spooled: SpooledMessage,
        extracted: Extracted,
        meta: DocumentMeta,
        on_registered: OnRegistered | None = None,
    ) -> Registration:
        """Register one spooled message, or record it as a duplicate arrival; idempotent per spool id."""
        index = self._prepare(spooled, extracted, meta)
        for attempt in (1, 2):
            try:
                with self._writer_lock, self.engine.begin() as conn:
                    return self._register_in(conn, spooled, extracted, meta, index, on_registered)
            except sa.exc.IntegrityError as err:
                if attempt == 2:
                    raise RegisterError(f"spool {spooled.spool_id}: register refused the message: {err}") from err
                log.info("spool %s: lost a race on a unique key, retrying as a duplicate", spooled.spool_id)
            except sa.exc.SQLAlchemyError as err:
                raise RegisterError(f"spool {spooled.spool_id}: register failed: {err}") from err
        raise AssertionError("unreachable")  # pragma: no cover

    def register_batch(
        self,
        items: list[tuple[SpooledMessage, Extracted, DocumentMeta]],
        on_registered: OnRegistered | None = None,
    ) -> list[Registration]:
        """Register several arrivals in one transaction: one write lock and one commit (fsync) for all.

        Numbers follow the order of ``items``. Any error rolls the whole batch back and is raised as
        RegisterError; the caller then registers the items one by one with register_arrival.
        """
        prepared = [(spooled, extracted, meta, self._prepare(spooled, extracted, meta))
                    for spooled, extracted, meta in items]
        try:
            with self._writer_lock, self.engine.begin() as conn:
                return [self._register_in(conn, spooled, extracted, meta, index, on_registered)
                        for spooled, extracted, meta, index in prepared]
        except sa.exc.SQLAlchemyError as err:
            raise RegisterError(f"register refused a batch of {len(items)}: {err}") from err

    def _prepare(self, spooled: SpooledMessage, extracted: Extracted, meta: DocumentMeta) -> tuple[str, str]:
        """Store the blobs and build the index texts: the work done before the write lock is taken.

        The exact text keeps its case (the indexes fold case themselves) so that snippets read like the
        document; only the tone placement is made canonical.
        """
        self._store_blobs(spooled, extracted)
        text = _index_text(extracted, meta)
        return canonical_tones(text), fold(text)

    def _store_blobs(self, spooled: SpooledMessage, extracted: Extracted) -> None:
        self.blobs.put(spooled.raw)
        for part in extracted.message.parts:
            self.blobs.put(part.payload)
        for text in extracted.texts:
            if text.payload:
                self.blobs.put(text.payload)

    def _register_in(
        self,
        conn: sa.Connection,
        spooled: SpooledMessage,
        extracted: Extracted,
        meta: DocumentMeta,
        index: tuple[str, str],
        on_registered: OnRegistered | None,
    ) -> Registration:
        existing = conn.execute(
            sa.select(Arrival.message_id, Arrival.kind, Arrival.duplicate_reason)
            .where(Arrival.spool_id == spooled.spool_id)
        ).first()
        if existing is not None:
            return self._already(conn, existing)
        sha = hashlib.sha256(spooled.raw).hexdigest()
        message_id = extracted.message.message_id.strip() or None
        first = self._held_message(conn, sha, message_id)
        if first is not None:
            return self._duplicate(conn, spooled, first, "sha256" if first.sha256 == sha else "message-id")
        # Core inserts, not ORM objects: this runs under the register's write lock, and the unit of work
        # cost several milliseconds per arrival, which capped how many workers could register per second.
        message_pk = _insert(conn, Message, _message_values(spooled, extracted, sha, message_id))
        _insert(conn, Arrival, _arrival_values(spooled, message_pk, "original", None))
        document = self._document_values(conn, spooled, extracted, meta, message_pk)
        document_pk = _insert(conn, Document, document)
        attachments = _attachment_values(extracted, meta, message_pk, document_pk)
        if attachments:
            conn.execute(Attachment.__table__.insert(), attachments)
        self.searcher.index_document(conn, document_pk, *index)
        code = SECRET_REGISTER if meta.secrecy > 0 else MAIN_REGISTER
        year, number = document["year"], document["arrival_number"]
        _audit(conn, "registered", message_pk, document_pk, spool_id=spooled.spool_id,
               message_id_header=message_id, register=code, year=year, number=number)
        self._flag_possible_duplicate(conn, document_pk, document)
        if meta.secrecy > 0:
            _alert_secret(conn, message_pk, document_pk, meta, extracted)
        elif self.config.understand.ocr:
            queue_ocr_jobs(conn, document_pk)
        if on_registered is not None:
            with Session(bind=conn) as session:  # joins this transaction; the hook's rows commit with it
                on_registered(session, document_pk, spooled.spool_id)
                session.flush()
        log.info("spool %s message-id %s: registered in %s %d as số đến %d", spooled.spool_id, message_id,
                 code, year, number)
        return Registration("registered", message_pk, document_pk, code, year, number)

    @staticmethod
    def _held_message(conn: sa.Connection, sha: str, message_id: str | None) -> sa.Row | None:
        """The first message already held with this raw sha256 or Message-ID (its id and sha256), if any."""
        condition = Message.sha256 == sha
        if message_id:
            condition = sa.or_(condition, Message.message_id_header == message_id)
        return conn.execute(
            sa.select(Message.id, Message.sha256).where(condition).order_by(Message.id).limit(1)
        ).first()

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
        self, conn: sa.Connection, spooled: SpooledMessage, extracted: Extracted, meta: DocumentMeta, message_id: int
    ) -> dict[str, Any]:
        received = spooled.envelope.received_at
        local = received.astimezone(self.timezone)
        register_id = self._register_id(conn, SECRET_REGISTER if meta.secrecy > 0 else MAIN_REGISTER)
        sources = {k: {"value": v.value, "confidence": v.confidence, "source": v.source} for k, v in meta.fields.items()}
        if meta.notes:
            sources["notes"] = {"value": "; ".join(meta.notes), "confidence": 1.0, "source": "reader"}
        subject = meta.get("subject")
        if not subject:
            subject = extracted.message.subject
            sources["subject"] = {"value": subject, "confidence": 0.3, "source": "email"}
        return dict(
            message_id=message_id, register_id=register_id, year=local.year,
            arrival_number=allocate_arrival_number(conn, register_id, local.year),
            arrival_date=local.date(), arrived_at=received,
            **{name: meta.get(name) for name in _TEXT_FIELDS},
            issued_date=_iso_date(meta.get("issued_date")), due_date=_iso_date(meta.get("due_date")),
            subject=subject, urgency=meta.urgency, secrecy=meta.secrecy,
            page_amount=_int_or_none(meta.get("page_amount")), field_sources=sources, status="registered",
        )

    @staticmethod
    def _flag_possible_duplicate(conn: sa.Connection, document_id: int, doc: dict[str, Any]) -> None:
        if not (doc["code_number"] and doc["code_notation"]):
            return
        candidates = conn.execute(
            sa.select(Document.id, Document.issued_date, Document.year)
            .where(Document.code_number == doc["code_number"], Document.code_notation == doc["code_notation"],
                   Document.organ_name == doc["organ_name"], Document.id != document_id)
            .order_by(Document.id)
        ).all()
        key_year = _dedup_year(doc["issued_date"], doc["year"])
        match = next((c for c in candidates if _dedup_year(c.issued_date, c.year) == key_year), None)
        if match is None:
            return
        conn.execute(sa.update(Document).where(Document.id == document_id).values(possible_duplicate_of=match.id))
        _audit(conn, "possible-duplicate", doc["message_id"], document_id, duplicate_of=match.id,
               code=f"{doc['code_number']}/{doc['code_notation']}", organ_name=doc["organ_name"])
        log.warning("document %d may duplicate document %d (%s/%s)", document_id, match.id, doc["code_number"],
                    doc["code_notation"])

    # -- reading ---------------------------------------------------------------------------------------

    def record_event(self, action: str, actor: str, detail: dict[str, Any],
                     message_id: int | None = None, document_id: int | None = None) -> None:
        """Append one audit event in its own transaction (operator actions outside a registration)."""
        try:
            with self._writer_lock, self.engine.begin() as conn:
                record_audit(conn, action, actor=actor, message_id=message_id, document_id=document_id,
                             detail=detail)
        except sa.exc.SQLAlchemyError as err:
            raise RegisterError(f"cannot record the audit event {action}: {err}") from err

    def update_document(self, document_id: int, changes: dict[str, Any], actor: str) -> None:
        """Change register fields of one document with an audit event holding old and new values."""
        try:
            with self._writer_lock, self.engine.begin() as conn:
                update_document_fields(conn, document_id, changes, actor)
        except sa.exc.SQLAlchemyError as err:
            raise RegisterError(f"cannot update document {document_id}: {err}") from err

    def verify_audit(self, blobs: bool = True) -> ChainReport:
        """Recompute the audit hash chain and (unless told not to) every blob's checksum; the first break."""
        with db.reader(self.engine).connect() as conn:
            return verify_chain(conn, self.blobs.verify if blobs else None)

    def get_document(self, document_id: int) -> DocumentRecord:
        """Everything about one document; NotFound when absent."""
        with self._read() as session:
            return load_document(session, document_id)

    def search(self, query: SearchQuery) -> list[SearchHit]:
        """Documents matching ``query``, best first."""
        with self._read() as session:
            return self.searcher.search(session, query)

    def count_search(self, query: SearchQuery, cap: int | None = None) -> int:
        """How many documents match ``query`` (ignoring limit and offset), counting no further than ``cap``."""
        with self._read() as session:
            return self.searcher.count(session, query, cap)

    def stats(self) -> dict[str, Any]:
        """Documents per register and year, last numbers, messages and duplicate arrivals."""
        with self._read() as session:
            per = session.execute(
                sa.select(RegisterBook.code, Document.year, sa.func.count(Document.id))
                .join(Document, Document.register_id == RegisterBook.id)
                .group_by(RegisterBook.code, Document.year)
                .order_by(RegisterBook.code, Document.year)
            ).all()
            last = {
                (code, year): n
                for code, year, n in session.execute(
                    sa.select(RegisterBook.code, RegisterCounter.year, RegisterCounter.last_number).join(
                        RegisterCounter, RegisterCounter.register_id == RegisterBook.id
                    )
                ).all()
            }
            return {
                "documents": [
                    {"register": code, "year": year, "count": n, "last_number": last.get((code, year), 0)}
                    for code, year, n in per
                ],
                "messages": session.scalar(sa.select(sa.func.count(Message.id))) or 0,
                "arrivals": session.scalar(sa.select(sa.func.count(Arrival.id))) or 0,
                "duplicates": session.scalar(
                    sa.select(sa.func.count(Arrival.id)).where(Arrival.kind == "duplicate")
                ) or 0,
            }

    def activity(self, day: dt.date | None = None) -> Activity:
        """Documents that arrived on `day` (default today in the register's time zone) and the last registration."""
        day = day or dt.datetime.now(self.timezone).date()
        with self._read() as session:
            return load_activity(session, day)

    def counters(self, latency_buckets: tuple[float, ...]) -> Counters:
        """Totals per source, duplicates and the registration latency histogram, for /metrics."""
        with self._read() as session:
            return load_counters(session, latency_buckets)

    def _read(self) -> _ReadSession:
        return _ReadSession(self._readers)


class _ReadSession:
    """A session for reads whose database errors come out as RegisterError (NotFound passes through)."""

    def __init__(self, factory: sessionmaker) -> None:
        self._factory = factory
        self._session: Session | None = None

    def __enter__(self) -> Session:
        self._session = self._factory()
        return self._session

    def __exit__(self, kind: Any, err: Any, tb: Any) -> None:
        assert self._session is not None
        self._session.rollback()
        self._session.close()
        if isinstance(err, sa.exc.SQLAlchemyError):
            raise RegisterError(f"register read failed: {err}") from err


def _first_document(conn: sa.Connection, message_id: int) -> sa.Row | None:
    """The id, register, year and số đến of the first document of a message, if it has one."""
    return conn.execute(
        sa.select(Document.id, Document.register_id, Document.year, Document.arrival_number)
        .where(Document.message_id == message_id).order_by(Document.id).limit(1)
    ).first()


def _insert(conn: sa.Connection, model: type, values: dict[str, Any]) -> int:
    """Insert one row with SQLAlchemy Core and return its id."""
    table = model.__table__
    return conn.execute(table.insert().returning(table.c.id), values).scalar_one()


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


def _index_text(extracted: Extracted, meta: DocumentMeta) -> str:
    parsed = extracted.message
    if meta.secrecy > 0:  # the content of a secret document stays out of the ordinary search
        return "\n".join(piece for piece in (meta.get(name) for name in _SECRET_INDEX_FIELDS) if piece)
    pieces = [parsed.subject, parsed.from_name, parsed.from_addr, parsed.body_text, meta.get("subject")]
    pieces += [meta.get(name) for name in _TEXT_FIELDS]
    pieces += [t.filename for t in extracted.texts] + [t.text for t in extracted.texts] + [meta.ocr_text]
    return "\n".join(piece for piece in pieces if piece)


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
