"""Writes one audit event into a hash chain (the only way anything is added to the audit trail) and checks it."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from gateway.register.models import Attachment, AuditEvent, Document, Message
from gateway.register.terms import RECALLED

SYSTEM_ACTOR = "gateway"
# Any constant will do: every transaction that appends to the chain takes this PostgreSQL advisory lock, so two
# writers never read the same "last hash" and fork the chain. SQLite writers are serialised by BEGIN IMMEDIATE.
_CHAIN_LOCK_KEY = 0x6761746577617931


def _canonical(value: Any) -> Any:
    """The value as it reads back from a JSON column (keys become strings, tuples lists)."""
    return json.loads(json.dumps(value, ensure_ascii=False, default=str))


def _stamp(at: dt.datetime) -> str:
    if at.tzinfo is None:  # SQLite gives naive UTC back when read without the model's type
        at = at.replace(tzinfo=dt.timezone.utc)
    return at.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def event_hash(prev_hash: str, at: dt.datetime, actor: str, action: str, message_id: int | None,
               document_id: int | None, detail: dict[str, Any]) -> str:
    """sha256 over the canonical JSON of one event and the hash of the event before it."""
    body = {
        "prev": prev_hash, "at": _stamp(at), "actor": actor, "action": action,
        "message_id": message_id, "document_id": document_id, "detail": _canonical(detail or {}),
    }
    text = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _last_hash(conn: sa.Connection) -> str:
    if conn.dialect.name == "postgresql":
        conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_CHAIN_LOCK_KEY)))
    last = conn.execute(_LAST_HASH).scalar()
    return last or ""


_EVENTS = AuditEvent.__table__
# Built once: every registration appends to the chain.
_LAST_HASH = sa.select(_EVENTS.c.hash).order_by(_EVENTS.c.id.desc()).limit(1)
_APPEND = sa.insert(_EVENTS)


def record_audit(
    conn: sa.Connection,
    action: str,
    *,
    actor: str = SYSTEM_ACTOR,
    message_id: int | None = None,
    document_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Append one event (what happened, who did it, to which message or document) in the caller's transaction.

    The event carries the hash of the one before it and its own hash, so `gateway audit verify` notices an
    event changed, removed or inserted afterwards.
    """
    at = dt.datetime.now(dt.timezone.utc)
    detail = _canonical(detail or {})
    prev = _last_hash(conn)
    digest = event_hash(prev, at, actor, action, message_id, document_id, detail)
    conn.execute(_APPEND, {"at": at, "actor": actor, "action": action, "message_id": message_id,
                           "document_id": document_id, "detail": detail, "prev_hash": prev, "hash": digest})


@dataclass(frozen=True)
class ChainReport:
    """What `gateway audit verify` found: how much it checked and the first break, if any."""

    events: int
    blobs: int
    first_break: str = ""  # "" when the chain and every blob are intact

    @property
    def ok(self) -> bool:
        return not self.first_break


def verify_chain(conn: sa.Connection, blob_ok: Callable[[str], bool] | None = None) -> ChainReport:
    """Recompute every event's hash in id order and each blob's checksum; report the first break found."""
    table = AuditEvent.__table__
    prev = ""
    count = 0
    result = conn.execute(sa.select(table).order_by(table.c.id)).yield_per(1000)
    for row in result:
        count += 1
        expected = event_hash(prev, row.at, row.actor, row.action, row.message_id, row.document_id,
                              row.detail or {})
        if row.prev_hash != prev:
            return ChainReport(count, 0, f"sự kiện nhật ký {row.id}: mã băm trước {row.prev_hash[:12] or '(không có)'} "
                                         f"không khớp sự kiện trước nó ({prev[:12] or 'đầu chuỗi'}): "
                                         "có sự kiện đã bị xoá hoặc chèn vào")
        if row.hash != expected:
            return ChainReport(count, 0, f"sự kiện nhật ký {row.id} ({row.action}): nội dung không khớp "
                                         "mã băm: sự kiện đã bị sửa")
        prev = row.hash
    blobs = 0
    if blob_ok is not None:
        for sha in _blob_shas(conn):
            blobs += 1
            if not blob_ok(sha):
                return ChainReport(count, blobs, f"tệp lưu {sha}: bị mất, hoặc nội dung không còn khớp mã băm")
    return ChainReport(count, blobs)


def message_bytes_kept() -> sa.ColumnElement[bool]:
    """True for a message whose raw bytes the register keeps: one of its documents is not recalled (or it has
    none); a recall removes them, the message row and its sha256 stay to know the same mail again."""
    documents = sa.select(Document.id).where(Document.message_id == Message.id)
    return sa.or_(sa.exists(documents.where(Document.status != RECALLED)), ~sa.exists(documents))


def _blob_shas(conn: sa.Connection) -> Iterator[str]:
    """Every blob the register points at: raw messages (kept ones) and attachment files, each once."""
    query = sa.union(sa.select(Message.raw_blob.label("sha")).where(message_bytes_kept()),
                     sa.select(Attachment.sha256.label("sha")))
    for (sha,) in conn.execute(sa.select(query.subquery().c.sha).order_by("sha")):
        yield sha
