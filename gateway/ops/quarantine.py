"""Operator actions on held mail (quarantine/ and auto/: release, delete), each with its audit event, shared by the
CLI and the web."""

from __future__ import annotations

from typing import Any

from gateway.register.service import Register
from gateway.spool import Spool, quarantine


def release(spool: Spool, register: Register, spool_id: str, actor: str) -> dict[str, Any]:
    """Send a quarantined message back to incoming/ marked as released by ``actor``; audited as quarantine-released."""
    record = quarantine.record_of(spool, spool_id)
    queue = quarantine.queue_of(spool, spool_id)
    quarantine.release(spool, spool_id, released_by=actor)
    detail = {"spool_id": spool_id, "reason": record.get("reason", ""), "queue": queue}
    register.record_event("quarantine-released", actor, detail)
    return detail


def delete(spool: Spool, register: Register, spool_id: str, actor: str) -> dict[str, Any]:
    """Delete a quarantined message for good; the audit event (sender, recipients, subject, reason) commits first."""
    detail = quarantine.describe(spool, spool_id)
    register.record_event("quarantine-deleted", actor, detail)
    quarantine.delete(spool, spool_id)  # after the audit event has committed: never a silent loss
    return detail
