"""Where a raw message's header section ends: the first empty line, with CRLF or bare LF line ends alike."""

from __future__ import annotations

import re

_EMPTY_LINE = re.compile(rb"\r?\n\r?\n")


def head_end(raw: bytes, scan: int | None = None) -> tuple[int, int]:
    """(end of the header section, start of the body) in ``raw``, looking no further than ``scan`` bytes.

    Without an empty line (within ``scan``) the whole of what was looked at is header and the body starts
    right after it; a message whose first line is empty has no header at all.
    """
    limit = len(raw) if scan is None else min(scan, len(raw))
    for lead in (b"\r\n", b"\n"):
        if raw.startswith(lead):
            return 0, len(lead)
    match = _EMPTY_LINE.search(raw, 0, limit)
    if match is None:
        return limit, limit
    return match.start(), match.end()


def split_head(raw: bytes, scan: int | None = None) -> tuple[bytes, bytes]:
    """The header section (without the empty line) and the body of a raw message."""
    end, start = head_end(raw, scan)
    return raw[:end], raw[start:]
