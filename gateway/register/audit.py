"""Writes one audit event: the only way anything is added to the audit trail."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from gateway.register.models import AuditEvent

SYSTEM_ACTOR = "gateway"


def record_audit(
    conn: sa.Connection,
    action: str,
    *,
    actor: str = SYSTEM_ACTOR,
    message_id: int | None = None,
    document_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Append one event (what happened, who did it, to which message or document) in the caller's transaction."""
    conn.execute(
        sa.insert(AuditEvent.__table__).values(
            at=dt.datetime.now(dt.timezone.utc), actor=actor, action=action,
            message_id=message_id, document_id=document_id, detail=detail or {},
        )
    )
