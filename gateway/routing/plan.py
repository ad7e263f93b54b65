"""Turns a routing decision into what the register will write with the document: the units' shares with their
deadline, the forwards and the receipt to queue (worked out before the register's write lock is taken)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

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


def plan_routing(decision: Decision, envelope: Envelope, message: ParsedMessage, urgency: int,
                 calendar: WorkCalendar, config: Config, mailboxes: dict[str, str]) -> RoutingRecord:
    """The rows a decision leads to; the arrival date is the one the register will give (its time zone)."""
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
    skipped: list[str] = []
    withheld = ""
    proposal = config.routing.decision == "proposal"
    if decision.forward and not proposal:  # proposed units are forwarded once a leader has directed them
        for share in shares:
            if mailboxes.get(share.unit_code):
                mail.append(QueuedMail.new("forward", mailboxes[share.unit_code], domain,
                                           unit_code=share.unit_code, priority=priority))
            else:
                skipped.append(share.unit_code)
    if decision.receipt and envelope.source != "paper":  # a paper document's sender gets no e-mail receipt
        if receipt_allowed(message.from_addr, config.outbox.receipt_domains):
            mail.append(QueuedMail.new("receipt", message.from_addr.strip().lower(), domain,
                                       in_reply_to=message.message_id, priority=priority))
        else:
            withheld = message.from_addr or "(no sender)"
    return RoutingRecord(
        rules_version=decision.rules_version, matched=tuple(decision.matched_json()), lead=decision.lead,
        cooperate=tuple(decision.cooperate), inform=tuple(decision.inform), priority=decision.priority,
        tags=tuple(decision.tags), due=due, units=tuple(shares), mail=tuple(mail), forward_skipped=tuple(skipped),
        receipt_withheld=withheld, quarantine=decision.quarantine, proposal=proposal,
    )


def units_of(ruleset: RuleSet) -> list[Unit]:
    """The departments the rule files name, as the register keeps them."""
    return [Unit(d.code, d.name, d.mailbox) for d in ruleset.departments.values()]

