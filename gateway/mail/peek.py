"""Cheap looks into raw message bytes for log lines written before (or instead of) parsing."""

from __future__ import annotations

import re

from gateway.core.rfc822 import head_end

_MESSAGE_ID = re.compile(rb"^message-id:[ \t]*<?([^>\r\n]*)>?", re.IGNORECASE | re.MULTILINE)
_HEADER_SCAN = 65536


def peek_message_id(raw: bytes) -> str:
    """The Message-ID from the header section without angle brackets, or "-" when there is none."""
    match = _MESSAGE_ID.search(raw, 0, head_end(raw, _HEADER_SCAN)[0])
    return match.group(1).decode("utf-8", "replace").strip() or "-" if match else "-"


def peek_from_address(raw: bytes) -> str:
    """The address of the From header (decoded as the parser would), or "" when there is none."""
    from email.utils import getaddresses

    head = raw[: head_end(raw, _HEADER_SCAN)[0]]
    match = _FROM.search(head)
    if not match:
        return ""
    value = re.sub(rb"\r?\n[ \t]+", b" ", match.group(1))
    pairs = getaddresses([value.decode("utf-8", "replace")])
    return pairs[0][1].strip().lower() if pairs else ""


_FROM = re.compile(rb"^from:[ \t]*((?:.*)(?:\r?\n[ \t].*)*)", re.IGNORECASE | re.MULTILINE)
