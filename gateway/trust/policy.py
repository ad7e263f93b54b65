"""Sender domain policy: which From domains are allowed, overridden, or left to the default action."""

from __future__ import annotations

from gateway.config import TrustConfig


def sender_domain(address: str) -> str:
    """The lower-case domain of an address ("" when there is none)."""
    _, at, domain = address.strip().rpartition("@")
    return domain.strip().strip(".").lower() if at else ""


def domain_matches(domain: str, pattern: str) -> bool:
    """"*.gov.vn" matches gov.vn and every name under it; anything else matches exactly (case-insensitive)."""
    pattern = pattern.strip().lower()
    if not domain:
        return False
    if pattern.startswith("*."):
        base = pattern[2:]
        return domain == base or domain.endswith("." + base)
    return domain == pattern


def domain_action(domain: str, trust: TrustConfig) -> str:
    """accept, quarantine or reject for mail from ``domain``: an override first, then the allowed list."""
    for entry in trust.domain_overrides:
        pattern, _, action = entry.partition("=")
        if domain_matches(domain, pattern):
            return action.strip()
    if any(domain_matches(domain, pattern) for pattern in trust.allowed_domains):
        return "accept"
    return trust.other_action
