"""Audit events as people read them: a Vietnamese name per stored action and a sentence made from its details.

The stored action names and details stay English (they are the trail's keys); this table is only for showing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from gateway.web import labels
from gateway.web.reasons import Data, Said, said, translate

NAMES = {
    "registered": "Vào sổ",
    "duplicate-arrival": "Nhận lại thư đã có",
    "possible-duplicate": "Có thể trùng",
    "secret-document-alert": "Cảnh báo văn bản mật",
    "field-corrected": "Sửa trường",
    "field-confirmed": "Xác nhận trường",
    "assignment-set": "Giao xử lý",
    "assignment-removed": "Bỏ giao",
    "assignment-status": "Cập nhật trạng thái",
    "document-handled": "Đã xử lý xong",
    "routed": "Định tuyến",
    "outbox-queued": "Xếp thư đi",
    "outbox-sent": "Đã gửi thư",
    "outbox-failed": "Gửi thư không được",
    "forward-skipped": "Không chuyển tiếp",
    "receipt-withheld": "Không gửi báo nhận",
    "ocr-completed": "Nhận dạng ảnh xong",
    "quarantine-released": "Cho thư cách ly vào sổ",
    "quarantine-deleted": "Xoá thư cách ly",
    "spool-requeued": "Xử lý lại thư lỗi",
    "blobs-moved": "Chuyển nơi lưu tệp",
    "web-search": "Tìm kiếm",
    "web-view": "Xem văn bản",
    "web-preview": "Xem trước tệp",
    "web-download": "Tải tệp",
    "web-export": "Xuất sổ",
    "web-login": "Đăng nhập",
    "web-login-failed": "Đăng nhập sai",
    "web-login-throttled": "Đăng nhập bị chặn tạm thời",
    "web-logout": "Đăng xuất",
    "user-added": "Thêm người dùng",
    "user-password-set": "Đổi mật khẩu",
    "user-disabled": "Khoá người dùng",
    "user-enabled": "Mở khoá người dùng",
    "user-deleted": "Xoá người dùng",
    "token-created": "Tạo khoá API",
    "token-revoked": "Thu hồi khoá API",
    "labels-exported": "Xuất nhãn đã xác nhận",
    "numbered": "Cấp số đến",
    "same-message-id": "Cùng mã thư với văn bản khác",
    "routing-proposed": "Đề xuất phân phối",
    "direction-recorded": "Ý kiến chỉ đạo",
    "returned-to-sender": "Trả lại nơi gửi",
    "followup-queued": "Thư đôn đốc",
    "outbox-bounced": "Thư đi bị trả về",
    "outbox-report": "Báo cáo gửi thư",
    "document-recalled": "Thu hồi văn bản",
    "recall-refused": "Từ chối thu hồi",
    "document-linked": "Liên kết văn bản",
    "paper-submitted": "Gửi văn bản giấy vào sổ",
    "phieu-printed": "In phiếu giải quyết",
}


def name(action: str) -> str:
    """The Vietnamese name of a stored action (the action itself when it is new to this table)."""
    return NAMES.get(action, action)


def _value(field: str, value: Any) -> str:
    """A field's stored value as the page shows it (levels by name, ISO dates as dd/mm/yyyy)."""
    if value is None or value == "":
        return "(trống)"
    if field == "urgency":
        return labels.URGENCY.get(value, str(value))
    if field == "secrecy":
        return labels.SECRECY.get(value, str(value))
    if field in ("issued_date", "due_date"):
        return labels.iso_date(value)
    return str(value)


def _units(codes: Any) -> str:
    return ", ".join(str(c) for c in codes or ()) or "không"


def _corrected(d: Mapping) -> Said:
    field = str(d.get("field", ""))
    return said(labels.field(field), ": ", Data(_value(field, d.get("old"))), " → ", Data(_value(field, d.get("new"))))


def _confirmed(d: Mapping) -> Said:
    field = str(d.get("field", ""))
    return said(labels.field(field), ": ", Data(_value(field, d.get("value"))))


def _assigned(d: Mapping) -> Said:
    new, old = d.get("new") or {}, d.get("old")
    parts = ["Đơn vị ", Data(str(d.get("unit", ""))), ": ", labels.role(new.get("role", ""))]
    if new.get("due_date"):
        parts += [", hạn ", labels.iso_date(new["due_date"])]
    if isinstance(old, Mapping):
        parts += [" (trước đó: ", labels.role(old.get("role", ""))]
        parts += [", hạn " + labels.iso_date(old["due_date"])] if old.get("due_date") else []
        parts += [")"]
    return said(*parts)


def _removed(d: Mapping) -> Said:
    old = d.get("old") or {}
    return said("Đơn vị ", Data(str(d.get("unit", ""))), " (", labels.role(old.get("role", "")), ", ",
                labels.status(old.get("status", "")).lower(), ")")


def _shares(d: Mapping, lead: str = "chủ trì ") -> list:
    """The units of a routing or a direction: chủ trì, phối hợp, để biết and the deadline."""
    parts = [lead, Data(str(d.get("lead") or "không"))]
    if d.get("cooperate"):
        parts += ["; phối hợp ", Data(_units(d["cooperate"]))]
    if d.get("inform"):
        parts += ["; để biết ", Data(_units(d["inform"]))]
    if d.get("due_date"):
        parts += ["; hạn ", labels.iso_date(d["due_date"])]
    return parts


def _routed(d: Mapping) -> Said:
    parts = _shares(d, "Chủ trì ")
    if d.get("matched"):
        parts += ["; theo luật ", Data(_units(d["matched"]))]
    return said(*parts)


def _mail(d: Mapping) -> Said:
    parts: list[str] = []
    for n, mail in enumerate(d.get("mail") or ()):
        parts += ["; " if n else "", labels.one(labels.MAIL_KINDS, mail.get("kind")), " ",
                  Data(" ".join(str(x) for x in (mail.get("unit"), "→", mail.get("to")) if x))]
    return said(*parts)


def _outbox(d: Mapping) -> Said:
    parts = [labels.one(labels.MAIL_KINDS, d.get("kind")).capitalize(), " tới ", Data(str(d.get("to", ""))),
             f", lần gửi thứ {d.get('attempts', 0)}"]
    if d.get("reason"):
        parts += [": ", *translate(str(d["reason"])).parts]
    return said(*parts)


def _file(d: Mapping) -> Said:
    return said("Tệp ", Data(str(d.get("filename") or d.get("attachment_id", ""))))


def _export(d: Mapping) -> Said:
    return said("Định dạng ", Data(str(d.get("format", "")).upper()), " từ ", labels.iso_date(d.get("date_from")),
                " đến ", labels.iso_date(d.get("date_to")), f", {d.get('rows', 0)} dòng")


def _login(d: Mapping) -> Said:
    via = {"password": "bằng mật khẩu", "proxy": "qua máy chủ xác thực"}.get(d.get("via", ""), "")
    return said(via, *((" từ ", Data(str(d["address"]))) if d.get("address") else ()))


def _user(d: Mapping) -> Said:
    parts = ["Người dùng ", Data(str(d.get("user", "")))]
    if d.get("role"):
        parts += [", ", labels.one(labels.USER_ROLES, d["role"]).lower()]
    if d.get("unit"):
        parts += [", đơn vị ", Data(str(d["unit"]))]
    if d.get("sessions_ended"):
        parts += [f"; kết thúc {d['sessions_ended']} phiên đăng nhập"]
    if d.get("tokens_removed"):
        parts += [f"; xoá {d['tokens_removed']} khoá API"]
    return said(*parts)


def _token(d: Mapping) -> Said:
    return said("Khoá API mã ", Data(str(d.get("token_id", ""))), " của ", Data(str(d.get("user", ""))),
                *((" (", Data(str(d["label"])), ")") if d.get("label") else ()))


def _document(document_id: Any) -> Said:
    return said("văn bản mã ", Data(str(document_id or "?")))


def _recall(d: Mapping, verb: str) -> Said:
    parts = [verb, " số đến ", Data(f"{d.get('number') or '?'}/{d.get('year')}")]
    if d.get("code"):
        parts += [" (", Data(str(d["code"])), ")"]
    if d.get("requested_by"):
        parts += [" theo yêu cầu của ", Data(str(d["requested_by"]))]
    parts += [". Lý do: ", Data(str(d.get("reason", "")))]
    if d.get("files"):
        parts += [f". Đã xoá {len(d['files'])} tệp"]
    return said(*parts)


def _direction(d: Mapping) -> Said:
    parts = ["Của ", Data(str(d.get("directed_by", ""))), ": ", *_shares(d)]
    if d.get("removed"):
        parts += ["; bỏ giao ", Data(_units(d["removed"]))]
    if d.get("opinion"):
        parts += [". «", Data(str(d["opinion"])), "»"]
    return said(*parts)


def _quarantine(d: Mapping) -> Said:
    parts = ["Thư ", Data(str(d.get("spool_id", "")))]
    if d.get("mail_from"):
        parts += [" từ ", Data(str(d["mail_from"]))]
    if d.get("reason"):
        parts += [". Lý do: ", *translate(str(d["reason"])).parts]
    return said(*parts)


SUMMARIES: dict[str, Callable[[Mapping], Said]] = {
    "registered": lambda d: said(*(("Số đến ", Data(f"{d['number']}/{d.get('year')}")) if d.get("number") else
                                   ("Chờ số: thư nhận trước còn đang đọc",)),
                                 " (sổ văn bản mật)" if str(d.get("register", "")).endswith("mat") else "",
                                 *((", nhập từ bản giấy",) if d.get("source") == "paper" else ())),
    "numbered": lambda d: said("Số đến ", Data(f"{d.get('number')}/{d.get('year')}"),
                               " (sổ văn bản mật)" if str(d.get("register", "")).endswith("mat") else ""),
    "same-message-id": lambda d: said("Thư mang cùng mã (Message-ID) với ", _document(d.get("other_document")),
                                      " nhưng khác nội dung: vào sổ như văn bản riêng"),
    "routing-proposed": lambda d: said("Đề xuất (chờ lãnh đạo cho ý kiến): ", *_routed(d).parts),
    "direction-recorded": _direction,
    "returned-to-sender": lambda d: said("Tới ", Data(str(d.get("to") or d.get("spool_id") or "")), ". Lý do: ",
                                         Data(str(d.get("reason", "")))),
    "followup-queued": lambda d: said("Đơn vị ", Data(str(d.get("unit") or "văn thư")), ", ngày ",
                                      labels.iso_date(d.get("day"))),
    "outbox-bounced": _outbox,
    "document-recalled": lambda d: _recall(d, "Đồng ý thu hồi"),
    "recall-refused": lambda d: _recall(d, "Từ chối thu hồi"),
    "document-linked": lambda d: said(labels.one(labels.LINK_KINDS, d.get("kind")).capitalize(), " ",
                                      _document(d.get("target"))),
    "outbox-report": _outbox,
    "duplicate-arrival": lambda d: said(labels.one(labels.DUPLICATE_REASONS, d.get("reason")).capitalize(),
                                        " với thư đã vào sổ, qua ",
                                        labels.one(labels.SOURCES_OF_MAIL, d.get("source"))),
    "possible-duplicate": lambda d: said("Cùng số, ký hiệu và cơ quan ban hành với văn bản mã ",
                                         Data(str(d.get("duplicate_of", ""))), " (", Data(str(d.get("code", ""))),
                                         ")"),
    "secret-document-alert": lambda d: said("Văn bản ", Data(str(d.get("level", ""))),
                                            " gửi qua thư điện tử từ ", Data(str(d.get("from_addr", ""))),
                                            ": xử lý theo quy định bảo vệ bí mật nhà nước"),
    "field-corrected": _corrected,
    "field-confirmed": _confirmed,
    "assignment-set": _assigned,
    "assignment-removed": _removed,
    "assignment-status": lambda d: said("Đơn vị ", Data(str(d.get("unit", ""))), ": ",
                                        labels.status(d.get("old", "")), " → ", labels.status(d.get("new", ""))),
    "document-handled": lambda d: said(),
    "routed": _routed,
    "outbox-queued": _mail,
    "outbox-sent": _outbox,
    "outbox-failed": _outbox,
    "forward-skipped": lambda d: said("Đơn vị ", Data(_units(d.get("units"))), ": ",
                                      *translate(str(d.get("reason") or "no mailbox")).parts),
    "receipt-withheld": lambda d: said("Tới ", Data(str(d.get("to", ""))), ": ",
                                       *translate(str(d.get("reason") or "sender domain not in outbox.receipt_domains"))
                                       .parts),
    "ocr-completed": lambda d: said(f"{d.get('pages', 0)} trang, {d.get('characters', 0)} ký tự"),
    "quarantine-released": _quarantine,
    "quarantine-deleted": _quarantine,
    "spool-requeued": lambda d: said("Thư ", Data(str(d.get("spool_id", "")))),
    "web-search": lambda d: said("«", Data(str(d.get("text", ""))), "»", f": {d.get('results', 0)} kết quả"),
    "web-view": lambda d: said(),
    "web-preview": _file,
    "web-download": _file,
    "web-export": _export,
    "web-login": _login,
    "web-login-failed": _login,
    "web-login-throttled": _login,
    "web-logout": lambda d: said(),
    "user-added": _user,
    "user-password-set": _user,
    "user-disabled": _user,
    "user-enabled": _user,
    "user-deleted": _user,
    "token-created": _token,
    "token-revoked": _token,
    "labels-exported": lambda d: said(f"{d.get('documents', 0)} văn bản vào ", Data(str(d.get("directory", "")))),
}


def summary(action: str, detail: Mapping | None) -> Said:
    """The details of one event as a Vietnamese sentence; an action new to this table shows its values as data."""
    detail = detail or {}
    say = SUMMARIES.get(action)
    if say is not None:
        try:
            return say(detail)
        except (AttributeError, TypeError, ValueError):  # details of an older shape: shown as data below
            pass
    return said(*(part for n, (k, v) in enumerate(sorted(detail.items()))
                  for part in ("; " if n else "", Data(f"{k}={v}"))))
