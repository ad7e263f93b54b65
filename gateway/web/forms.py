"""What people type into the web forms turned into typed values for the register (dates as dd/mm/yyyy)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from gateway.core.text import nfc
from gateway.register.changes import DATE_FIELDS, INT_FIELDS, TEXT_FIELDS, EditError
from gateway.web.labels import field


def parse_field(name: str, raw: str) -> Any:
    """The value to store for field ``name`` typed as ``raw`` ("" clears dates and numbers); EditError if unfit."""
    raw = nfc(raw).strip()
    if name in TEXT_FIELDS:
        return raw
    if name in DATE_FIELDS:
        return parse_date(raw)
    if name in INT_FIELDS:
        if not raw:
            return None if name == "page_amount" else 0
        if not raw.isdigit() or int(raw) > 1_000_000:
            raise EditError(f"{field(name)}: «{raw}» không phải một số nguyên.")
        return int(raw)
    raise EditError(f"Không sửa được trường {name}.")


def parse_date(text: str) -> dt.date | None:
    """A typed date (dd/mm/yyyy, or yyyy-mm-dd as API clients and old links write it); None when empty,
    EditError when it is no date."""
    text = text.strip()
    if not text:
        return None
    for fmt in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise EditError(f"«{text}» không phải một ngày có thật (viết dạng ngày/tháng/năm, ví dụ 05/03/2025).")


def parse_filter_date(text: str) -> dt.date | None:
    """A date from a filter box; None when empty or unreadable (a filter never fails the page)."""
    try:
        return parse_date(text)
    except EditError:
        return None


def parse_int(text: str) -> int | None:
    """A whole number from a filter box, or None."""
    text = text.strip()
    return int(text) if text.isdigit() and len(text) < 10 else None
