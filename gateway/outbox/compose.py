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
from typing import Any

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
    due: dt.date | None, message_id: str, timezone: str, when: dt.datetime, loop_id: str, direction: Any = None,
) -> bytes:
    """The document to a department: its role and deadline in the body (with the leader's direction when there
    is one), the original message attached."""
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
    if direction is not None:
        lines += ["", f"Ý kiến chỉ đạo của {header_safe(direction.directed_by)} "
                      f"({_local(direction.directed_at, timezone)}):", direction.opinion or "(không ghi ý kiến)"]
    lines += ["", "Thư gốc đính kèm."]
    msg.set_content("\n".join(lines) + "\n")
    _attach_original(msg, raw)
    return msg.as_bytes()


def _attach_original(msg: EmailMessage, raw: bytes) -> None:
    """The original message as a file (message/rfc822 re-encoding could alter it; bytes stay exact this way)."""
    msg.add_attachment(raw, maintype="application", subtype="octet-stream", filename="van-ban-goc.eml")


def build_return(
    *, sender: str, recipient: str, agency: str, subject: str, reason: str, original_message_id: str,
    arrival: str, original: bytes, message_id: str, when: dt.datetime, loop_id: str,
    extra: list[ExtraAttachment] | None = None,
) -> bytes:
    """A document returned to its sender (ND30 Điều 21: it failed the check of authenticity or integrity, or it
    was not for us): the reason in Vietnamese, the original attached, in reply to it."""
    msg = _base(sender, recipient, f"Trả lại văn bản: {header_safe(subject) or '(không có tiêu đề)'}"[:200],
                message_id, when, loop_id)
    replied = _msgid(original_message_id)
    if replied:
        msg["In-Reply-To"] = replied
        msg["References"] = replied
    who = header_safe(agency) or "Văn thư"
    msg.set_content(
        f"{who} trả lại văn bản Quý cơ quan đã gửi đến{f' ({arrival})' if arrival else ''}.\n\n"
        f"Lý do: {reason.strip() or '(không ghi lý do)'}\n\n"
        "Văn bản gốc đính kèm. Đề nghị Quý cơ quan kiểm tra và gửi lại nếu cần.\n"
    )
    _attach_original(msg, original)
    for item in extra or []:
        main, _, sub = item.content_type.partition("/")
        msg.add_attachment(item.data, maintype=main, subtype=sub, filename=item.filename)
    return msg.as_bytes()


def build_recall_answer(
    *, sender: str, recipient: str, agency: str, document: str, accepted: bool, reason: str, original_message_id: str,
    message_id: str, when: dt.datetime, loop_id: str, extra: list[ExtraAttachment] | None = None,
) -> bytes:
    """The answer to a recall notice (ND30 Điều 18.4.b; edXML status 15 or 16): whether the văn thư agreed and,
    when so, that the document and its data were removed from the register; in reply to the notice."""
    verb = "Đồng ý thu hồi" if accepted else "Từ chối thu hồi"
    msg = _base(sender, recipient, f"{verb} văn bản: {header_safe(document) or '(không rõ)'}"[:200], message_id,
                when, loop_id)
    replied = _msgid(original_message_id)
    if replied:
        msg["In-Reply-To"] = replied
        msg["References"] = replied
    who = header_safe(agency) or "Văn thư"
    if accepted:
        text = (f"{who} đã nhận thông báo thu hồi văn bản {document} và đồng ý thu hồi: văn bản điện tử và dữ liệu "
                "của văn bản đã được xoá khỏi hệ thống; số đến được giữ với ghi chú \"đã thu hồi\".\n")
    else:
        text = f"{who} đã nhận thông báo thu hồi văn bản {document} nhưng không đồng ý thu hồi.\n"
    if reason.strip():
        text += f"\n{'Lý do thu hồi' if accepted else 'Lý do'}: {reason.strip()}\n"
    msg.set_content(text)
    for item in extra or []:
        main, _, sub = item.content_type.partition("/")
        msg.add_attachment(item.data, maintype=main, subtype=sub, filename=item.filename)
    return msg.as_bytes()


ROLE_SHORT = {"lead": "chủ trì", "cooperate": "phối hợp"}


def build_digest(
    *, sender: str, recipient: str, agency: str, heading: str, lines: list[tuple[str, list[str]]],
    message_id: str, when: dt.datetime, day: dt.date, loop_id: str,
) -> bytes:
    """The daily follow-up (đôn đốc, ND30 Điều 20.4): for each group (a unit, or overdue / due soon), one line
    per document; plain Vietnamese text, auto-generated."""
    msg = _base(sender, recipient, f"{heading} ngày {day:%d/%m/%Y}"[:200], message_id, when, loop_id)
    text = [f"{header_safe(agency) or 'Văn thư'} — {heading.lower()} ngày {day:%d/%m/%Y}.", ""]
    for title, entries in lines:
        text.append(f"{title} ({len(entries)}):")
        text += [f"  - {entry}" for entry in entries]
        text.append("")
    text.append("Thư này được gửi tự động mỗi ngày làm việc; đề nghị các đơn vị cập nhật tiến độ giải quyết.")
    msg.set_content("\n".join(text) + "\n")
    return msg.as_bytes()
