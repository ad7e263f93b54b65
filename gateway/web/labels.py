"""Vietnamese names of fields, roles, states, levels, sources and statuses, and the date formats people read.

Keys are the stored (English) values; the stored values never change, only what is shown.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from gateway.core.text import vi_number
from gateway.core.values import SECRECY_NAMES, URGENCY_NAMES
from gateway.understand.vocab import ADMINISTRATIVE_TYPES, TYPES

FIELDS = {
    "code_number": "Số",
    "code_notation": "Ký hiệu",
    "issued_date": "Ngày văn bản",
    "place": "Địa danh",
    "organ_name": "Tác giả (cơ quan ban hành)",
    "organ_id": "Mã cơ quan",
    "organ_parent": "Cơ quan chủ quản",
    "type_name": "Tên loại",
    "type_code": "Mã loại",
    "subject": "Trích yếu",
    "signer_position": "Chức vụ người ký",
    "signer_name": "Người ký",
    "urgency": "Độ khẩn",
    "secrecy": "Độ mật",
    "page_amount": "Số trang",
    "addressees": "Kính gửi",
    "to_places": "Nơi nhận",
    "due_date": "Hạn giải quyết",
    "description": "Ghi chú",
    "signature_status": "Chữ ký số",
    "notes": "Ghi chú của bộ đọc",
}
# The fields of the document page, in the order of the văn bản itself (ND30 Phụ lục VI).
PAGE_FIELDS = ("organ_name", "code_number", "code_notation", "issued_date", "place", "type_name", "subject",
               "addressees", "signer_position", "signer_name", "to_places", "urgency", "secrecy", "page_amount",
               "organ_id", "type_code", "due_date", "description")
ROLES = {"lead": "Chủ trì", "cooperate": "Phối hợp", "inform": "Để biết"}
STATES = {"new": "Chưa xử lý", "in_progress": "Đang xử lý", "done": "Hoàn thành",
          "proposed": "Đề xuất, chờ ý kiến chỉ đạo"}
USER_ROLES = {"admin": "Quản trị", "van_thu": "Văn thư", "lanh_dao": "Lãnh đạo", "chuyen_vien": "Chuyên viên"}
DOC_STATES = {"registered": "Đã vào sổ", "handled": "Đã xử lý xong", "returned": "Đã trả lại nơi gửi",
              "recalled": "Đã thu hồi"}
URGENCY = dict(enumerate(URGENCY_NAMES))  # keyed by the stored level
SECRECY = dict(enumerate(SECRECY_NAMES))
SORTS = {"id": "Thứ tự vào sổ", "number": "Số đến", "arrived": "Ngày đến", "issued": "Ngày văn bản",
         "organ": "Tác giả", "subject": "Trích yếu"}
# Where a field's value came from (field_sources[...]["source"]).
SOURCES = {
    "edxml": "gói edXML", "text": "lớp chữ của tệp", "ocr": "nhận dạng ảnh (OCR)", "filename": "tên tệp",
    "email": "tiêu đề thư", "manual": "người sửa", "reader": "bộ đọc", "none": "không đọc được",
    "system": "hệ thống", "signature": "chữ ký số", "docx": "tệp DOCX",
}
# How the text of a file was read (attachments.extract_status).
EXTRACT = {
    "ok": "đã đọc", "empty": "không có lớp chữ (bản quét)", "limit": "vượt giới hạn, đọc một phần",
    "broken": "tệp hỏng", "encrypted": "có mật khẩu", "unsupported": "loại tệp không đọc", "skipped": "không đọc",
}
# A PDF signature's status (SignatureReport.status) and the document's worst one (signature_status).
SIGNATURE = {
    "trusted": "Hợp lệ, chứng thư tin cậy",
    "untrusted-root": "Nguyên vẹn; chứng thư không thuộc gốc tin cậy đã cấu hình",
    "not-whole-file": "Nguyên vẹn, nhưng tệp có phần thêm sau khi ký",
    "bad-signature": "Chữ ký không kiểm được",
    "tampered": "Nội dung đã bị sửa sau khi ký",
    "unreadable": "Không đọc được chữ ký",
    "none": "Không có chữ ký số",
}
# Sender authentication results (RFC 8601).
AUTH = {"pass": "đạt", "fail": "không đạt", "none": "không có", "neutral": "trung lập", "softfail": "không đạt (nhẹ)",
        "temperror": "lỗi tạm thời", "permerror": "lỗi cấu hình", "policy": "theo chính sách"}
SOURCES_OF_MAIL = {"smtp": "SMTP", "imap": "IMAP", "import": "nhập tệp", "paper": "văn bản giấy"}
ARRIVAL_KINDS = {"original": "lần đầu", "duplicate": "bản trùng"}
DUPLICATE_REASONS = {"sha256": "cùng nội dung", "message-id": "cùng Message-ID"}
MAIL_KINDS = {"forward": "chuyển tiếp", "receipt": "báo nhận", "return": "trả lại nơi gửi", "digest": "đôn đốc",
              "status": "thông báo trạng thái"}
RECALL_SOURCES = {"edxml": "gói tin edXML", "email": "thư điện tử", "paper": "văn bản giấy", "phone": "điện thoại"}
LINK_KINDS = {"update": "cập nhật", "replace": "thay thế"}
MAIL_STATES = {"queued": "đang chờ gửi", "sending": "đang gửi", "sent": "đã gửi", "failed": "gửi không được"}
PRIORITIES = {"normal": "Thường", "urgent": "Khẩn", "high": "Cao", "low": "Thấp"}
FILE_KINDS = {"pdf": "PDF", "docx": "DOCX", "doc": "DOC", "zip": "ZIP", "xml": "XML", "png": "Ảnh PNG",
              "jpeg": "Ảnh JPEG", "gif": "Ảnh GIF", "tiff": "Ảnh TIFF", "text": "Văn bản thô", "html": "HTML",
              "binary": "Tệp nhị phân", "rar": "RAR", "7z": "7z", "xlsx": "XLSX", "xls": "XLS"}
# Routing actions as the decision record keeps them ("name=value").
ACTIONS = {"lead": "chủ trì", "cooperate": "phối hợp", "inform": "để biết", "due_days": "hạn (ngày làm việc)",
           "due_date": "hạn", "priority": "ưu tiên", "tags": "nhãn", "forward": "chuyển tiếp",
           "receipt": "báo nhận", "quarantine": "cách ly", "stop": "dừng xét các luật sau"}
YES_NO = {"true": "có", "false": "không"}
# Tên loại as a select list: the 29 administrative types of ND30 Điều 7, then copies and legal documents.
TYPE_NAMES = tuple(name for name, _code in ADMINISTRATIVE_TYPES)
OTHER_TYPE_NAMES = tuple(name for name, _code in TYPES[len(ADMINISTRATIVE_TYPES):])


def field(name: str) -> str:
    return FIELDS.get(name, name)


def role(name: str) -> str:
    return ROLES.get(name, name)


def status(name: str) -> str:
    return STATES.get(name, name)


def source(name: str) -> str:
    return SOURCES.get(name, name)


def one(table: dict, key: object) -> str:
    """The Vietnamese name of a stored value, or the value itself when the table has none."""
    return table.get(key, "" if key is None else str(key))


def date(value: dt.date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


def datetime(value: dt.datetime | None, zone: ZoneInfo) -> str:
    return value.astimezone(zone).strftime("%d/%m/%Y %H:%M") if value else ""


def iso_date(text: object) -> str:
    """An ISO date or timestamp as stored in JSON, written dd/mm/yyyy (other text is returned unchanged)."""
    if not isinstance(text, str) or len(text) < 10:
        return "" if text is None else str(text)
    try:
        return dt.date.fromisoformat(text[:10]).strftime("%d/%m/%Y") + (text[10:16].replace("T", " ")
                                                                         if len(text) > 10 else "")
    except ValueError:
        return text


def size(count: int | None) -> str:
    """A byte count as people read it: 8,5 KB, 1,2 MB."""
    if count is None:
        return ""
    for unit, scale in (("MB", 1024 * 1024), ("KB", 1024)):
        if count >= scale:
            return f"{count / scale:.1f}".replace(".", ",") + " " + unit
    return f"{count} byte"


def number(value: int) -> str:
    """A whole number with dots between thousands, as Vietnamese writes it."""
    return vi_number(value)
