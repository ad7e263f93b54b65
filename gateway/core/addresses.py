"""The gateway's own addresses: what its intake accepts (an address, a whole domain, an address with an
extension), and the domains it sends from; the one place that decides "is this mail meant for us"."""

from __future__ import annotations

from gateway.core.config import Config, SmtpConfig
from gateway.core.domains import domain_of


def base_address(address: str, delimiter: str = "+") -> str:
    """The address in lower case without its extension: "VanThu+ob-7-ab@X.vn" → "vanthu@x.vn"."""
    address = address.strip().strip("<>").lower()
    local, at, domain = address.rpartition("@")
    if not at:
        return address
    if delimiter and delimiter in local:
        local = local.partition(delimiter)[0]
    return f"{local}@{domain.rstrip('.')}"


def extension_of(address: str, delimiter: str = "+") -> str:
    """The extension of an address ("ob-7-ab" of "vanthu+ob-7-ab@x.vn"), "" when it has none."""
    local, at, _ = address.strip().strip("<>").rpartition("@")
    if not at or not delimiter or delimiter not in local:
        return ""
    return local.partition(delimiter)[2]


def smtp_accepts(address: str, smtp: SmtpConfig) -> bool:
    """True when the SMTP intake takes mail for ``address``: listed (with or without an extension), or its
    whole domain is listed."""
    recipients = {base_address(a, "") for a in smtp.accept_recipients}
    domains = {d.strip().lower().lstrip("@").rstrip(".") for d in smtp.accept_domains}
    plain = base_address(address, "")
    if plain in recipients:
        return True
    if smtp.recipient_delimiter and base_address(address, smtp.recipient_delimiter) in recipients:
        return True
    return "@" in plain and domain_of(plain) in domains


def is_own_address(address: str, config: Config) -> bool:
    """True for an address whose mail comes back into the gateway: one the SMTP intake accepts, an IMAP
    account it polls, or the outbox's own From address. Forwarding there makes a mail loop."""
    if not address.strip():
        return False
    if smtp_accepts(address, config.smtp):
        return True
    plain = base_address(address, config.smtp.recipient_delimiter)
    polled = {base_address(a.username, "") for a in config.imap.accounts if "@" in a.username}
    return plain in polled or plain == base_address(config.outbox.from_address, "")


def own_domains(config: Config) -> frozenset[str]:
    """The domains the gateway receives for or sends from (mail "from ourselves" comes from one of these)."""
    domains = {domain_of(a) for a in config.smtp.accept_recipients}
    domains |= {d.strip().lower().lstrip("@").rstrip(".") for d in config.smtp.accept_domains}
    domains |= {domain_of(a.username) for a in config.imap.accounts}
    domains.add(domain_of(config.outbox.from_address))
    return frozenset(d for d in domains if d)
