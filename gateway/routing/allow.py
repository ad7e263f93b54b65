"""Whether a sender may get an automatic receipt: only domains on the allowlist (no backscatter)."""

from __future__ import annotations

import fnmatch


def receipt_allowed(address: str, domains: tuple[str, ...]) -> bool:
    """True when ``address`` is a plain address whose domain matches one of the ``domains`` globs."""
    address = address.strip().lower()
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain or any(c in address for c in "\r\n<>,;\"' "):
        return False
    return any(fnmatch.fnmatchcase(domain, pattern.strip().lower()) for pattern in domains)
