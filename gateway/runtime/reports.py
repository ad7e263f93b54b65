"""Delivery reports about the gateway's own mail: find the outbox row a bounce is about (the return path it came
back to, else the Message-ID of the returned message) and record the outcome on it."""

from __future__ import annotations

import logging

from gateway.core.config import Config
from gateway.mail.automatic import Automatic
from gateway.mail.dsn import DeliveryReport
from gateway.outbox.returnpath import read_return_path, token_of
from gateway.register.outbox import OutboxItem
from gateway.register.service import Register

log = logging.getLogger(__name__)


def outbox_row_of(report: DeliveryReport, returned_to: tuple[str, ...], register: Register,
                  config: Config) -> OutboxItem | None:
    """The outbox row the report is about, or None when it is about no mail the gateway sent."""
    delimiter = config.smtp.recipient_delimiter
    for address in returned_to:
        tag = read_return_path(address, delimiter)
        if tag is None:
            continue
        item = register.outbox.get(tag.outbox_id)
        if item is not None and token_of(item.message_id) == tag.token:
            return item
        log.warning("delivery report to %s names outbox %d with a token that does not match its mail; ignored",
                    address, tag.outbox_id)
    if report.original_message_id:
        return register.outbox.find_by_message_id(report.original_message_id)
    return None


def settle_report(automatic: Automatic, register: Register, config: Config, spool_id: str) -> dict:
    """Record a delivery report on its outbox row (failed with the diagnostic, when delivery failed); what to
    keep in the auto/ record about it."""
    report = automatic.report
    if report is None:
        return {}
    item = outbox_row_of(report, automatic.returned_to, register, config)
    if item is None:
        log.info("spool %s: delivery report about no mail of ours (%s)", spool_id, report.summary()[:200])
        return {"outbox_id": None}
    failed = bool(report.failed)
    diagnostic = "; ".join(" ".join(x for x in (r.status, r.diagnostic) if x) for r in report.failed) \
        if failed else report.summary()
    recorded = register.outbox.record_bounce(item, failed, diagnostic or "delivery failed", {
        "report_spool_id": spool_id, "reporting_mta": report.reporting_mta})
    log.warning("spool %s: delivery report for outbox %d (%s to %s): %s%s%s", spool_id, item.id, item.kind,
                item.recipient, "failed: " if failed else "", diagnostic[:300],
                "" if recorded else " (already recorded)")
    return {"outbox_id": item.id, "document_id": item.document_id, "failed": failed}
