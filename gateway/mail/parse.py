"""Take a raw RFC 5322 message apart into a ParsedMessage: decoded NFC headers, the body text and every file part."""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass, field
from email import policy
from email.message import Message
from email.parser import BytesParser
from email.utils import collapse_rfc2231_value

from gateway.core.config import LimitsConfig
from gateway.core.errors import ParseError
from gateway.core.html import html_to_text
from gateway.core.rfc822 import head_end
from gateway.core.text import clean_text
from gateway.core.values import ParsedMessage, Part
from gateway.mail.charset import decode_bytes
from gateway.mail.headers import (
    decode_header_value,
    decode_words,
    parse_addresses,
    parse_date,
    parse_message_id,
    raw_to_text,
)
from gateway.mail.names import sanitise_filename
from gateway.mail.sniff import sniff_type

log = logging.getLogger(__name__)

_HEADER_LINE = re.compile(rb"[!-9;-~]+[ \t]*:")
_OBS_NAME = re.compile(rb"(?m)^([!-9;-~]+)[ \t]+:")
_HEAD_SCAN = 64 * 1024
_RAW_CTYPE = re.compile(r"\s*([\w.+-]+/[\w.+-]+)")
# compat32, not policy.default: the default policy builds header objects while parsing and costs ~4x the
# time (3.7 ms against 0.9 ms for a 20 KB message here); the few headers we need are decoded by headers.py.
class _UnfoldingCompat32(policy.Compat32):
    """compat32 that unfolds header values when they are read (RFC 5322 §2.2.3), so that a folded
    boundary="foo<CRLF> bar" still splits the multipart as the default policy would."""

    def header_fetch_parse(self, name, value):
        return super().header_fetch_parse(name, _FOLD.sub("", value))


_FOLD = re.compile(r"\r?\n(?=[ \t])")
_PARSER = BytesParser(policy=_UnfoldingCompat32())


@dataclass
class _Walk:
    """What the walk over the MIME tree has collected so far."""

    limits: LimitsConfig
    plain: list[str] = field(default_factory=list)
    html: list[str] = field(default_factory=list)
    parts: list[Part] = field(default_factory=list)
    defects: list[str] = field(default_factory=list)
    visited: int = 0

    def note(self, defect: str) -> None:
        if defect not in self.defects:
            self.defects.append(defect)


def parse_message(raw: bytes, limits: LimitsConfig) -> ParsedMessage:
    """Parse raw message bytes; raise ParseError only when the bytes cannot be a mail message at all."""
    raw = _strip_leading_junk(raw)
    _check_is_mail(raw)
    walk = _Walk(limits)
    msg = _parse_bytes(raw)
    if not msg.keys():
        msg = _parse_bytes(_repair_header_names(raw))
        walk.note("header-names-repaired")
    if not msg.keys():
        raise ParseError("no mail header found")
    _walk_tree(msg, walk)
    return _build(msg, walk)


def _strip_leading_junk(raw: bytes) -> bytes:
    """Drop a UTF-8 byte order mark and blank lines in front of the first header."""
    raw = raw.lstrip(b"\r\n")
    return raw[3:].lstrip(b"\r\n") if raw.startswith(b"\xef\xbb\xbf") else raw


def _parse_bytes(raw: bytes) -> Message:
    try:
        return _PARSER.parsebytes(raw)
    except (ValueError, TypeError, IndexError, RecursionError, LookupError) as err:
        raise ParseError(f"the e-mail parser gave up: {err.__class__.__name__}: {err}") from err


def _repair_header_names(raw: bytes) -> bytes:
    """Obsolete syntax "Name   : value" (RFC 5322 4.5) made acceptable by removing blanks before the colon."""
    end, _ = head_end(raw)
    return _OBS_NAME.sub(rb"\1:", raw[:end]) + raw[end:]


def _check_is_mail(raw: bytes) -> None:
    """Refuse empty input and input whose first line is no header (random binary, plain text)."""
    if not raw or not raw.strip():
        raise ParseError("empty message")
    lines = raw[:_HEAD_SCAN].split(b"\n", 6)[:6]
    if lines[0].startswith(b"From "):  # mbox separator line
        lines = lines[1:]
    for line in lines:
        if not line.strip():  # the end of the header section
            break
        if _HEADER_LINE.match(line):
            return
    raise ParseError("no mail header at the start of the message")


def _build(msg: Message, walk: _Walk) -> ParsedMessage:
    """Assemble the ParsedMessage from the top-level headers and what the walk collected."""
    headers = tuple((name, decode_header_value(value)) for name, value in msg.raw_items())
    senders = parse_addresses(_raw(msg, "From"))
    from_name, from_addr = senders[0] if senders else ("", "")
    body = "\n\n".join(t for t in walk.plain if t.strip())
    if not body.strip() and walk.html:
        body = "\n\n".join(html_to_text(h) for h in walk.html)
    return ParsedMessage(
        message_id=parse_message_id(_raw(msg, "Message-ID")),
        subject=decode_header_value(_raw(msg, "Subject")),
        from_addr=from_addr,
        from_name=from_name,
        to_addrs=_addresses(msg, "To"),
        cc_addrs=_addresses(msg, "Cc"),
        date=parse_date(_raw(msg, "Date")),
        body_text=body.strip(),
        parts=tuple(walk.parts),
        headers=headers,
        defects=tuple(walk.defects),
    )


def _raw(msg: Message, name: str) -> str:
    """The raw (undecoded) value of the first header called ``name``, "" when absent."""
    lowered = name.lower()
    for key, value in msg.raw_items():
        if key.lower() == lowered:
            return str(value)
    return ""


def _addresses(msg: Message, name: str) -> tuple[str, ...]:
    values = [value for key, value in msg.raw_items() if key.lower() == name.lower()]
    return tuple(addr for value in values for _, addr in parse_addresses(str(value)) if addr)


def _walk_tree(root: Message, walk: _Walk) -> None:
    """Visit every node depth-first (no recursion), stopping at limits.max_parts and limits.max_depth."""
    stack: list[tuple[Message, int, str]] = [(root, 0, "")]
    while stack:
        node, depth, nested_in = stack.pop()
        if walk.visited >= walk.limits.max_parts:
            walk.note(f"max_parts-reached:{walk.limits.max_parts}")
            return
        walk.visited += 1
        _collect_defects(node, walk)
        if depth > walk.limits.max_depth:
            walk.note(f"max_depth-reached:{walk.limits.max_depth}")
            continue
        children = _children(node, walk)
        if children is None:
            _leaf(node, nested_in, walk)
            continue
        inner = _nested_label(node, nested_in)
        stack.extend((child, depth + 1, inner) for child in reversed(children))


def _children(node: Message, walk: _Walk) -> list[Message] | None:
    """The sub-parts of a multipart or message/* node, or None for a leaf."""
    if not node.is_multipart():
        return None
    payload = node.get_payload()
    if not isinstance(payload, list):
        walk.note("MultipartWithoutList")
        return None
    return [child for child in payload if isinstance(child, Message)]


def _nested_label(node: Message, nested_in: str) -> str:
    """For message/rfc822 nodes: the inner message's Message-ID (or subject) appended to the path."""
    declared = _raw(node, "Content-Type").strip().lower() or node.get_default_type()
    if not declared.startswith("message/"):  # checked on the raw value: header objects are costly
        return nested_in
    inner = node.get_payload()
    inner = inner[0] if isinstance(inner, list) and inner else None
    if not isinstance(inner, Message):
        return nested_in
    label = parse_message_id(_raw(inner, "Message-ID")) or decode_header_value(_raw(inner, "Subject"))
    label = label or "(attached message)"
    return f"{nested_in}/{label}" if nested_in else label


@dataclass(frozen=True)
class _Mime:
    """Content-Type and Content-Disposition of one node, each header parsed once (the library re-parses)."""

    ctype: str
    params: dict[str, str]
    disposition: str
    dparams: dict[str, str]


def _mime(node: Message) -> _Mime:
    try:
        return _mime_from_headers(node)
    except (IndexError, ValueError, TypeError, AttributeError, LookupError) as err:  # header parser bugs
        log.debug("unparsable MIME headers (%s); using the raw Content-Type", err)
        match = _RAW_CTYPE.match(_raw(node, "Content-Type"))
        return _Mime(match.group(1).lower() if match else "application/octet-stream", {}, "", {})


def _mime_from_headers(node: Message) -> _Mime:
    ctype = node.get_content_type()  # the default type when the header is missing or malformed
    disposition = node.get_content_disposition() or ""
    return _Mime(ctype, _params(node, "content-type"), disposition, _params(node, "content-disposition"))


def _params(node: Message, header: str) -> dict[str, str]:
    """The parameters of a header, RFC 2231 continuations joined before decoding (a split UTF-8 sequence)."""
    raw = _raw(node, header)
    if raw and not raw.isascii():
        # Raw 8-bit values (mpack, swaks) come back from get() as unreadable Header objects: decode the
        # bytes first, then let the library split the parameters of the repaired text.
        scratch = Message()
        scratch[header] = raw_to_text(raw)
        node = scratch
    found = node.get_params(header=header) or []
    return {str(name).lower(): _param_text(value) for name, value in found[1:]}


def _param_text(value: object) -> str:
    try:
        return str(collapse_rfc2231_value(value, errors="replace"))
    except LookupError:  # an unknown charset named in the RFC 2231 value
        return str(value[2]) if isinstance(value, tuple) else str(value)


def _collect_defects(node: Message, walk: _Walk) -> None:
    for defect in getattr(node, "defects", ()):
        walk.note(type(defect).__name__)


def _leaf(node: Message, nested_in: str, walk: _Walk) -> None:
    """A leaf is either body text (text/plain or text/html, inline, unnamed, top level) or a file Part."""
    mime = _mime(node)
    ctype = mime.ctype
    if ctype.startswith("multipart/"):  # a multipart the parser could not split (no boundary): read as text
        walk.note("multipart-read-as-text")
        ctype = "text/plain"
    filename = _filename(mime)
    disposition = "attachment" if mime.disposition == "attachment" else "inline"
    payload = _payload(node, walk)
    is_body = ctype in ("text/plain", "text/html") and not filename and disposition == "inline" and not nested_in
    if is_body:
        text = _body_text(mime.params.get("charset"), payload, walk)
        (walk.plain if ctype == "text/plain" else walk.html).append(text)
        return
    if not payload and not filename:
        return
    walk.parts.append(
        Part(
            index=len(walk.parts),
            filename=filename,
            declared_type=ctype,
            sniffed_type=sniff_type(payload),
            disposition=disposition,
            payload=payload,
            sha256=hashlib.sha256(payload).hexdigest(),
            nested_in=nested_in,
        )
    )


def _payload(node: Message, walk: _Walk) -> bytes:
    """The decoded bytes of a leaf (base64/quoted-printable undone); b"" when there are none."""
    try:
        data = node.get_payload(decode=True)
    except (ValueError, TypeError, LookupError, AssertionError) as err:
        walk.note(f"payload-undecodable:{err.__class__.__name__}")
        return b""
    if isinstance(data, str):
        return data.encode("utf-8", "surrogateescape")
    return data or b""


def _body_text(charset: str | None, payload: bytes, walk: _Walk) -> str:
    """Decode a body part with its declared charset, repairing unknown or missing charsets."""
    text, note = decode_bytes(payload, charset)
    if note:
        walk.note(note)
    return clean_text(text)


def _filename(mime: _Mime) -> str:
    """The part's file name (Content-Disposition filename, else Content-Type name), decoded and sanitised."""
    name = mime.dparams.get("filename") or mime.params.get("name") or ""
    # 8-bit bytes come back as surrogates; Outlook-style names are RFC 2047 words inside the quotes.
    return sanitise_filename(decode_words(raw_to_text(str(name))))
