"""The result of reading one file, before it is labelled with the part or member it came from."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Reading:
    """Status, text and detail from one reader (pdf, docx, doc, plain); see ExtractedText for the statuses."""

    status: str
    text: str = ""
    detail: str = ""
    page_count: int | None = None


def from_text(text: str, page_count: int | None = None, detail: str = "") -> Reading:
    """"ok" when the text has any non-blank character, "empty" otherwise."""
    if text.strip():
        return Reading("ok", text, detail, page_count)
    return Reading("empty", "", detail or "no text found", page_count)
