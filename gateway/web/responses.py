"""Files sent back to a browser or an API client so that nothing in them can run: downloads, previews, exports."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi.responses import Response

PAGE_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
PREVIEW_CSP = "default-src 'none'; frame-ancestors 'self'"
DOWNLOAD_CSP = "default-src 'none'; sandbox; frame-ancestors 'none'"


def content_disposition(filename: str, inline: bool) -> str:
    """The Content-Disposition of a file: an ASCII fallback name and the real one in RFC 5987 form."""
    ascii_name = "".join(c if c.isascii() and c.isprintable() and c not in '"\\;' else "_" for c in filename)
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


def download_response(found: Any, inline: bool) -> Response:
    """A file sent so that the browser never runs it: PDF inline under a closed CSP, anything else as a download."""
    media = "application/pdf" if inline else "application/octet-stream"
    return Response(found.data, media_type=media, headers={
        "Content-Disposition": content_disposition(found.filename, inline),
        "Content-Security-Policy": PREVIEW_CSP if inline else DOWNLOAD_CSP,
        "X-Frame-Options": "SAMEORIGIN" if inline else "DENY",
    })


def export_response(export: Any) -> Response:
    """An export file (CSV, XLSX, DOCX) as a download, with the number of rows in a header."""
    return Response(export.data, media_type=export.media_type, headers={
        "Content-Disposition": content_disposition(export.filename, inline=False),
        "Content-Security-Policy": DOWNLOAD_CSP,
        "X-Export-Rows": str(export.rows),
    })
