"""Text, HTML and XML attachments read as text, their charset guessed from the bytes."""

from __future__ import annotations

import html
import re

from gateway.core.html import html_to_text, tidy_lines
from gateway.extract.reading import Reading, from_text
from gateway.mail.charset import decode_bytes

_XML_TAG = re.compile(r"<[^>]*>")


def read_plain(payload: bytes) -> Reading:
    """A text attachment decoded with the charset guessed from its bytes."""
    text, _ = decode_bytes(payload)
    return from_text(text.replace("\r\n", "\n").replace("\x00", ""))


def read_html(payload: bytes) -> Reading:
    """An HTML attachment as visible text; a <meta charset> is honoured when the bytes are not UTF-8."""
    charset = _meta_charset(payload[:4096])
    text, _ = decode_bytes(payload, charset)
    return from_text(html_to_text(text))


def read_xml(payload: bytes) -> Reading:
    """An XML attachment as the text between its tags (edXML packages are parsed properly elsewhere)."""
    charset = _xml_encoding(payload[:200])
    text, _ = decode_bytes(payload, charset)
    return from_text(tidy_lines(html.unescape(_XML_TAG.sub("\n", text))))


def _meta_charset(head: bytes) -> str | None:
    match = re.search(rb"""<meta[^>]+charset=["']?([\w.:-]+)""", head, re.IGNORECASE)
    return match.group(1).decode("ascii") if match else None


def _xml_encoding(head: bytes) -> str | None:
    match = re.search(rb"""<\?xml[^>]*encoding=["']([\w.:-]+)""", head)
    return match.group(1).decode("ascii") if match else None
