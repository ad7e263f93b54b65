"""The sender thread of the daemon: takes due outbox rows, builds each mail, hands it to the relay, settles it.

It runs beside the intake and never holds the register's write lock, so a slow or broken relay cannot slow
the intake; a 4xx (or no answer) is retried with exponential backoff until the retry period is over.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading

from gateway.core.config import Config, RegisterConfig
from gateway.core.errors import GatewayError
from gateway.core.text import nfc
from gateway.edxml import Dialect
from gateway.edxml.status import STATUS_CODES, status_package
from gateway.outbox.compose import ExtraAttachment, build_forward, build_receipt
from gateway.outbox.relay import DeliveryFailure, deliver
from gateway.outbox.returnpath import return_path
from gateway.register.outbox import OutboxItem
from gateway.register.records import DocumentRecord
from gateway.register.service import Register
from gateway.routing.allow import receipt_allowed

log = logging.getLogger(__name__)


def backoff(config: Config, attempts: int) -> float:
    """Seconds before the next try after ``attempts`` tries: initial, doubled each time, capped."""
    return min(config.outbox.backoff_max, config.outbox.backoff_initial * 2 ** max(0, attempts - 1))


def receipt_attachments(record: DocumentRecord, register: RegisterConfig, when: dt.datetime) -> list[ExtraAttachment]:
    """Files added to the receipt of ``record``: for a document that came as an edXML package, the status
    package 01 (đã đến) that the sender's document system reads, in the dialect the sender used (QCVN 102:2016
    or v2.2)."""
    sources = record.field_sources or {}
    came_as_edxml = any(isinstance(source, dict) and source.get("source") == "edxml" for source in sources.values())
    if not came_as_edxml:
        return []

    def given(key: str) -> str:
        value = sources.get(key)
        return str(value.get("value", "")) if isinstance(value, dict) else ""

    dialect = next((d for d in Dialect if d.value == given("edxml_dialect")), Dialect.QCVN_102)
    package = status_package(
        subject_code_number=record.code_number, subject_code_notation=record.code_notation,
        from_organ_id=register.organ_id, from_organ_name=register.agency_name,
        to_organ_id=record.organ_id, to_organ_name=record.organ_name,
        status_code="01", description=STATUS_CODES["01"], at=when, dialect=dialect,
        document_id=given("document_id"), promulgation_date=record.issued_date,
    )
    return [ExtraAttachment("status-01.edxml", "application/xml", package)]


class OutboxSender:
    """Sends queued mail until stopped; one per daemon (several daemons may share a database)."""

    def __init__(self, config: Config, register: Register | None = None) -> None:
        self.config = config
        self._own_register = register is None
        self.register = register if register is not None else Register(config)
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="outbox-sender", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Finish the mail in hand, then stop (its row stays claimed only if the relay hangs past ``timeout``)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
        if self._own_register:
            self.register.close()

    def wake(self) -> None:
        self._wake.set()

    def _run(self) -> None:
        log.info("outbox sender started: relay %s:%d", self.config.outbox.relay_host, self.config.outbox.relay_port)
        while not self._stop.is_set():
            try:
                busy = self.send_due()
            except Exception:  # noqa: BLE001 - the sender must outlive a database hiccup
                log.exception("outbox sender: unexpected error; trying again shortly")
                busy = False
            if not busy:
                self._wake.wait(self.config.outbox.poll_interval)
                self._wake.clear()

    def send_due(self, limit: int = 50) -> int:
        """Send up to ``limit`` due mails; returns how many were tried."""
        tried = 0
        while tried < limit and not self._stop.is_set():
            item = self.register.outbox.claim_next(self.config.outbox.lease)
            if item is None:
                break
            tried += 1
            self.send_one(item)
        return tried

    def send_one(self, item: OutboxItem) -> None:
        try:
            data = self.compose(item)
        except GatewayError as err:
            log.error("outbox %d: cannot build the %s to %s: %s", item.id, item.kind, item.recipient, err)
            self.register.outbox.mark_failed(item, f"cannot build: {err}")
            return
        outbox = self.config.outbox
        envelope_sender = outbox.from_address
        if outbox.verp:
            envelope_sender = return_path(outbox.from_address, item.id, item.message_id,
                                          self.config.smtp.recipient_delimiter)
        try:
            deliver(outbox, envelope_sender, item.recipient, data)
        except DeliveryFailure as err:
            self._failed(item, err)
            return
        if self.register.outbox.mark_sent(item):
            log.info("outbox %d: %s for document %s sent to %s <%s>", item.id, item.kind, item.document_id,
                     item.recipient, item.message_id)
        else:
            log.warning("outbox %d: sent, but the claim had been taken over (lease too short?)", item.id)

    def _failed(self, item: OutboxItem, err: DeliveryFailure) -> None:
        age = (dt.datetime.now(dt.timezone.utc) - item.created_at).total_seconds()
        if not err.temporary or age >= self.config.outbox.retry_period:
            why = str(err) if not err.temporary else f"retry period over; last error: {err}"
            self.register.outbox.mark_failed(item, why)
            log.error("outbox %d: %s to %s failed for good: %s", item.id, item.kind, item.recipient, why)
            return
        wait = backoff(self.config, item.attempts)
        self.register.outbox.mark_retry(item, str(err), dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=wait))
        log.warning("outbox %d: %s to %s deferred (%s); retry %d in %.0f s", item.id, item.kind, item.recipient,
                    err, item.attempts + 1, wait)

    def compose(self, item: OutboxItem) -> bytes:
        """The message of one outbox row: prepared whole when it was queued, or built from the register (the
        same bytes on every resend but Date)."""
        if item.body_sha256:
            return self.register.blobs.get(item.body_sha256)
        record = self.register.get_document(item.document_id)
        when = item.created_at
        outbox = self.config.outbox
        if item.kind == "receipt":
            if not receipt_allowed(item.recipient, outbox.receipt_domains):
                raise GatewayError(f"{item.recipient} is not in outbox.receipt_domains")
            return build_receipt(
                record, sender=outbox.from_address, recipient=item.recipient, message_id=item.message_id,
                agency=nfc(self.config.register.agency_name), timezone=self.config.register.timezone,
                when=when, loop_id=self.config.loop_id, extra=receipt_attachments(record, self.config.register, when))
        share = next((a for a in self.register.views.assignments(item.document_id)
                      if a.unit_code == item.unit_code), None)
        unit_name = share.unit_name if share else dict(self.register.views.departments(active_only=False)).get(
            item.unit_code, item.unit_code)
        raw = self.register.blobs.get(record.message_sha256)
        directions = self.register.views.directions(item.document_id)
        return build_forward(
            record, raw, sender=outbox.from_address, recipient=item.recipient, unit_name=unit_name,
            role=share.role if share else "", due=share.due_date if share else None, message_id=item.message_id,
            timezone=self.config.register.timezone, when=when, loop_id=self.config.loop_id,
            direction=directions[-1] if directions else None)
