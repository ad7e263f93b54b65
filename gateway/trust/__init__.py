"""Decides whether a parsed message may be registered: sender policy plus sender authentication."""

from __future__ import annotations

import ipaddress
import logging
from dataclasses import dataclass

from gateway.core.config import TrustConfig
from gateway.core.domains import domain_of, matches_any
from gateway.core.values import AuthResults, Envelope, ParsedMessage
from gateway.trust.authres import results_from_headers
from gateway.trust.dkimcheck import verify_dkim
from gateway.trust.policy import domain_action

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrustVerdict:
    """What the trust check decided: "accept" or "quarantine" (with the reason), and the authentication seen."""

    action: str
    auth: AuthResults
    reason: str = ""
    detail: dict | None = None


def authenticate(raw: bytes, parsed: ParsedMessage, envelope: Envelope, trust: TrustConfig) -> AuthResults:
    """SPF/DKIM/DMARC from our trusted MTA's Authentication-Results, with DKIM verified here when that header
    gave nothing ("auto", the default) or always ("always")."""
    results = AuthResults()
    if trust.trusted_authserv_ids and _peer_trusted(envelope, trust):
        results = results_from_headers(parsed.headers, trust.trusted_authserv_ids)
    from_header = bool(results.source) and not results.source.startswith("ignored")
    if trust.verify_dkim == "always" or trust.verify_dkim == "auto" and not from_header:
        local = verify_dkim(raw, domain_of(parsed.from_addr), trust)
        source = ",".join(s for s in (results.source, "local-dkim") if s)
        results = AuthResults(spf=results.spf, dkim=local, dmarc=results.dmarc, source=source)
    return results


def judged(auth: AuthResults, trust: TrustConfig) -> bool:
    """Whether the sender was judged: our MTA is configured (its missing header counts as no result), or our own
    DKIM check ran."""
    return bool(trust.trusted_authserv_ids) or "local-dkim" in auth.source


def _peer_trusted(envelope: Envelope, trust: TrustConfig) -> bool:
    """Authentication-Results count only in mail handed over by our MTA (any peer when none is configured)."""
    if not trust.trusted_mta_peers or envelope.source != "smtp":
        return True
    host = envelope.peer.rpartition(":")[0].strip("[]") or envelope.peer
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return any(address == ipaddress.ip_address(peer) for peer in trust.trusted_mta_peers)


def passed(auth: AuthResults) -> bool:
    """Authenticated: DMARC did not fail and at least one mechanism passed (only such a sender gets a reply)."""
    if auth.dmarc == "fail":
        return False
    return "pass" in (auth.dkim, auth.spf, auth.dmarc)


def check_sender(raw: bytes, parsed: ParsedMessage, envelope: Envelope, trust: TrustConfig) -> TrustVerdict:
    """Accept, or quarantine with the reason; "reject" (answered at SMTP time) also quarantines what got in."""
    auth = authenticate(raw, parsed, envelope, trust)
    domain = domain_of(parsed.from_addr)
    detail = {"from": parsed.from_addr, "domain": domain, "spf": auth.spf, "dkim": auth.dkim,
              "dmarc": auth.dmarc, "auth_source": auth.source}
    if envelope.released_by:
        return TrustVerdict("accept", auth, f"released from quarantine by {envelope.released_by}", detail)
    action = domain_action(domain, trust)
    if action != "accept":
        why = "no sender address" if not domain else f"sender domain {domain} is not allowed"
        return TrustVerdict("quarantine", auth, f"{why} (policy: {action})", detail)
    if judged(auth, trust) and matches_any(domain, trust.require_auth_domains) and not passed(auth):
        return TrustVerdict(
            "quarantine", auth,
            f"sender {parsed.from_addr} failed authentication: dkim={auth.dkim} spf={auth.spf} dmarc={auth.dmarc}",
            detail,
        )
    return TrustVerdict("accept", auth, "", detail)
