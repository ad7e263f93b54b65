"""Decode raw header values ourselves: 8-bit UTF-8, RFC 2047 words in any or a bogus charset, NFC, no controls."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import email.utils
import re

from gateway.core.text import clean_line
from gateway.mail.charset import decode_bytes

_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=")
_BETWEEN_WORDS = re.compile(r"[ \t\r\n]*")
_FOLD = re.compile(r"\r?\n[ \t]*")
_BARE_ADDRESS = re.compile(r"[\w.+=-]+@[\w.-]+")
_ANGLE = re.compile(r"<([^<>]*)>")


def raw_to_text(value: str) -> str:
    """A header value as the parser stored it (8-bit bytes as surrogates) turned back into real text."""
    try:
        data = value.encode("ascii", "surrogateescape")
    except UnicodeEncodeError:
        return value
    if data.isascii():
        return value
    return decode_bytes(data)[0]


def clean(text: str) -> str:
    """Unfolded, NFC, tabs as spaces, control characters removed, outer blanks stripped."""
    return clean_line(_FOLD.sub(" ", text).replace("\t", " ")).strip()


def decode_header_value(value: str) -> str:
    """The readable text of a raw header value."""
    return clean(decode_words(raw_to_text(value)))


def decode_words(text: str) -> str:
    """Replace RFC 2047 encoded words; adjacent words of one charset are joined as bytes before decoding."""
    if "=?" not in text:
        return text
    out: list[str] = []
    pending: list[bytes] = []
    pending_charset = ""
    pos = 0
    for match in _ENCODED_WORD.finditer(text):
        gap = text[pos : match.start()]
        charset = match.group(1).split("*", 1)[0]
        adjacent = bool(pending) and not gap.strip()
        if not (adjacent and charset.lower() == pending_charset.lower()):
            out.append(_flush(pending, pending_charset))
            pending = []
            if not adjacent:
                out.append(gap)
        pending.append(_word_bytes(match.group(2), match.group(3)))
        pending_charset = charset
        pos = match.end()
    out.append(_flush(pending, pending_charset))
    out.append(text[pos:])
    return "".join(out)


def _flush(pending: list[bytes], charset: str) -> str:
    return decode_bytes(b"".join(pending), charset)[0] if pending else ""


def _word_bytes(kind: str, data: str) -> bytes:
    """The bytes carried by one encoded word (B or Q); damaged base64 is decoded as far as it goes."""
    raw = data.encode("ascii", "replace")
    if kind in "qQ":
        return binascii.a2b_qp(raw, header=True)
    raw = re.sub(rb"[^A-Za-z0-9+/]", b"", raw)
    raw = raw[: len(raw) - len(raw) % 4] if len(raw) % 4 == 1 else raw + b"=" * (-len(raw) % 4)
    try:
        return base64.b64decode(raw)
    except (binascii.Error, ValueError):
        return b""


def parse_addresses(value: str) -> list[tuple[str, str]]:
    """(display name, lower-case bare address) pairs; names decoded after the list is split."""
    text = _FOLD.sub(" ", raw_to_text(value))
    try:
        pairs = email.utils.getaddresses([text])
    except (RecursionError, ValueError, IndexError, TypeError):  # pathological lists: take bare addresses
        pairs = [("", addr) for addr in _BARE_ADDRESS.findall(text)]
    result = []
    for name, addr in pairs:
        addr = clean(addr).lower().strip("<>")
        name = clean(decode_words(name))
        if addr or name:
            result.append((name, addr))
    return result


def parse_date(value: str) -> dt.datetime | None:
    """The Date header as an aware datetime (UTC when the zone is missing or -0000), None when unreadable."""
    text = clean(value)
    if not text:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if parsed is None:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)


def parse_message_id(value: str) -> str:
    """The Message-ID without angle brackets or blanks; "" when there is none."""
    text = clean(raw_to_text(value))
    match = _ANGLE.search(text)
    inner = match.group(1) if match else text
    return re.sub(r"\s+", "", inner)
