"""Reads SPF, DKIM and DMARC results from the Authentication-Results header our own MTA added (RFC 8601)."""

from __future__ import annotations

import re

from gateway.core.values import AuthResults

_COMMENT = re.compile(r"\([^()]*\)")
_RESULT = re.compile(r"^\s*([A-Za-z0-9_-]+)(?:\s*/\s*\d+)?\s*=\s*([A-Za-z]+)")
MECHANISMS = ("spf", "dkim", "dmarc")


def _strip_comments(value: str) -> str:
    for _ in range(10):  # nested comments: peel from the inside out
        stripped = _COMMENT.sub(" ", value)
        if stripped == value:
            break
        value = stripped
    return value


def parse_header(value: str) -> tuple[str, dict[str, str]]:
    """(authserv-id, {mechanism: result}) of one Authentication-Results value; the first result of each wins."""
    pieces = _strip_comments(value).replace("\r", " ").replace("\n", " ").split(";")
    authserv_id = (pieces[0].split() or [""])[0].strip().lower()
    found: dict[str, str] = {}
    for piece in pieces[1:]:
        match = _RESULT.match(piece)
        if match:
            method, result = match.group(1).lower(), match.group(2).lower()
            if method in MECHANISMS and method not in found:
                found[method] = result
            elif method in MECHANISMS and result == "pass" and method == "dkim":
                found[method] = result  # several signatures: one that passes is enough
    return authserv_id, found


def results_from_headers(headers: tuple[tuple[str, str], ...], trusted_ids: tuple[str, ...]) -> AuthResults:
    """Results of the topmost Authentication-Results header, if our MTA (a trusted authserv-id) wrote it.

    Every lower header was added before our MTA saw the message, by anyone, and is ignored: RFC 8601 §5.
    """
    trusted = {t.strip().lower() for t in trusted_ids if t.strip()}
    for name, value in headers:
        if name.lower() != "authentication-results":
            continue
        authserv_id, found = parse_header(value)
        if authserv_id not in trusted:
            return AuthResults(source=f"ignored: untrusted authserv-id {authserv_id[:64]!r}")
        return AuthResults(spf=found.get("spf", "none"), dkim=found.get("dkim", "none"),
                           dmarc=found.get("dmarc", "none"), source=authserv_id)
    return AuthResults()
