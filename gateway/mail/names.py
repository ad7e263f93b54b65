"""Make attachment and archive member names safe to show and store: no paths, no control characters."""

from __future__ import annotations

import re
import unicodedata

from gateway.core.text import nfc

MAX_NAME = 200
_MAX_EXT = 16
_WINDOWS_BAD = re.compile(r'[<>:"|?*]')


def sanitise_filename(name: str) -> str:
    """The last path component, NFC, without control/format characters, leading dots or "@", ≤ 200 chars."""
    if not name:
        return ""
    text = "".join(ch for ch in nfc(name) if unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co"))
    text = text.replace("\\", "/").rsplit("/", 1)[-1]
    text = _WINDOWS_BAD.sub("_", text).strip()
    text = text.lstrip("@. ").rstrip(". ")
    return _shorten(text)


def _shorten(name: str, limit: int = MAX_NAME) -> str:
    """Cut a long name to ``limit`` characters, keeping a short extension."""
    if len(name) <= limit:
        return name
    stem, dot, ext = name.rpartition(".")
    if dot and stem and 0 < len(ext) <= _MAX_EXT:
        return stem[: limit - len(ext) - 1].rstrip() + "." + ext
    return name[:limit]


def sanitise_path(path: str) -> str:
    """An archive member path with every component sanitised; "..", "." and empty components dropped."""
    parts = [sanitise_filename(piece) for piece in path.replace("\\", "/").split("/")]
    return "/".join(piece for piece in parts if piece)
