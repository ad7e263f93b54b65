"""The outbox table: mail queued in the registering transaction, claimed with a lease, settled, listed, retried.

A claim sets state "sending" and a lease; a sender that dies mid-send leaves the lease to run out, and the
mail is then sent again with the same Message-ID, so the receiving side can recognise the copy.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

import sqlalchemy as sa

from gateway.core.errors import NotFound, RegisterConflict
from gateway.register.audit import record_audit
from gateway.register.db import Database
from gateway.register.models import Document, OutboxMessage
from gateway.register.terms import OUTBOX_FAILED, OUTBOX_QUEUED, OUTBOX_SENDING, OUTBOX_SENT

TABLE = OutboxMessage.__table__
KINDS = ("forward", "receipt", "return", "digest", "status")


@dataclass(frozen=True)
class OutboxItem:
    """One row of the outbox."""

    id: int
    document_id: int | None
    kind: str
    unit_code: str
    recipient: str
    message_id: str
    in_reply_to: str
    priority: int
    state: str
    attempts: int
    next_attempt_at: dt.datetime
    lease_until: dt.datetime | None
    created_at: dt.datetime
    sent_at: dt.datetime | None
    last_error: str
    body_sha256: str | None = None  # a mail prepared whole when queued: its bytes are this blob


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def item_of(row) -> OutboxItem:
    return OutboxItem(row.id, row.document_id, row.kind, row.unit_code, row.recipient, row.message_id_header,
                      row.in_reply_to, row.priority, row.state, row.attempts, row.next_attempt_at, row.lease_until,
                      row.created_at, row.sent_at, row.last_error, row.body_sha256)


@dataclass(frozen=True)
class QueuedMail:
    """One mail to queue with a document as it registers: a forward to a unit, or a receipt to the sender."""

    kind: str  # "forward" or "receipt"
    recipient: str
    message_id: str  # fixed when queued: every (re)send of the row carries it
    unit_code: str = ""
    in_reply_to: str = ""
    priority: int = 0

    @classmethod
    def new(cls, kind: str, recipient: str, domain: str, unit_code: str = "", in_reply_to: str = "",
            priority: int = 0) -> QueuedMail:
        """A mail with a fresh Message-ID in ``domain``."""
        if kind not in KINDS:
            raise ValueError(f"unknown outbox kind {kind!r}")
        return cls(kind, recipient, f"{kind}.{secrets.token_hex(8)}@{domain}", unit_code, in_reply_to, priority)


def queue_mail(conn: sa.Connection, document_id: int, mails: tuple[QueuedMail, ...]) -> None:
    """Insert the rows of ``mails`` in the caller's (registering) transaction; they are sent once it commits."""
    now = _now()
    conn.execute(TABLE.insert(), [dict(
        document_id=document_id, kind=m.kind, unit_code=m.unit_code, recipient=m.recipient,
        message_id_header=m.message_id, in_reply_to=m.in_reply_to, priority=m.priority, state=OUTBOX_QUEUED,
        attempts=0, next_attempt_at=now, lease_until=None, created_at=now, sent_at=None, last_error="",
    ) for m in mails])


def queue_prepared_in(conn: sa.Connection, mail: QueuedMail, body_sha256: str, document_id: int | None,
                      once_key: str | None = None) -> None:
    """Insert the row of a mail prepared whole (its bytes already a blob) in the caller's transaction."""
    now = _now()
    conn.execute(TABLE.insert().values(
        document_id=document_id, kind=mail.kind, unit_code=mail.unit_code, recipient=mail.recipient,
        message_id_header=mail.message_id, in_reply_to=mail.in_reply_to, priority=mail.priority,
        state=OUTBOX_QUEUED, attempts=0, next_attempt_at=now, lease_until=None, created_at=now, sent_at=None,
        last_error="", body_sha256=body_sha256, once_key=once_key))


def _due(now: dt.datetime):
    return sa.or_(
        sa.and_(TABLE.c.state == OUTBOX_QUEUED, TABLE.c.next_attempt_at <= now),
        sa.and_(TABLE.c.state == OUTBOX_SENDING, TABLE.c.lease_until < now),
    )


class OutboxStore:
    """Outbound mail rows: claimed by one sender at a time, settled with an audit event."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def claim_next(self, lease_seconds: float) -> OutboxItem | None:
        """Take the most urgent due mail (or one whose sender's lease ran out) for ``lease_seconds``; None if none."""
        now = _now()
        with self.db.reading() as conn:
            # A forward or receipt names the số đến: mail of a document still waiting for its number waits too.
            numbered = sa.select(Document.id).where(Document.id == TABLE.c.document_id,
                                                    Document.arrival_number.is_not(None)).exists()
            candidates = conn.execute(
                sa.select(TABLE.c.id).where(_due(now), sa.or_(TABLE.c.document_id.is_(None), numbered))
                .order_by(TABLE.c.priority.desc(), TABLE.c.id).limit(8)
            ).scalars().all()
        for row_id in candidates:
            lease = now + dt.timedelta(seconds=lease_seconds)
            with self.db.transaction() as conn:
                taken = conn.execute(
                    TABLE.update().where(TABLE.c.id == row_id, _due(now))
                    .values(state=OUTBOX_SENDING, lease_until=lease, attempts=TABLE.c.attempts + 1)
                ).rowcount
                if taken == 1:
                    return item_of(conn.execute(sa.select(TABLE).where(TABLE.c.id == row_id)).one())
        return None

    def _settle(self, item: OutboxItem, audit: str = "", **values) -> bool:
        """Update a claimed row if the claim is still ours (same lease); False when another sender took it over.

        ``audit`` names the audit event recorded with the update (sent and failed mail show in the trail).
        """
        with self.db.transaction() as conn:
            settled = conn.execute(
                TABLE.update().where(TABLE.c.id == item.id, TABLE.c.state == OUTBOX_SENDING,
                                     TABLE.c.lease_until == item.lease_until).values(**values)
            ).rowcount == 1
            if settled and audit:
                record_audit(conn, audit, document_id=item.document_id, detail={
                    "outbox_id": item.id, "kind": item.kind, "to": item.recipient, "attempts": item.attempts,
                    "reason": values.get("last_error", ""), "message_id": item.message_id})
            return settled

    def queue_prepared(self, mail: QueuedMail, body_sha256: str, document_id: int | None = None,
                       once_key: str | None = None, audit: tuple[str, str, dict] | None = None) -> bool:
        """Queue a mail prepared whole (its bytes already stored as a blob) with an optional audit event
        (action, actor, detail) in the same transaction; False when ``once_key`` was queued before."""
        try:
            with self.db.transaction() as conn:
                queue_prepared_in(conn, mail, body_sha256, document_id, once_key)
                if audit is not None:
                    action, actor, detail = audit
                    record_audit(conn, action, actor=actor, document_id=document_id,
                                 detail={**detail, "to": mail.recipient, "message_id": mail.message_id})
        except RegisterConflict:
            return False
        return True

    def queued_once(self, once_key: str) -> bool:
        """Whether a mail with this once-only key was queued already."""
        with self.db.reading() as conn:
            return conn.execute(sa.select(TABLE.c.id).where(TABLE.c.once_key == once_key)).first() is not None

    def mark_sent(self, item: OutboxItem) -> bool:
        return self._settle(item, "outbox-sent", state=OUTBOX_SENT, sent_at=_now(), lease_until=None,
                            last_error="")

    def mark_retry(self, item: OutboxItem, error: str, at: dt.datetime) -> bool:
        return self._settle(item, state=OUTBOX_QUEUED, next_attempt_at=at, lease_until=None,
                            last_error=error[:2000])

    def mark_failed(self, item: OutboxItem, error: str) -> bool:
        return self._settle(item, "outbox-failed", state=OUTBOX_FAILED, lease_until=None, last_error=error[:2000])

    def get(self, outbox_id: int) -> OutboxItem | None:
        """One row by its id, or None."""
        with self.db.reading() as conn:
            row = conn.execute(sa.select(TABLE).where(TABLE.c.id == outbox_id)).first()
        return item_of(row) if row is not None else None

    def find_by_message_id(self, message_id: str) -> OutboxItem | None:
        """The row whose mail carried this Message-ID (angle brackets optional), or None."""
        inner = message_id.strip().strip("<>")
        if not inner:
            return None
        with self.db.reading() as conn:
            row = conn.execute(sa.select(TABLE).where(TABLE.c.message_id_header == inner).limit(1)).first()
        return item_of(row) if row is not None else None

    def record_bounce(self, item: OutboxItem, failed: bool, diagnostic: str, detail: dict) -> bool:
        """A delivery report about the mail of ``item``: a failure marks the row failed with the diagnostic
        (whatever its state: the relay had taken it), anything else (delayed, relayed) is only noted; either way an
        audit event (outbox-bounced, outbox-report) keeps the report's spool id. False when it was already
        recorded (the same report taken again after a crash)."""
        action = "outbox-bounced" if failed else "outbox-report"
        error = f"bounced: {diagnostic}"[:2000] if failed else ""
        with self.db.transaction() as conn:
            row = conn.execute(sa.select(TABLE).where(TABLE.c.id == item.id)).first()
            if row is None or (failed and row.state == OUTBOX_FAILED and row.last_error == error):
                return False
            if failed:
                conn.execute(TABLE.update().where(TABLE.c.id == item.id)
                             .values(state=OUTBOX_FAILED, lease_until=None, last_error=error))
            record_audit(conn, action, document_id=row.document_id, detail={
                "outbox_id": row.id, "kind": row.kind, "to": row.recipient, "message_id": row.message_id_header,
                "reason": diagnostic[:2000], "previous_state": row.state, **detail})
            return True

    def list(self, state: str | None = None, document_id: int | None = None, limit: int = 100) -> list[OutboxItem]:
        """Outbox rows, newest first."""
        query = sa.select(TABLE).order_by(TABLE.c.id.desc()).limit(limit)
        if state:
            query = query.where(TABLE.c.state == state)
        if document_id is not None:
            query = query.where(TABLE.c.document_id == document_id)
        with self.db.reading() as conn:
            return [item_of(row) for row in conn.execute(query)]

    def retry(self, ids: list[int] | None = None) -> int:
        """Queue failed mails again (the given ids, or every failed one when ``ids`` is None); returns how many.

        The retry period starts again from now, as if the mail had just been queued.
        """
        now = _now()
        query = TABLE.update().where(TABLE.c.state == OUTBOX_FAILED)
        if ids is not None:
            with self.db.reading() as conn:
                found = set(conn.execute(sa.select(TABLE.c.id).where(TABLE.c.id.in_(ids))).scalars())
            missing = sorted(set(ids) - found)
            if missing:
                raise NotFound(f"no outbox mail {', '.join(map(str, missing))}")
            query = query.where(TABLE.c.id.in_(ids))
        with self.db.transaction() as conn:
            return conn.execute(query.values(state=OUTBOX_QUEUED, next_attempt_at=now, created_at=now,
                                             last_error="")).rowcount

    def counts(self) -> dict[str, int]:
        """How many rows are in each state."""
        with self.db.reading() as conn:
            rows = conn.execute(sa.select(TABLE.c.state, sa.func.count()).group_by(TABLE.c.state)).all()
        result = {state: 0 for state in (OUTBOX_QUEUED, OUTBOX_SENDING, OUTBOX_SENT, OUTBOX_FAILED)}
        result.update({state: n for state, n in rows})
        return result
