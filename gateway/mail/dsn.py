"""Reads a delivery status notification (RFC 3464: multipart/report; report-type=delivery-status): what became of
each recipient, and which message it reports on (the Message-ID of the returned message or its headers)."""

from __future__ import annotations

from dataclasses import dataclass
from email import policy
from email.message import Message
from email.parser import BytesParser, HeaderParser

from gateway.core.text import clean_line
from gateway.mail.headers import parse_message_id

_PARSER = BytesParser(policy=policy.compat32)
MAX_RECIPIENTS = 100  # a report about more recipients than this is read only that far


@dataclass(frozen=True)
class RecipientStatus:
    """One per-recipient block of a report: the address, the action (failed, delayed, delivered, relayed,
    expanded), the RFC 3463 status code and the remote server's diagnostic."""

    recipient: str
    action: str
    status: str
    diagnostic: str


@dataclass(frozen=True)
class DeliveryReport:
    """What a delivery status notification says."""

    reporting_mta: str
    recipients: tuple[RecipientStatus, ...]
    original_message_id: str  # of the message the report is about, "" when it was not returned
    envelope_id: str = ""  # Original-Envelope-Id, when the sender gave one (ENVID)

    @property
    def failed(self) -> tuple[RecipientStatus, ...]:
        return tuple(r for r in self.recipients if r.action == "failed")

    def summary(self) -> str:
        """One line for the văn thư and the outbox row: action, status and diagnostic of each recipient."""
        return "; ".join(" ".join(x for x in (r.recipient, r.action, r.status, r.diagnostic) if x)
                         for r in self.recipients) or "delivery report without recipient fields"


def is_delivery_report(content_type: str) -> bool:
    """True for a Content-Type header value of multipart/report with report-type=delivery-status."""
    value = content_type.lower().replace(" ", "")
    return value.startswith("multipart/report") and "report-type=delivery-status" in value.replace('"', "")


def read_report(raw: bytes) -> DeliveryReport:
    """The fields of the report in ``raw``; blocks that are missing leave their fields empty, never an error."""
    message = _PARSER.parsebytes(raw)
    blocks: list[Message] = []
    returned_id = ""
    for part in message.walk():
        kind = part.get_content_type()
        if kind == "message/delivery-status" and not blocks:
            blocks = _status_blocks(part)
        elif kind in ("message/rfc822", "message/global") and not returned_id:
            inner = part.get_payload()
            if isinstance(inner, list) and inner:
                returned_id = parse_message_id(str(inner[0].get("Message-ID", "")))
        elif kind in ("text/rfc822-headers", "text/global-headers") and not returned_id:
            headers = HeaderParser(policy=policy.compat32).parsestr(_text(part), headersonly=True)
            returned_id = parse_message_id(str(headers.get("Message-ID", "")))
    first = blocks[0] if blocks else Message()
    recipients = tuple(_recipient(block) for block in blocks[1: MAX_RECIPIENTS + 1])
    return DeliveryReport(_value(first, "Reporting-MTA"), recipients, returned_id,
                          _value(first, "Original-Envelope-Id"))


def _status_blocks(part: Message) -> list[Message]:
    """The field blocks of a message/delivery-status part: the per-message block, then one per recipient."""
    payload = part.get_payload()
    if isinstance(payload, list):
        return [block for block in payload if isinstance(block, Message)]
    text = payload if isinstance(payload, str) else ""
    chunks = [chunk for chunk in text.replace("\r\n", "\n").split("\n\n") if chunk.strip()]
    return [HeaderParser(policy=policy.compat32).parsestr(chunk, headersonly=True) for chunk in chunks]


def _recipient(block: Message) -> RecipientStatus:
    address = _value(block, "Final-Recipient") or _value(block, "Original-Recipient")
    return RecipientStatus(address.partition(";")[2].strip() or address, _value(block, "Action").lower(),
                           _value(block, "Status"), _value(block, "Diagnostic-Code").partition(";")[2].strip()
                           or _value(block, "Diagnostic-Code"))


def _value(block: Message, name: str) -> str:
    return clean_line(" ".join(str(block.get(name, "")).split()))[:1000]


def _text(part: Message) -> str:
    data = part.get_payload(decode=True)
    return data.decode("utf-8", "replace") if isinstance(data, bytes) else str(part.get_payload())
