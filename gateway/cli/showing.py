"""Renders one registered document for people (Vietnamese labels, register layout) and for programs (JSON)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import zoneinfo
from typing import Any

from gateway.core.text import UNSAFE_IN_LINE
from gateway.core.values import SECRECY_NAMES, URGENCY_NAMES, DocumentMeta, Extracted
from gateway.register.records import DocumentRecord
from gateway.register.review import settled
from gateway.web import events, labels
from gateway.web.reasons import translate

# (label, DocumentRecord attribute) in the order of the sổ đăng ký văn bản đến (ND30 Phụ lục IV, VI).
FIELD_LABELS = (
    ("Cơ quan chủ quản", "organ_parent"),
    ("Tác giả (cơ quan ban hành)", "organ_name"),
    ("Số của văn bản", "code_number"),
    ("Ký hiệu", "code_notation"),
    ("Ngày văn bản", "issued_date"),
    ("Địa danh", "place"),
    ("Tên loại", "type_name"),
    ("Trích yếu", "subject"),
    ("Người ký", "signer_name"),
    ("Chức vụ người ký", "signer_position"),
    ("Số trang", "page_amount"),
    ("Kính gửi", "addressees"),
    ("Nơi nhận", "to_places"),
    ("Hạn giải quyết", "due_date"),
    ("Ghi chú", "description"),
    ("Chữ ký số", "signature_status"),
)


def signature_line(report: dict[str, Any]) -> str:
    """One signature as a line: status, signer, issuer, time, integrity and coverage."""
    who = report.get("signer") or "?"
    if report.get("organisation") and report.get("organisation") != who:
        who += f" ({report['organisation']})"
    whole = "cả tệp" if report.get("covers_whole_file") else "một phần tệp"
    intact = "nguyên vẹn" if report.get("intact") else "ĐÃ BỊ SỬA"
    status = labels.SIGNATURE.get(report.get("status"), str(report.get("status")))
    when = labels.iso_date(report.get("signing_time")) or "?"
    return f"chữ ký: {status}: {who}, cấp bởi {report.get('issuer') or '?'}, lúc {when}, {intact}, phủ {whole}"


def _level(names: tuple[str, ...], level: int) -> str:
    return names[level] if 0 <= level < len(names) else str(level)


def document_as_dict(record: DocumentRecord, routing: Any = None, directions: tuple = (), recalls: tuple = (),
                     links: tuple = ()) -> dict[str, Any]:
    """Every field of the document, its message, files, arrivals, routing and audit events, for json.dumps."""
    data = {name: getattr(record, name) for name in (
        "id", "register_code", "register_name", "year", "arrival_number", "arrival_date", "arrived_at",
        "code_number", "code_notation", "issued_date", "place", "organ_name", "organ_id", "type_name", "type_code",
        "subject", "signer_position", "signer_name", "urgency", "secrecy", "page_amount", "to_places", "due_date",
        "description", "organ_parent", "addressees", "signature_status", "field_sources", "possible_duplicate_of",
        "status",
    )}
    data["urgency_name"] = _level(URGENCY_NAMES, record.urgency)
    data["secrecy_name"] = _level(SECRECY_NAMES, record.secrecy)
    data["message"] = {
        "id": record.message_db_id, "message_id": record.message_id_header, "subject": record.email_subject,
        "from": record.from_addr, "from_name": record.from_name, "to": record.to_addrs,
        "date": record.date_header, "sha256": record.message_sha256, "size": record.size,
        "defects": list(record.defects),
        "authentication": dict(record.auth),
        "envelope": {"source": record.source, "mail_from": record.mail_from, "rcpt_tos": list(record.rcpt_tos),
                     "peer": record.peer, "helo": record.helo, "source_ref": record.source_ref,
                     "received_at": record.received_at},
    }
    data["attachments"] = [dataclasses.asdict(a) for a in record.attachments]
    data["arrivals"] = [dataclasses.asdict(a) for a in record.arrivals]
    data["audit"] = [dataclasses.asdict(a) for a in record.audit]
    data["routing"] = dataclasses.asdict(routing) if routing is not None else None
    data["directions"] = [dataclasses.asdict(d) for d in directions]
    data["recalls"] = [dataclasses.asdict(r) for r in recalls]
    data["links"] = [dataclasses.asdict(link) for link in links]
    return _jsonable(data)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(item) for item in value]
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def _local(moment: dt.datetime | None, zone: zoneinfo.ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%d/%m/%Y %H:%M:%S") if moment else ""


def _display(value: Any) -> str:
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    return "" if value is None else str(value)


def action_text(action: str) -> str:
    """A rule's action as the decision record keeps it ("name=value"), as people read it: "ưu tiên khẩn"."""
    key, _, value = action.partition("=")
    shown = labels.one(labels.PRIORITIES, value).lower() if key == "priority" else labels.YES_NO.get(value, value)
    return f"{labels.ACTIONS.get(key, key)} {shown}".strip()


def _routing_lines(routing: Any, zone: zoneinfo.ZoneInfo) -> list[str]:
    """The routing block: assignments (unit, role, deadline, status), matched rules and outbound mail."""
    tags = f", nhãn {', '.join(routing.tags)}" if routing.tags else ""
    lines = [f"Phân phối (bộ luật {routing.rules_version or '-'}, {_local(routing.decided_at, zone)}, "
             f"ưu tiên {labels.one(labels.PRIORITIES, routing.priority).lower()}{tags})"]
    for item in routing.assignments:
        due = f", hạn {_display(item.due_date)}" if item.due_date else ""
        lines.append(f"  {labels.role(item.role).lower():<10}{item.unit_code} — {item.unit_name}{due} "
                     f"[{labels.status(item.status).lower()}]")
    for match in routing.matched:
        actions = [action_text(action) for action in match.get("actions", [])]
        lines.append(f"  luật {match.get('rule')}: {'; '.join(actions) or '-'}")
    for mail in routing.outbox:
        error = f" ({translate(mail.last_error)})" if mail.last_error else ""
        lines.append(f"  thư {labels.one(labels.MAIL_KINDS, mail.kind)} → {mail.recipient}: "
                     f"{labels.one(labels.MAIL_STATES, mail.state)}, {mail.attempts} lần gửi{error}")
    return lines


def _origin(source: Any) -> str:
    """Where a field's value came from, for the bracket after it."""
    if not isinstance(source, dict):
        return ""
    if source.get("source") == "manual":
        return f"   [người sửa: {source.get('by', '?')}]"
    confirmed = f", đã xác nhận: {source.get('confirmed_by')}" if settled(source) else ""
    return f"   [{labels.source(str(source.get('source')))}, {float(source.get('confidence', 0)):.2f}{confirmed}]"


def document_as_text(record: DocumentRecord, timezone: str = "Asia/Ho_Chi_Minh", routing: Any = None,
                     directions: tuple = (), recalls: tuple = (), links: tuple = ()) -> str:
    """The document as a văn thư reads it: register columns first, then the e-mail, files and history."""
    zone = zoneinfo.ZoneInfo(timezone)
    lines = [
        f"Số đến {record.arrival_number or '(chờ số)'}/{record.year} — {record.register_name} (mã văn bản {record.id})"
        + (f" — {labels.one(labels.DOC_STATES, record.status).upper()}" if record.status in ("returned", "recalled")
           else ""),
        f"  {'Ngày đến':<28}{_local(record.arrived_at, zone)}",
        f"  {'Độ khẩn / độ mật':<28}{_level(URGENCY_NAMES, record.urgency)} / {_level(SECRECY_NAMES, record.secrecy)}",
    ]
    sources = record.field_sources if isinstance(record.field_sources, dict) else {}
    for label, attribute in FIELD_LABELS:
        value = _display(getattr(record, attribute))
        if attribute == "signature_status" and value:
            value = labels.SIGNATURE.get(value, value)
        if not value:
            continue
        lines.append(f"  {label:<28}{value}{_origin(sources.get(attribute))}")
    if record.possible_duplicate_of:
        lines.append(f"  ! trùng số, ký hiệu và cơ quan ban hành với văn bản mã {record.possible_duplicate_of}")
    notes = sources.get("notes") if isinstance(sources.get("notes"), dict) else {}
    for note in str(notes.get("value", "")).split("; "):
        if note.strip():
            lines.append(f"  Ghi chú của bộ đọc: {translate(note)}")
    sender = f"{record.from_name} <{record.from_addr}>" if record.from_name else record.from_addr
    auth = record.auth
    lines += [
        "Thư điện tử",
        f"  {'Người gửi':<12}{sender}",
        f"  {'Gửi đến':<12}{record.to_addrs}",
        f"  {'Tiêu đề':<12}{record.email_subject}",
        f"  {'Ngày gửi':<12}{_local(record.date_header, zone)}",
        f"  {'Mã thư':<12}{record.message_id_header or '(không có)'}",
        f"  {'Phong bì':<12}nhận qua {labels.one(labels.SOURCES_OF_MAIL, record.source)} từ "
        f"{record.peer or record.source_ref or '-'}, người gửi <{record.mail_from}>, người nhận "
        f"{', '.join(record.rcpt_tos) or '-'}",
        f"  {'SHA-256':<12}{record.message_sha256} ({record.size} byte)",
    ]
    if record.defects:
        lines.append(f"  {'Lỗi cấu trúc':<12}{', '.join(record.defects)}")
    lines.append(f"  {'Xác thực':<12}SPF {labels.one(labels.AUTH, auth.get('spf'))}, DKIM "
                 f"{labels.one(labels.AUTH, auth.get('dkim'))}, DMARC {labels.one(labels.AUTH, auth.get('dmarc'))}"
                 + (f" (theo {auth.get('source')})" if auth.get("source") else " (không có kết quả xác thực tin cậy)"))
    lines.append(f"Tệp đính kèm ({len(record.attachments)})")
    for number, item in enumerate(record.attachments, start=1):
        pages = f", {item.page_count} trang" if item.page_count else ""
        detail = f" ({translate(item.extract_detail)})" if item.extract_detail else ""
        name = item.member_path or item.filename or "(không tên)"
        lines.append(f"  {number}. {name} — {labels.one(labels.FILE_KINDS, item.sniffed_type)}, {item.size} byte"
                     f"{pages}, đọc chữ: {labels.one(labels.EXTRACT, item.extract_status)}{detail}")
        for report in item.signatures:
            lines.append("     " + signature_line(report))
    lines.append(f"Lần nhận ({len(record.arrivals)})")
    for arrival in record.arrivals:
        why = f" ({labels.one(labels.DUPLICATE_REASONS, arrival.duplicate_reason)})" if arrival.duplicate_reason else ""
        lines.append(f"  {_local(arrival.received_at, zone)}  {labels.one(labels.ARRIVAL_KINDS, arrival.kind)}{why}  "
                     f"qua {labels.one(labels.SOURCES_OF_MAIL, arrival.source)}  mã trong hàng đợi {arrival.spool_id}")
    if routing is not None:
        lines += _routing_lines(routing, zone)
    for direction in directions:
        others = [f"phối hợp {', '.join(direction.cooperate)}"] if direction.cooperate else []
        others += [f"để biết {', '.join(direction.inform)}"] if direction.inform else []
        due = f", hạn {_display(direction.due_date)}" if direction.due_date else ""
        lines.append(f"Ý kiến chỉ đạo ({direction.directed_by}, {_local(direction.directed_at, zone)}): chủ trì "
                     f"{direction.lead}{'; ' + '; '.join(others) if others else ''}{due}")
        if direction.opinion:
            lines.append(f"  {direction.opinion}")
    for recall in recalls:
        decision = "đồng ý thu hồi" if recall.decision == "accepted" else "từ chối thu hồi"
        asked = f"{recall.requested_by}, " if recall.requested_by else ""
        lines.append(f"Thu hồi ({asked}{labels.one(labels.RECALL_SOURCES, recall.source)}): {decision}, "
                     f"{recall.recorded_by} ghi lúc {_local(recall.recorded_at, zone)}")
        lines.append(f"  Văn bản {recall.code or '(không số)'} {recall.organ_name}".rstrip() + f"; lý do: {recall.reason}")
    for link in links:
        other = f"số đến {link.other_number or '(chờ số)'}/{link.other_year} (mã văn bản {link.other_id})"
        verb = labels.one(labels.LINK_KINDS, link.kind)
        lines.append(f"Được {verb} bởi văn bản {other}" if link.newer else f"{verb.capitalize()} văn bản {other}")
    lines.append("Nhật ký")
    for event in record.audit:
        detail = str(events.summary(event.action, event.detail))
        actor = "hệ thống" if event.actor == "gateway" else event.actor
        lines.append(f"  {_local(event.at, zone)}  {actor}  {events.name(event.action)}"
                     + (f"  {detail}" if detail else ""))
    # Sender-controlled text must not move the cursor, recolour or clear an operator's terminal: shown escaped.
    return "\n".join(UNSAFE_IN_LINE.sub(_escape, line) for line in lines)


def _escape(match: re.Match) -> str:
    return f"\\x{ord(match.group()):02x}" if ord(match.group()) < 0x100 else f"\\u{ord(match.group()):04x}"


META_LABELS = (("Số", "code_number"), ("Ký hiệu", "code_notation"), ("Ngày văn bản", "issued_date"),
               ("Địa danh", "place"), ("Cơ quan chủ quản", "organ_parent"), ("Cơ quan ban hành", "organ_name"),
               ("Mã cơ quan", "organ_id"), ("Tên loại", "type_name"), ("Mã loại", "type_code"),
               ("Trích yếu", "subject"), ("Kính gửi", "addressees"), ("Chức vụ người ký", "signer_position"),
               ("Người ký", "signer_name"), ("Nơi nhận", "to_places"), ("Số trang", "page_amount"),
               ("Hạn giải quyết", "due_date"), ("Chữ ký số", "signature_status"))


def meta_as_dict(extracted: Extracted, meta: DocumentMeta) -> dict[str, Any]:
    """The fields, levels, signatures and extraction statuses of `gateway extract`, ready for json.dumps."""
    return {
        "fields": {k: dataclasses.asdict(v) for k, v in meta.fields.items()},
        "urgency": meta.urgency, "urgency_name": _level(URGENCY_NAMES, meta.urgency),
        "secrecy": meta.secrecy, "secrecy_name": _level(SECRECY_NAMES, meta.secrecy),
        "signatures": [dataclasses.asdict(r) for r in meta.signatures],
        "notes": list(meta.notes),
        "files": [{"filename": t.filename, "member_path": t.member_path, "type": t.sniffed_type,
                   "status": t.status, "detail": t.detail, "pages": t.page_count} for t in extracted.texts],
    }


def read_value(key: str, value) -> str:
    """A read field's value (dates dd/mm/yyyy) with its source and confidence (0,95), as `extract` and
    `register-paper --propose` print it."""
    shown = labels.iso_date(value.value) if key.endswith("_date") else value.value
    confidence = f"{value.confidence:.2f}".replace(".", ",")
    return f"{shown}   [{labels.source(value.source)}, {confidence}]"


def describe_meta(extracted: Extracted, meta: DocumentMeta) -> str:
    """The fields as `gateway extract` prints them: label, value, [source, confidence]."""
    lines = [f"  {'Độ khẩn / độ mật':<22}{_level(URGENCY_NAMES, meta.urgency)} / {_level(SECRECY_NAMES, meta.secrecy)}"]
    for label, key in META_LABELS:
        value = meta.fields.get(key)
        if value:
            lines.append(f"  {label:<22}{read_value(key, value)}")
    for text in extracted.texts:
        detail = f" ({translate(text.detail)})" if text.detail else ""
        lines.append(f"Tệp {text.member_path or text.filename}: {labels.one(labels.FILE_KINDS, text.sniffed_type)}, "
                     f"đọc chữ: {labels.one(labels.EXTRACT, text.status)}{detail}")
    for report in meta.signatures:
        lines.append("  " + signature_line(dataclasses.asdict(report)))
    for note in meta.notes:
        lines.append(f"Ghi chú của bộ đọc: {translate(note)}")
    return "\n".join(lines)
