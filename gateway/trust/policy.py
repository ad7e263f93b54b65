"""Sender domain policy: which From domains are allowed, overridden, or left to the default action."""

from __future__ import annotations

from gateway.core.config import TrustConfig
from gateway.core.domains import domain_matches, matches_any


def domain_action(domain: str, trust: TrustConfig) -> str:
    """accept, quarantine or reject for mail from ``domain``: an override first, then the allowed list."""
    for entry in trust.domain_overrides:
        pattern, _, action = entry.partition("=")
        if domain_matches(domain, pattern):
            return action.strip()
    if matches_any(domain, trust.allowed_domains):
        return "accept"
    return trust.other_action
