"""Mail that is not a document because a machine sent it: our own mail come back (a loop), delivery reports
(bounces) and auto-replies. Such mail never gets a số đến; a loop is held in quarantine, the rest is kept in the
"thư tự động" list (spool/auto/).

The signs, in the order they are looked at:
- loop: the X-Gateway-Loop header with this installation's id, more than loop.max_received Received lines, or
  an Auto-Submitted message from one of the gateway's own domains (RFC 3834 §2);
- delivery report: multipart/report; report-type=delivery-status (RFC 3464), whoever sent it;
- automatic: any other multipart/report (read receipts), Auto-Submitted other than "no" (RFC 3834),
  X-Autoreply / X-Autorespond, Precedence auto_reply, Precedence bulk/junk/list from a robot address
  (MAILER-DAEMON, postmaster, no-reply, …), or a null envelope sender (RFC 5321 §4.5.5: only notifications
  are sent with one).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from email.utils import getaddresses

from gateway.core.addresses import own_domains
from gateway.core.config import Config
from gateway.core.domains import domain_of
from gateway.core.values import Envelope, ParsedMessage
from gateway.mail.dsn import DeliveryReport, is_delivery_report, read_report

LOOP_HEADER = "x-gateway-loop"
ADDRESS_HEADERS = ("to", "delivered-to", "x-original-to", "envelope-to")  # where a bounce was delivered
ROBOTS = frozenset({"mailer-daemon", "postmaster", "noreply", "no-reply", "no_reply", "donotreply", "do-not-reply",
                    "do_not_reply", "autoreply", "auto-reply", "bounce", "bounces", "daemon", "mailerdaemon"})
BULK = ("bulk", "junk", "list")
LOOP = "vòng lặp thư"


class AutoKind(enum.Enum):
    """What kind of machine-sent mail a message is."""

    LOOP = "loop"  # held in quarantine/
    DELIVERY_REPORT = "delivery-report"  # updates its outbox row, then kept in auto/
    AUTO_REPLY = "auto-reply"  # kept in auto/


@dataclass(frozen=True)
class Automatic:
    """Why a message is machine-sent mail, in words for the văn thư, and the report when it is a bounce."""

    kind: AutoKind
    reason: str
    detail: dict = field(default_factory=dict)
    report: DeliveryReport | None = None
    returned_to: tuple[str, ...] = ()  # where a report came back to: envelope recipients, To, Delivered-To


def classify(raw: bytes, parsed: ParsedMessage, envelope: Envelope, config: Config) -> Automatic | None:
    """The machine-sent kind of the message, or None for a message a person (or their e-office system) sent."""
    headers = [(name.lower(), value.strip()) for name, value in parsed.headers]
    loop = _loop(headers, parsed, config)
    if loop is not None:
        return loop
    content_type = _first(headers, "content-type")
    if is_delivery_report(content_type):
        report = read_report(raw)
        returned_to = list(envelope.rcpt_tos) + [address for name, value in headers if name in ADDRESS_HEADERS
                                                 for _, address in getaddresses([value]) if address]
        return Automatic(AutoKind.DELIVERY_REPORT, f"thư báo lỗi gửi thư (delivery report): {report.summary()}"[:500],
                         {"reporting_mta": report.reporting_mta, "about": report.original_message_id}, report,
                         tuple(dict.fromkeys(returned_to)))
    why = _automatic_sign(headers, parsed, envelope, content_type)
    if why:
        return Automatic(AutoKind.AUTO_REPLY, f"thư tự động: {why}", {"from": parsed.from_addr})
    return None


def _loop(headers: list[tuple[str, str]], parsed: ParsedMessage, config: Config) -> Automatic | None:
    ours = config.loop_id
    if any(name == LOOP_HEADER and value.lower() == ours for name, value in headers):
        return Automatic(AutoKind.LOOP, f"{LOOP}: thư mang dấu X-Gateway-Loop của chính gateway ({ours})",
                         {"loop_id": ours})
    hops = sum(1 for name, _ in headers if name == "received")
    if hops > config.loop.max_received:
        return Automatic(AutoKind.LOOP, f"{LOOP}: {hops} dòng Received, quá loop.max_received "
                                        f"({config.loop.max_received})", {"received": hops})
    submitted = _auto_submitted(headers)
    domain = domain_of(parsed.from_addr)
    if submitted and domain in own_domains(config) and not is_delivery_report(_first(headers, "content-type")):
        return Automatic(AutoKind.LOOP, f"{LOOP}: thư tự động (Auto-Submitted: {submitted}) từ tên miền của chính "
                                        f"gateway ({domain})", {"auto_submitted": submitted, "domain": domain})
    return None


def _automatic_sign(headers: list[tuple[str, str]], parsed: ParsedMessage, envelope: Envelope,
                    content_type: str) -> str:
    """Why the message was sent by a machine, or "" when nothing says so."""
    if content_type.lower().startswith("multipart/report"):
        return f"báo cáo tự động ({content_type.split(';')[0]})"
    submitted = _auto_submitted(headers)
    if submitted:
        return f"Auto-Submitted: {submitted}"
    for name in ("x-autoreply", "x-autorespond"):
        value = _first(headers, name)
        if value and value.lower() not in ("no", "false", "0"):
            return f"{name}: {value}"[:200]
    precedence = _first(headers, "precedence").lower()
    robot = parsed.from_addr.partition("@")[0].lower() in ROBOTS
    if precedence == "auto_reply" or precedence in BULK and robot:
        return f"Precedence: {precedence} từ {parsed.from_addr or '(không rõ)'}"
    if envelope.source == "smtp" and envelope.mail_from.replace(" ", "") == "<>":  # as the intake stores it
        return "người gửi phong bì rỗng (null sender <>), chỉ dùng cho thư thông báo"
    if _first(headers, "return-path").replace(" ", "") == "<>":
        return "Return-Path: <> (null sender), chỉ dùng cho thư thông báo"
    return ""


def _auto_submitted(headers: list[tuple[str, str]]) -> str:
    """The Auto-Submitted keyword (auto-replied, auto-generated, …), "" when absent or "no"."""
    value = _first(headers, "auto-submitted").split(";")[0].strip().lower()
    return "" if value in ("", "no") else value[:64]


def _first(headers: list[tuple[str, str]], name: str) -> str:
    return next((value for key, value in headers if key == name), "")
