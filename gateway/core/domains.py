"""Mail domains: the domain of an address, and the one rule by which a domain matches a pattern."""

from __future__ import annotations

from collections.abc import Iterable


def domain_of(address: str) -> str:
    """The lower-case domain of an address, without a trailing dot ("" when there is none)."""
    _, at, domain = address.strip().rpartition("@")
    return domain.strip().rstrip(".").lower() if at else ""


def domain_matches(domain: str, pattern: str) -> bool:
    """Whether ``domain`` falls under ``pattern``, case-insensitively.

    "*" matches every domain; "*.gov.vn" matches gov.vn itself and every name under it (hanoi.gov.vn,
    sct.hanoi.gov.vn) but not gov.vn.evil.example; any other pattern matches that one domain exactly.
    """
    domain = domain.strip().rstrip(".").lower()
    pattern = pattern.strip().rstrip(".").lower()
    if not domain or not pattern:
        return False
    if pattern == "*":
        return True
    if pattern.startswith("*."):
        base = pattern[2:]
        return domain == base or domain.endswith("." + base)
    return domain == pattern


def matches_any(domain: str, patterns: Iterable[str]) -> bool:
    """Whether ``domain`` falls under one of ``patterns`` (see domain_matches)."""
    return any(domain_matches(domain, pattern) for pattern in patterns)
