"""The incoming register: the one owner of the database and the blob store, with every operation the rest of the
gateway needs (register an arrival, the people's changes, routing rows, outbox, accounts, IMAP ledger, OCR jobs,
reads and search)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from gateway.core.addresses import is_own_address
from gateway.core.config import Config
from gateway.core.errors import RegisterConflict, RegisterError
from gateway.register import db
from gateway.register.accounts import Accounts
from gateway.register.activity import Activity, Counters, load_activity, load_counters
from gateway.register.arrivals import ArrivalWriter, NewArrival
from gateway.register.audit import ChainReport, record_audit, verify_chain
from gateway.register.blobs import KINDS, BlobMove, blob_store, move_blobs
from gateway.register.changes import DocumentChanges
from gateway.register.decisions import Unit, sync_departments
from gateway.register.hosts import Hosts, Leases
from gateway.register.imap_ledger import Ledger
from gateway.register.models import Arrival, Document, Message, RegisterBook, RegisterCounter
from gateway.register.numbering import OtherHosts, any_waiting, number_waiting
from gateway.register.ocr_jobs import OcrJobs
from gateway.register.outbox import OutboxStore
from gateway.register.query import COUNT_CAP, RELEVANCE_MAX, Found, SearchHit, SearchQuery
from gateway.register.recalls import Recalls
from gateway.register.records import DocumentRecord, Registration, load_attachment_texts, load_document
from gateway.register.search import searcher_for
from gateway.register.views import RegisterViews

log = logging.getLogger(__name__)


class Register:
    """The register database plus the blob store, as the workers, the daemon and the people's edges use them."""

    def __init__(self, config: Config, engine: Engine | None = None) -> None:
        self.config = config
        self.db = db.Database(engine if engine is not None else db.make_engine(config.database_url))
        self.engine = self.db.engine  # for migrations and the tests' own checks; the gateway goes through db
        self.blobs = blob_store(config.database.blobs, config.blob_dir, self.db)
        self.searcher = searcher_for(self.engine)
        self.timezone = ZoneInfo(config.register.timezone)
        self.accounts = Accounts(self.db)
        self.outbox = OutboxStore(self.db)
        self.imap_ledger = Ledger(self.db)
        self.hosts = Hosts(self.db)
        self.leases = Leases(self.db)
        self.ocr_jobs = OcrJobs(self.db, self.searcher)
        self.recalls = Recalls(self.db, self.searcher, self.blobs)
        self.changes = DocumentChanges(self.db, self.searcher, config.outbox.from_address.rpartition("@")[2],
                                       lambda address: is_own_address(address, config))
        self.views = RegisterViews(self.db)
        # Several hosts share only a PostgreSQL register: there, numbering waits for the other hosts' watermarks.
        self._others = OtherHosts(config.host_name, dt.timedelta(seconds=config.host.numbering_wait)) \
            if self.engine.dialect.name == "postgresql" else None
        self._arrivals = ArrivalWriter(self.searcher, self.timezone, config.understand.ocr, self._others)

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
        with self.db.reading() as conn:
            conn.execute(sa.text("SELECT 1"))
        db.check_schema(self.engine)

    def upgrade(self) -> None:
        """Bring the schema to the newest migration."""
        db.upgrade(self.engine)

    def close(self) -> None:
        """Release the database connections."""
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[sa.Connection]:
        """A writing transaction under the writer lock (see Database.transaction)."""
        with self.db.transaction() as conn:
            yield conn

    # -- writing ---------------------------------------------------------------------------------------

    def register_arrival(self, arrival: NewArrival, number_before: str | None = None) -> Registration:
        """Register one spooled message, or record it as a duplicate arrival; idempotent per spool id.

        ``number_before`` is the receipt key below which nothing is still unsettled (see number_waiting): the
        document takes its số đến in this transaction when it is below it; None numbers it at once.
        """
        index = self._prepare(arrival)
        for attempt in (1, 2):
            try:
                with self.db.transaction() as conn:
                    self.blobs.put_within(conn, _payloads(arrival))
                    return self._arrivals.write(conn, arrival, index, number_before)
            except RegisterConflict as err:
                if attempt == 2:
                    raise RegisterError(f"spool {arrival.spooled.spool_id}: register refused the message: {err}") \
                        from err
                log.info("spool %s: lost a race on a unique key, retrying as a duplicate", arrival.spooled.spool_id)
        raise AssertionError("unreachable")  # pragma: no cover

    def register_batch(self, arrivals: list[NewArrival], number_before: str | None = None) -> list[Registration]:
        """Register several arrivals in one transaction: one write lock and one commit (fsync) for all.

        Numbers follow the order of receipt (see register_arrival). Any error rolls the whole batch back and is
        raised as RegisterError; the caller then registers them one by one with register_arrival.
        """
        ordered = sorted(arrivals, key=lambda a: a.spooled.spool_id)
        self.blobs.put_before([data for arrival in ordered for data in _payloads(arrival)])  # all at once
        prepared = [(arrival, arrival.index_text()) for arrival in ordered]
        # Written in order of receipt; each may number only what was received before the next one of the batch,
        # which is not in the register yet.
        keys = [arrival.spooled.spool_id for arrival, _ in prepared[1:]] + [number_before]
        with self.db.transaction() as conn:
            self.blobs.put_within(conn, [data for arrival, _ in prepared for data in _payloads(arrival)])
            written = {arrival.spooled.spool_id:
                       self._arrivals.write(conn, arrival, index, _earlier(key, number_before))
                       for (arrival, index), key in zip(prepared, keys)}
        return [written[arrival.spooled.spool_id] for arrival in arrivals]

    def number_waiting(self, before: str | None) -> int:
        """Give their số đến to the documents received before ``before`` that wait for one; returns how many."""
        with self.db.reading() as conn:
            if not any_waiting(conn):
                return 0
        with self.db.transaction() as conn:
            numbered = number_waiting(conn, before, self._others)
            self._arrivals.audit_numbered(conn, numbered)
        for n in numbered:
            log.info("document %d: số đến %d/%d", n.document_id, n.number, n.year)
        return len(numbered)

    def publish_watermark(self, watermark: str | None) -> None:
        """Tell the other hosts of a shared (PostgreSQL) register up to where this host's spool is settled, so
        they number only below it (see OtherHosts); nothing to do on SQLite, which one host has to itself."""
        if self._others is not None:
            self.hosts.publish(self._others.me, watermark)

    def _prepare(self, arrival: NewArrival) -> tuple[str, str]:
        """Store the blobs (files) and build the index texts: the work done before the write lock is taken."""
        self.blobs.put_before(_payloads(arrival))
        return arrival.index_text()

    def move_blobs(self, to: str, remove: bool = True) -> BlobMove:
        """Move every blob from the other store into the ``to`` store (filesystem or database); audited. The
        gateway must be stopped on every host meanwhile, and database.blobs set to ``to`` before it starts."""
        if to not in KINDS:
            raise RegisterError(f"unknown blob store {to!r}: use {' or '.join(KINDS)}")
        source = next(kind for kind in KINDS if kind != to)
        moved = move_blobs(blob_store(source, self.config.blob_dir, self.db),
                           blob_store(to, self.config.blob_dir, self.db), remove)
        self.record_event("blobs-moved", "cli", {"from": source, "to": to, "found": moved.found,
                                                  "copied": moved.copied, "removed": moved.removed})
        return moved

    def record_event(self, action: str, actor: str, detail: dict[str, Any],
                     message_id: int | None = None, document_id: int | None = None) -> None:
        """Append one audit event in its own transaction (views, downloads, operator actions)."""
        with self.db.transaction() as conn:
            record_audit(conn, action, actor=actor, message_id=message_id, document_id=document_id, detail=detail)

    def sync_departments(self, units: Iterable[Unit]) -> None:
        """Bring the departments table in step with the rule files (assignments refer to it)."""
        with self.db.transaction() as conn:
            sync_departments(conn, units)

    # -- reading ---------------------------------------------------------------------------------------

    def verify_audit(self, blobs: bool = True) -> ChainReport:
        """Recompute the audit hash chain and (unless told not to) every blob's checksum; the first break."""
        with self.db.reading() as conn:
            return verify_chain(conn, self.blobs.verify if blobs else None)

    def get_document(self, document_id: int) -> DocumentRecord:
        """Everything about one document; NotFound when absent."""
        with self.db.session() as session:
            return load_document(session, document_id)

    def documents_of_arrival(self, spool_id: str) -> list[int]:
        """The documents of the message a spool entry brought (a duplicate arrival: the first's); [] when it is
        not registered (yet)."""
        with self.db.reading() as conn:
            message_id = conn.scalar(sa.select(Arrival.message_id).where(Arrival.spool_id == spool_id))
            if message_id is None:
                return []
            return list(conn.scalars(sa.select(Document.id).where(Document.message_id == message_id)
                                     .order_by(Document.id)))

    def attachment_texts(self, document_id: int) -> tuple[str, ...]:
        """The extracted text of each file of the document's message (what routing reads); NotFound when absent."""
        with self.db.session() as session:
            return load_attachment_texts(session, document_id)

    def search(self, query: SearchQuery) -> list[SearchHit]:
        """Documents matching ``query``, best first."""
        with self.db.session() as session:
            return self.searcher.search(session, query)

    def search_page(self, query: SearchQuery, cap: int = COUNT_CAP, relevance_max: int = RELEVANCE_MAX) -> Found:
        """One page of documents matching ``query`` and how many there are, as the web and the CLI show them.

        Counting stops at ``cap`` (counting every match of a common word at a million documents costs hundreds
        of milliseconds). A text search with more than ``relevance_max`` matches and no chosen order lists them
        newest first instead of by relevance: ranking a large share of the register costs seconds at a million
        documents and says little; the exact-diacritics-first ranking stays for narrower searches.
        """
        total = self.count_search(query, cap=cap)
        order = query.sort or ("relevance" if query.text.strip() else "-arrived")
        if query.text.strip() and not query.sort and total > relevance_max:
            query, order = dataclasses.replace(query, sort="-id"), "-id"
        return Found(self.search(query) if total else [], total, total >= cap, order)

    def count_search(self, query: SearchQuery, cap: int | None = None) -> int:
        """How many documents match ``query`` (ignoring limit and offset), counting no further than ``cap``."""
        with self.db.session() as session:
            return self.searcher.count(session, query, cap)

    def stats(self) -> dict[str, Any]:
        """Documents per register and year, last numbers, messages and duplicate arrivals."""
        with self.db.reading() as conn:
            per = conn.execute(
                sa.select(RegisterBook.code, Document.year, sa.func.count(Document.id))
                .join(Document, Document.register_id == RegisterBook.id)
                .group_by(RegisterBook.code, Document.year)
                .order_by(RegisterBook.code, Document.year)
            ).all()
            last = {
                (code, year): n
                for code, year, n in conn.execute(
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
                "messages": conn.scalar(sa.select(sa.func.count(Message.id))) or 0,
                "arrivals": conn.scalar(sa.select(sa.func.count(Arrival.id))) or 0,
                "duplicates": conn.scalar(
                    sa.select(sa.func.count(Arrival.id)).where(Arrival.kind == "duplicate")
                ) or 0,
            }

    def activity(self, day: dt.date | None = None) -> Activity:
        """Documents that arrived on `day` (default today in the register's time zone) and the last registration."""
        day = day or dt.datetime.now(self.timezone).date()
        with self.db.session() as session:
            return load_activity(session, day)

    def counters(self, latency_buckets: tuple[float, ...]) -> Counters:
        """Totals per source, duplicates and the registration latency histogram, for /metrics."""
        with self.db.session() as session:
            return load_counters(session, latency_buckets)


def _payloads(arrival: NewArrival) -> list[bytes]:
    """The bytes a registration stores as blobs: the raw message, each part, each file's own text payload."""
    return [arrival.spooled.raw, *(part.payload for part in arrival.extracted.message.parts),
            *(text.payload for text in arrival.extracted.texts if text.payload)]


def _earlier(key: str | None, bound: str | None) -> str | None:
    """The smaller of two receipt keys, None standing for no bound."""
    if key is None:
        return bound
    return key if bound is None else min(key, bound)

