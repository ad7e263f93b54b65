"""Turn bytes of unknown or untrusted charset into NFC text without ever failing."""

from __future__ import annotations

import codecs
import logging
import re

from gateway.core.text import nfc

log = logging.getLogger(__name__)

_ASCII_NAMES = {"us-ascii", "ascii", "ansi_x3.4-1968", "646", "us"}
# In windows-1258 these bytes are the combining tone marks; after a letter they mean Vietnamese text.
_CP1258_TONE = re.compile(rb"[A-Za-z\xc0-\xff][\xcc\xec\xde\xd2\xf2]")
_CP1258_LETTERS = re.compile(rb"[\xc3\xe3\xd0\xf0\xd5\xf5\xdd\xfd]")


def known_codec(charset: str | None) -> str | None:
    """The Python codec name for a MIME charset, or None when Python has no such codec."""
    if not charset:
        return None
    name = charset.strip().strip('"').lower()
    try:
        return codecs.lookup(name).name
    except (LookupError, ValueError):
        return None


def guess_decode(data: bytes) -> tuple[str, str]:
    """Decode bytes with no usable charset: BOM, UTF-8, then windows-1258 or windows-1252 by a heuristic."""
    if data.startswith(codecs.BOM_UTF8):
        return data[3:].decode("utf-8", errors="replace"), "utf-8"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    if _looks_cp1258(data):
        return data.decode("cp1258", errors="replace"), "cp1258"
    return data.decode("cp1252", errors="replace").replace("\ufffd", ""), "cp1252"


def _looks_cp1258(data: bytes) -> bool:
    """Enough tone-mark bytes after letters, or Vietnamese-only letters, to prefer windows-1258."""
    tones = len(_CP1258_TONE.findall(data))
    letters = len(_CP1258_LETTERS.findall(data))
    high = sum(1 for byte in data if byte >= 0x80) or 1
    return tones >= 2 and (tones + letters) * 3 >= high


def decode_bytes(data: bytes, charset: str | None = None) -> tuple[str, str]:
    """NFC text and a note ("" or a repair made, e.g. "charset-unknown:x-foo") for bytes in ``charset``."""
    codec = known_codec(charset)
    note = ""
    if charset and codec is None:
        note = f"charset-unknown:{charset.strip()[:40]}"
    if codec and codec != "ascii":
        try:
            return nfc(data.decode(codec)), note
        except UnicodeDecodeError:
            note = f"charset-wrong:{charset.strip()[:40]}"
    if codec == "ascii" or codec is None:
        try:
            return nfc(data.decode("ascii")), note
        except UnicodeDecodeError:
            pass
    text, used = guess_decode(data)
    log.debug("decoded %d bytes as %s (declared %r)", len(data), used, charset)
    return nfc(text), note or f"charset-guessed:{used}"
