"""The outbox table's operations: queue in the caller's transaction, claim with a lease, settle, list, retry.

A claim sets state "sending" and a lease; a sender that dies mid-send leaves the lease to run out, and the
mail is then sent again with the same Message-ID, so the receiving side can recognise the copy.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from gateway.core.errors import NotFound
from gateway.register.audit import record_audit
from gateway.register.models import OUTBOX_FAILED, OUTBOX_QUEUED, OUTBOX_SENDING, OUTBOX_SENT, OutboxMessage

TABLE = OutboxMessage.__table__
KINDS = ("forward", "receipt")


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


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _item(row) -> OutboxItem:
    return OutboxItem(row.id, row.document_id, row.kind, row.unit_code, row.recipient, row.message_id_header,
                      row.in_reply_to, row.priority, row.state, row.attempts, row.next_attempt_at, row.lease_until,
                      row.created_at, row.sent_at, row.last_error)


def new_message_id(kind: str, document_id: int | None, domain: str) -> str:
    """A Message-ID fixed when the row is queued: every (re)send of the row carries it."""
    return f"{kind}.{document_id or 0}.{secrets.token_hex(8)}@{domain}"


def mail_row(
    *, kind: str, document_id: int | None, recipient: str, domain: str, unit_code: str = "", in_reply_to: str = "",
    priority: int = 0,
) -> dict:
    """The values of one outbox row, to be inserted in the registering transaction (sent once it commits)."""
    if kind not in KINDS:
        raise ValueError(f"unknown outbox kind {kind!r}")
    now = _now()
    return dict(
        document_id=document_id, kind=kind, unit_code=unit_code, recipient=recipient,
        message_id_header=new_message_id(kind, document_id, domain), in_reply_to=in_reply_to, priority=priority,
        state=OUTBOX_QUEUED, attempts=0, next_attempt_at=now, lease_until=None, created_at=now, sent_at=None,
        last_error="",
    )


def _due(now: dt.datetime):
    return sa.or_(
        sa.and_(TABLE.c.state == OUTBOX_QUEUED, TABLE.c.next_attempt_at <= now),
        sa.and_(TABLE.c.state == OUTBOX_SENDING, TABLE.c.lease_until < now),
    )


def claim_next(engine: Engine, lease_seconds: float) -> OutboxItem | None:
    """Take the most urgent due mail (or one whose sender's lease ran out) for ``lease_seconds``; None if none."""
    now = _now()
    with engine.connect() as conn:
        candidates = conn.execute(
            sa.select(TABLE.c.id).where(_due(now)).order_by(TABLE.c.priority.desc(), TABLE.c.id).limit(8)
        ).scalars().all()
    for row_id in candidates:
        lease = now + dt.timedelta(seconds=lease_seconds)
        with engine.begin() as conn:
            taken = conn.execute(
                TABLE.update().where(TABLE.c.id == row_id, _due(now))
                .values(state=OUTBOX_SENDING, lease_until=lease, attempts=TABLE.c.attempts + 1)
            ).rowcount
            if taken == 1:
                return _item(conn.execute(sa.select(TABLE).where(TABLE.c.id == row_id)).one())
    return None


def _settle(engine: Engine, item: OutboxItem, audit: str = "", **values) -> bool:
    """Update a claimed row if the claim is still ours (same lease); False when another sender took it over.

    ``audit`` names the audit event recorded with the update (sent and failed mail show in the trail).
    """
    with engine.begin() as conn:
        settled = conn.execute(
            TABLE.update().where(TABLE.c.id == item.id, TABLE.c.state == OUTBOX_SENDING,
                                 TABLE.c.lease_until == item.lease_until).values(**values)
        ).rowcount == 1
        if settled and audit:
            record_audit(conn, audit, document_id=item.document_id, detail={
                "outbox_id": item.id, "kind": item.kind, "to": item.recipient, "attempts": item.attempts,
                "reason": values.get("last_error", ""), "message_id": item.message_id})
        return settled


def mark_sent(engine: Engine, item: OutboxItem) -> bool:
    return _settle(engine, item, "outbox-sent", state=OUTBOX_SENT, sent_at=_now(), lease_until=None,
                   last_error="")


def mark_retry(engine: Engine, item: OutboxItem, error: str, at: dt.datetime) -> bool:
    return _settle(engine, item, state=OUTBOX_QUEUED, next_attempt_at=at, lease_until=None, last_error=error[:2000])


def mark_failed(engine: Engine, item: OutboxItem, error: str) -> bool:
    return _settle(engine, item, "outbox-failed", state=OUTBOX_FAILED, lease_until=None, last_error=error[:2000])


def list_outbox(engine: Engine, state: str | None = None, document_id: int | None = None,
                limit: int = 100) -> list[OutboxItem]:
    """Outbox rows, newest first."""
    query = sa.select(TABLE).order_by(TABLE.c.id.desc()).limit(limit)
    if state:
        query = query.where(TABLE.c.state == state)
    if document_id is not None:
        query = query.where(TABLE.c.document_id == document_id)
    with engine.connect() as conn:
        return [_item(row) for row in conn.execute(query)]


def retry(engine: Engine, ids: list[int] | None = None) -> int:
    """Queue failed mails again (the given ids, or every failed one when ``ids`` is None); returns how many.

    The retry period starts again from now, as if the mail had just been queued.
    """
    now = _now()
    query = TABLE.update().where(TABLE.c.state == OUTBOX_FAILED)
    if ids is not None:
        with engine.connect() as conn:
            found = set(conn.execute(sa.select(TABLE.c.id).where(TABLE.c.id.in_(ids))).scalars())
        missing = sorted(set(ids) - found)
        if missing:
            raise NotFound(f"no outbox mail {', '.join(map(str, missing))}")
        query = query.where(TABLE.c.id.in_(ids))
    with engine.begin() as conn:
        return conn.execute(query.values(state=OUTBOX_QUEUED, next_attempt_at=now, created_at=now,
                                         last_error="")).rowcount


def counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        rows = conn.execute(sa.select(TABLE.c.state, sa.func.count()).group_by(TABLE.c.state)).all()
    result = {state: 0 for state in (OUTBOX_QUEUED, OUTBOX_SENDING, OUTBOX_SENT, OUTBOX_FAILED)}
    result.update({state: n for state, n in rows})
    return result
