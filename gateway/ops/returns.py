"""Returning a document to its sender (ND30 Điều 21): one that fails the check of authenticity or integrity, or
was sent to the wrong recipient. From quarantine it takes no số đến; a registered one keeps its number and is
marked returned. The sender gets a Vietnamese notice with the original attached (and, for an edXML package,
the status package 02 "từ chối tiếp nhận"); never an unauthenticated sender, whose address may be forged."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from gateway.core.config import Config
from gateway.core.errors import GatewayError
from gateway.core.values import AuthResults
from gateway.edxml.parse import first_package
from gateway.edxml.status import STATUS_CODES, status_package
from gateway.mail.parse import parse_message
from gateway.outbox.compose import ExtraAttachment, build_return
from gateway.register.outbox import QueuedMail
from gateway.register.service import Register
from gateway.spool import Spool, quarantine
from gateway.trust import passed


class ReturnError(GatewayError):
    """A document cannot be returned as asked (no reason, an unauthenticated sender, no sender at all)."""


@dataclasses.dataclass(frozen=True)
class Returned:
    """What was sent back, to whom."""

    recipient: str
    message_id: str
    edxml: bool


def return_quarantined(spool: Spool, register: Register, config: Config, spool_id: str, reason: str,
                       actor: str) -> Returned:
    """Send a quarantined message back to its sender, then remove it from quarantine (it takes no số đến)."""
    info, envelope, raw, record = quarantine.show(spool, spool_id)
    detail = record.get("detail", {}) if isinstance(record.get("detail"), dict) else {}
    auth = AuthResults(spf=str(detail.get("spf", "none")), dkim=str(detail.get("dkim", "none")),
                       dmarc=str(detail.get("dmarc", "none")))
    parsed = parse_message(raw, config.limits)
    recipient = _recipient(parsed.from_addr, auth)
    edxml = _edxml_fields(parsed)
    mail, sha = _prepare(register, config, recipient, reason, parsed.subject, parsed.message_id, raw, edxml,
                         arrival=f"thư nhận lúc {info.received_at:%H:%M %d/%m/%Y}" if info.received_at else "")
    register.outbox.queue_prepared(mail, sha, audit=("returned-to-sender", actor, {
        "spool_id": spool_id, "reason": reason, "quarantine_reason": record.get("reason", ""),
        "subject": parsed.subject, "edxml": bool(edxml)}))
    quarantine.delete(spool, spool_id)  # after the return is queued and audited: nothing vanishes unrecorded
    return Returned(recipient, mail.message_id, bool(edxml))


def return_registered(register: Register, config: Config, document_id: int, reason: str, actor: str) -> Returned:
    """Send a registered document back to its sender; it keeps its số đến and is marked returned."""
    record = register.get_document(document_id)
    auth = AuthResults(spf=record.auth.get("spf", "none"), dkim=record.auth.get("dkim", "none"),
                       dmarc=record.auth.get("dmarc", "none"))
    recipient = _recipient(record.from_addr, auth)
    raw = register.blobs.get(record.message_sha256)
    edxml = _edxml_fields(parse_message(raw, config.limits))
    mail, sha = _prepare(register, config, recipient, reason, record.email_subject, record.message_id_header or "",
                         raw, edxml, arrival=f"số đến {record.arrival_number}/{record.year}"
                         if record.arrival_number else "")
    register.changes.return_to_sender(document_id, reason, actor, mail, sha)
    return Returned(recipient, mail.message_id, bool(edxml))


def _recipient(address: str, auth: AuthResults) -> str:
    if not address:
        raise ReturnError("không có địa chỉ người gửi để trả lại")
    if not passed(auth):
        raise ReturnError(f"không trả lại cho {address}: người gửi chưa được xác thực (SPF/DKIM/DMARC), địa chỉ "
                          "có thể bị giả mạo; hãy xoá thư thay vì trả lại")
    return address.strip().lower()


def _edxml_fields(parsed: Any) -> dict[str, str] | None:
    """The header fields of the edXML package the message carried, if it carried one."""
    package = first_package(parsed.parts)
    return dict(package.fields) if package is not None else None


def _prepare(register: Register, config: Config, recipient: str, reason: str, subject: str, message_id: str,
             raw: bytes, edxml: dict[str, str] | None, arrival: str) -> tuple[QueuedMail, str]:
    """The return mail, stored as a blob; its outbox row to be queued by the caller."""
    if not reason.strip():
        raise ReturnError("trả lại văn bản cần ghi lý do")
    domain = config.outbox.from_address.rpartition("@")[2] or "localhost"
    mail = QueuedMail.new("return", recipient, domain, in_reply_to=message_id, priority=1)
    now = dt.datetime.now(dt.timezone.utc)
    extra = []
    if edxml is not None:
        extra.append(ExtraAttachment("status-02.edxml", "application/xml", status_package(
            subject_code_number=edxml.get("code_number", ""), subject_code_notation=edxml.get("code_notation", ""),
            from_organ_id=config.register.organ_id, from_organ_name=config.register.agency_name,
            to_organ_id=edxml.get("organ_id", ""), to_organ_name=edxml.get("organ_name", ""), status_code="02",
            description=f"{STATUS_CODES['02']}: {reason}", at=now)))
    body = build_return(sender=config.outbox.from_address, recipient=recipient, agency=config.register.agency_name,
                        subject=subject, reason=reason, original_message_id=message_id, arrival=arrival,
                        original=raw, message_id=mail.message_id, when=now, loop_id=config.loop_id, extra=extra)
    return mail, register.blobs.put(body)
