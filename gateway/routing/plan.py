"""Turns a routing decision into what the register will write with the document: the units' shares with their
deadline, the forwards and the receipt to queue (worked out before the register's write lock is taken).

Mail is queued at most once per recipient for a document, never to one of the gateway's own addresses (a forward
there would come back as a new document: a mail loop), and a receipt only to a sender who passed authentication
(no backscatter to a forged sender)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from gateway.core.addresses import base_address, is_own_address
from gateway.core.config import Config
from gateway.core.values import Envelope, ParsedMessage
from gateway.register.decisions import RoutingRecord, Unit, UnitShare
from gateway.register.outbox import QueuedMail
from gateway.register.terms import ROLE_COOPERATE, ROLE_INFORM, ROLE_LEAD
from gateway.routing.allow import receipt_allowed
from gateway.routing.evaluate import Decision
from gateway.routing.rules import RuleSet
from gateway.routing.workdays import WorkCalendar

PRIORITY_RANK = {"low": -1, "normal": 0, "high": 1, "urgent": 2}


SKIP_NO_MAILBOX = "no mailbox"
SKIP_OWN_ADDRESS = "mailbox is one of the gateway's own addresses (vòng lặp thư)"
SKIP_SAME_MAILBOX = "same mailbox as another unit: one forward"
WITHHELD_DOMAIN = "sender domain not in outbox.receipt_domains"
WITHHELD_UNAUTHENTICATED = "sender not authenticated (no reply to a possibly forged sender)"
WITHHELD_OWN = "sender is one of the gateway's own addresses (vòng lặp thư)"
WITHHELD_FORWARDED = "the sender already gets a forward of this document"


def plan_routing(decision: Decision, envelope: Envelope, message: ParsedMessage, urgency: int,
                 calendar: WorkCalendar, config: Config, mailboxes: dict[str, str],
                 authenticated: bool = False) -> RoutingRecord:
    """The rows a decision leads to; the arrival date is the one the register will give (its time zone).

    ``authenticated``: the sender passed DKIM, SPF or DMARC (trust.passed); only then may it get a receipt.
    """
    arrival = envelope.received_at.astimezone(ZoneInfo(config.register.timezone)).date()
    due = decision.deadline(arrival, calendar)
    shares = [UnitShare(decision.lead, ROLE_LEAD, due)] \
        + [UnitShare(c, ROLE_COOPERATE, due) for c in decision.cooperate] \
        + [UnitShare(i, ROLE_INFORM, None) for i in decision.inform]
    shares = [s for s in shares if s.unit_code]
    # Urgent documents (thượng khẩn, hỏa tốc) go out before anything else waiting in the outbox.
    priority = max(PRIORITY_RANK.get(decision.priority, 0), 2 if urgency >= 2 else 0)
    domain = config.outbox.from_address.rpartition("@")[2]
    mail: list[QueuedMail] = []
    skipped: list[tuple[str, str]] = []
    sent_to: set[str] = set()
    delimiter = config.smtp.recipient_delimiter
    proposal = config.routing.decision == "proposal"
    if decision.forward and not proposal:  # proposed units are forwarded once a leader has directed them
        for share in shares:
            mailbox = mailboxes.get(share.unit_code, "")
            why = SKIP_NO_MAILBOX if not mailbox else SKIP_OWN_ADDRESS if is_own_address(mailbox, config) \
                else SKIP_SAME_MAILBOX if base_address(mailbox, delimiter) in sent_to else ""
            if why:
                skipped.append((share.unit_code, why))
                continue
            sent_to.add(base_address(mailbox, delimiter))
            mail.append(QueuedMail.new("forward", mailbox, domain, unit_code=share.unit_code, priority=priority))
    withheld, withheld_why = "", ""
    if decision.receipt and envelope.source != "paper":  # a paper document's sender gets no e-mail receipt
        sender = message.from_addr.strip().lower()
        withheld_why = WITHHELD_DOMAIN if not receipt_allowed(sender, config.outbox.receipt_domains) \
            else WITHHELD_UNAUTHENTICATED if not authenticated \
            else WITHHELD_OWN if is_own_address(sender, config) \
            else WITHHELD_FORWARDED if base_address(sender, delimiter) in sent_to else ""
        if withheld_why:
            withheld = message.from_addr or "(no sender)"
        else:
            mail.append(QueuedMail.new("receipt", sender, domain, in_reply_to=message.message_id, priority=priority))
    return RoutingRecord(
        rules_version=decision.rules_version, matched=tuple(decision.matched_json()), lead=decision.lead,
        cooperate=tuple(decision.cooperate), inform=tuple(decision.inform), priority=decision.priority,
        tags=tuple(decision.tags), due=due, units=tuple(shares), mail=tuple(mail), forward_skipped=tuple(skipped),
        receipt_withheld=withheld, receipt_withheld_reason=withheld_why, quarantine=decision.quarantine,
        proposal=proposal,
    )


def units_of(ruleset: RuleSet) -> list[Unit]:
    """The departments the rule files name, as the register keeps them."""
    return [Unit(d.code, d.name, d.mailbox) for d in ruleset.departments.values()]

