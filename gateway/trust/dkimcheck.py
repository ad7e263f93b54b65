"""Verifies DKIM signatures here with dkimpy, looking keys up through the configured DNS resolvers."""

from __future__ import annotations

import logging

import dkim
import dns.exception
import dns.resolver

from gateway.core.config import TrustConfig
from gateway.core.domains import domain_matches

log = logging.getLogger(__name__)
MAX_SIGNATURES = 5  # a message with hundreds of signatures must not cost hundreds of look-ups


def make_dnsfunc(trust: TrustConfig):
    """A dkimpy dnsfunc (name -> TXT bytes) asking trust.dns_servers (or the system resolver)."""
    resolver = dns.resolver.Resolver(configure=not trust.dns_servers)
    if trust.dns_servers:
        resolver.nameservers = []
        ports = {}
        for server in trust.dns_servers:
            host, port = (server.rsplit(":", 1) + ["53"])[:2] if server.count(":") == 1 else (server, "53")
            resolver.nameservers.append(host)
            ports[host] = int(port)
        resolver.nameserver_ports = ports
    resolver.lifetime = trust.dns_timeout
    resolver.timeout = trust.dns_timeout

    def dnsfunc(name, timeout=5):
        qname = name.decode("ascii", "replace") if isinstance(name, bytes) else name
        try:
            answer = resolver.resolve(qname, "TXT")
        except (dns.exception.DNSException, OSError):
            return b""
        for rdata in answer:
            return b"".join(rdata.strings)
        return b""

    return dnsfunc


def describe_resolver(trust: TrustConfig) -> str:
    """Which resolver the key look-ups use, in words; "" when the system has none configured."""
    if trust.dns_servers:
        return ", ".join(trust.dns_servers)
    try:
        found = dns.resolver.Resolver(configure=True).nameservers
    except (dns.resolver.NoResolverConfiguration, OSError):
        return ""
    return f"máy chủ DNS của hệ thống ({', '.join(map(str, found))})" if found else ""


def _signing_domain(message: dkim.DKIM, index: int) -> str:
    try:
        sig = dict(dkim.parse_tag_value(message.headers[index][1]))
        return sig.get(b"d", b"").decode("ascii", "replace").strip().lower()
    except Exception:  # noqa: BLE001 - an unreadable signature is simply not aligned
        return ""


def verify_dkim(raw: bytes, from_domain: str, trust: TrustConfig, dnsfunc=None) -> str:
    """"pass" when a signature of the From domain (or a parent of it) verifies, "fail" when none does,
    "none" when the message is not signed, "temperror" when the check itself broke."""
    dnsfunc = dnsfunc or make_dnsfunc(trust)
    try:
        message = dkim.DKIM(raw)
        signatures = [i for i, (name, _) in enumerate(message.headers) if name.lower() == b"dkim-signature"]
    except Exception as err:  # noqa: BLE001 - dkimpy raises many kinds on hostile input
        log.info("dkim: cannot read the message: %s", err)
        return "fail"
    if not signatures:
        return "none"
    for number in range(min(len(signatures), MAX_SIGNATURES)):
        domain = _signing_domain(message, signatures[number])
        aligned = domain_matches(from_domain, "*." + domain)  # relaxed alignment
        try:
            if aligned and message.verify(idx=number, dnsfunc=dnsfunc):
                return "pass"
        except dkim.DKIMException as err:
            log.info("dkim: signature %d of %s does not verify: %s", number, domain, err)
        except Exception as err:  # noqa: BLE001
            log.info("dkim: signature %d of %s broke the check: %s", number, domain, err)
    return "fail"
