"""Vietnamese names of fields, roles, states and levels, and the date formats the pages use."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from gateway.core.values import SECRECY_NAMES, URGENCY_NAMES

FIELDS = {
    "code_number": "Số",
    "code_notation": "Ký hiệu",
    "issued_date": "Ngày văn bản",
    "place": "Địa danh",
    "organ_name": "Tác giả (cơ quan ban hành)",
    "organ_id": "Mã cơ quan",
    "type_name": "Tên loại",
    "type_code": "Mã loại",
    "subject": "Trích yếu",
    "signer_position": "Chức vụ người ký",
    "signer_name": "Người ký",
    "urgency": "Độ khẩn",
    "secrecy": "Độ mật",
    "page_amount": "Số trang",
    "to_places": "Nơi nhận",
    "due_date": "Hạn giải quyết",
    "description": "Ghi chú",
}
ROLES = {"lead": "Chủ trì", "cooperate": "Phối hợp", "inform": "Để biết"}
STATES = {"new": "Chưa xử lý", "in_progress": "Đang xử lý", "done": "Hoàn thành"}
USER_ROLES = {"admin": "Quản trị", "van_thu": "Văn thư", "lanh_dao": "Lãnh đạo", "chuyen_vien": "Chuyên viên"}
DOC_STATES = {"registered": "Đã vào sổ", "handled": "Đã xử lý xong"}
URGENCY = dict(enumerate(URGENCY_NAMES))  # keyed by the stored level
SECRECY = dict(enumerate(SECRECY_NAMES))
SORTS = {"id": "Thứ tự vào sổ", "number": "Số đến", "arrived": "Ngày đến", "issued": "Ngày văn bản", "organ": "Tác giả", "subject": "Trích yếu"}


def field(name: str) -> str:
    return FIELDS.get(name, name)


def role(name: str) -> str:
    return ROLES.get(name, name)


def status(name: str) -> str:
    return STATES.get(name, name)


def date(value: dt.date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


def datetime(value: dt.datetime | None, zone: ZoneInfo) -> str:
    return value.astimezone(zone).strftime("%d/%m/%Y %H:%M") if value else ""
