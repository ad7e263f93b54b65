"""Text, HTML and XML attachments read as text (charset guessed), and HTML turned into plain text."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

from gateway.extract.reading import Reading, from_text
from gateway.mail.charset import decode_bytes

_BLOCK_TAGS = frozenset(
    "address article aside blockquote br dd div dl dt fieldset figcaption figure footer form h1 h2 h3 h4 h5 h6 "
    "header hr li main nav ol p pre section table td th tr ul title".split()
)
_SKIP_TAGS = frozenset(("script", "style", "head", "template", "noscript"))
_XML_TAG = re.compile(r"<[^>]*>")
_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")


class _TextCollector(HTMLParser):
    """Collects the visible text of an HTML document, with line breaks at block elements."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in _SKIP_TAGS:
            self._skip += 1
        elif tag in _BLOCK_TAGS:
            self.chunks.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self._skip = max(0, self._skip - 1)
        elif tag in _BLOCK_TAGS:
            self.chunks.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.chunks.append(data)


def html_to_text(markup: str) -> str:
    """The visible text of an HTML document, one line per block, blank lines collapsed."""
    collector = _TextCollector()
    try:
        collector.feed(markup)
        collector.close()
    except (AssertionError, ValueError):  # html.parser is lenient; this is belt and braces
        pass
    return tidy_lines("".join(collector.chunks))


def tidy_lines(text: str) -> str:
    """Spaces collapsed within lines, lines stripped, runs of blank lines reduced to one."""
    lines = (_SPACES.sub(" ", line).strip() for line in text.replace("\r\n", "\n").split("\n"))
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


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
