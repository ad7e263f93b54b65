"""Builds the outbound messages (receipt to the sender, forward to a department); every header value is
stripped of CR/LF so that nothing taken from an incoming message can add a header, and every one is marked as
ours (Auto-Submitted, X-Gateway-Loop) so that it can never come back in as a new document."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from dataclasses import dataclass
from email import policy
from email.header import Header
from email.message import EmailMessage
from email.utils import format_datetime

from gateway.core.text import clean_line
from gateway.register.records import DocumentRecord

ROLE_NAMES = {"lead": "Chủ trì", "cooperate": "Phối hợp", "inform": "Để biết"}
LOOP_HEADER = "X-Gateway-Loop"  # carries Config.loop_id; intake quarantines mail that comes back with it
HEADER_WIDTH = 76  # RFC 5322 recommends 78 characters a line; room for the CRLF


@dataclass(frozen=True)
class ExtraAttachment:
    """A file added to an outbound message (e.g. the edXML status package 01 of a receipt)."""

    filename: str
    content_type: str  # "maintype/subtype"
    data: bytes


def header_safe(value: str) -> str:
    """One line: CR, LF and other control characters become spaces (no header injection), ends trimmed."""
    return " ".join(clean_line(value or "").split())


def _msgid(value: str) -> str:
    """A Message-ID as "<...>" with no spaces, CR/LF or angle brackets inside."""
    inner = re.sub(r"[\s<>]", "", header_safe(value))
    return f"<{inner}>" if inner else ""


def set_text_header(msg: EmailMessage, name: str, value: str) -> None:
    """Set a header of free text (a Vietnamese subject) so that it reads back exactly as given.

    CPython's folding of a long non-ASCII value puts the space between two words as the folding white space
    between two encoded words, where RFC 2047 §6.2 makes readers drop it ("tình hìnhxăng"). Non-ASCII text is
    therefore encoded here whole, in UTF-8 encoded words cut between characters, each space inside a word,
    and stored pre-folded so that the policy does not fold it again.
    """
    value = header_safe(value)
    if value.isascii():
        msg[name] = value
        return
    msg.set_raw(name, Header(value, "utf-8", maxlinelen=HEADER_WIDTH, header_name=name).encode())


def _base(sender: str, to: str, subject: str, message_id: str, when: dt.datetime, loop_id: str) -> EmailMessage:
    msg = EmailMessage(policy=policy.SMTP)
    msg["From"] = header_safe(sender)
    msg["To"] = header_safe(to)
    set_text_header(msg, "Subject", subject)
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = _msgid(message_id)
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: auto-responders must not answer this
    msg[LOOP_HEADER] = header_safe(loop_id)
    return msg


def _local(moment: dt.datetime, timezone: str) -> str:
    return moment.astimezone(zoneinfo.ZoneInfo(timezone)).strftime("%H:%M ngày %d/%m/%Y")


def _title(record: DocumentRecord) -> str:
    number = "/".join(x for x in (record.code_number, record.code_notation) if x)
    return " — ".join(x for x in (f"{record.type_name} {number}".strip(), record.subject) if x)


def build_receipt(
    record: DocumentRecord, *, sender: str, recipient: str, message_id: str, agency: str, timezone: str,
    when: dt.datetime, loop_id: str, extra: list[ExtraAttachment] | None = None,
) -> bytes:
    """The same-day receipt (ND30 Điều 21): số đến, ngày đến and title, in reply to the sender's message."""
    title = header_safe(_title(record) or record.email_subject)
    msg = _base(sender, recipient, f"Xác nhận đã nhận văn bản: {title}"[:200], message_id, when, loop_id)
    original = _msgid(record.message_id_header or "")
    if original:
        msg["In-Reply-To"] = original
        msg["References"] = original
    who = agency or "Cơ quan"
    msg.set_content(
        f"{who} xác nhận đã nhận văn bản của Quý cơ quan.\n\n"
        f"Số đến: {record.arrival_number}/{record.year}\n"
        f"Ngày đến: {_local(record.arrived_at, timezone)}\n"
        f"Văn bản: {title}\n\n"
        "Văn bản đã được đăng ký vào sổ văn bản đến và chuyển đến đơn vị xử lý.\n"
        "Đây là thư tự động, xin không trả lời thư này.\n"
    )
    for item in extra or []:
        maintype, _, subtype = item.content_type.partition("/")
        msg.add_attachment(item.data, maintype=maintype, subtype=subtype or "octet-stream",
                           filename=header_safe(item.filename))
    return msg.as_bytes()


def build_forward(
    record: DocumentRecord, raw: bytes, *, sender: str, recipient: str, unit_name: str, role: str,
    due: dt.date | None, message_id: str, timezone: str, when: dt.datetime, loop_id: str,
) -> bytes:
    """The document to a department: its role and deadline in the body, the original message attached."""
    title = header_safe(record.subject or record.email_subject)
    urgent = " [KHẨN]" if record.urgency >= 1 else ""
    msg = _base(sender, recipient, f"[Số đến {record.arrival_number}/{record.year}]{urgent} {title}"[:200],
                message_id, when, loop_id)
    lines = [
        f"Kính gửi: {unit_name}",
        "",
        f"Văn thư chuyển văn bản đến số {record.arrival_number}/{record.year} "
        f"(đến lúc {_local(record.arrived_at, timezone)}).",
        f"Văn bản: {header_safe(_title(record)) or title}",
        f"Cơ quan ban hành: {record.organ_name or '(chưa rõ)'}",
        f"Vai trò của đơn vị: {ROLE_NAMES.get(role, role)}",
    ]
    if due:
        lines.append(f"Hạn giải quyết: {due.strftime('%d/%m/%Y')}")
    lines += ["", "Thư gốc đính kèm."]
    msg.set_content("\n".join(lines) + "\n")
    _attach_original(msg, raw)
    return msg.as_bytes()


def _attach_original(msg: EmailMessage, raw: bytes) -> None:
    """The original message as a file (message/rfc822 re-encoding could alter it; bytes stay exact this way)."""
    msg.add_attachment(raw, maintype="application", subtype="octet-stream", filename="van-ban-goc.eml")
