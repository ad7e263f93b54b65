"""Whether a sender may get an automatic receipt: only domains on the allowlist (no backscatter)."""

from __future__ import annotations

from gateway.core.domains import domain_of, matches_any


def receipt_allowed(address: str, domains: tuple[str, ...]) -> bool:
    """True when ``address`` is a plain address whose domain matches one of ``domains`` (core.domains rules)."""
    address = address.strip().lower()
    local, at, _ = address.rpartition("@")
    if not at or not local or any(c in address for c in "\r\n<>,;\"' "):
        return False
    return matches_any(domain_of(address), domains)
