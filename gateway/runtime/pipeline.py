"""Takes spooled messages through parse → trust → extract → understand → register, and settles their spool files.

Machine-sent mail leaves before the trust check: a mail loop is quarantined, a delivery report updates the outbox
row it is about, and reports and auto-replies wait in auto/ ("thư tự động") without a số đến.
"""

from __future__ import annotations

import dataclasses
import logging
import traceback
from dataclasses import dataclass

from gateway.core.config import Config
from gateway.core.errors import NotADocument, ParseError, Quarantined, TemporaryError
from gateway.core.values import DocumentMeta, Envelope, Extracted, FieldValue, SpooledMessage
from gateway.extract import limit_hits
from gateway.mail.automatic import AutoKind, classify
from gateway.mail.limits import message_limit_hit
from gateway.mail.parse import parse_message
from gateway.mail.peek import peek_message_id
from gateway.ops.recalls import check_business
from gateway.register.arrivals import NewArrival
from gateway.register.records import Registration
from gateway.register.service import Register
from gateway.routing.router import Router
from gateway.runtime.reports import settle_report
from gateway.runtime.sandbox import read_isolated
from gateway.spool import Spool, deferral, quarantine
from gateway.trust import check_sender

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    """What became of one spooled message."""

    spool_id: str
    registration: Registration | None  # None when the message went back to the spool or to bad/
    error: str = ""
    to_bad: bool = False
    deferred: bool = False  # a fault outside the message (database away, disk full): it waits in deferred/
    quarantined: str = ""  # the reason, when a rule sent the message to quarantine/ instead of the register
    automatic: str = ""  # the reason, when a machine sent it and it waits in auto/ instead of the register


@dataclass(frozen=True)
class Understood:
    """A spooled message after the CPU stages, ready to be registered."""

    spooled: SpooledMessage
    extracted: Extracted
    meta: DocumentMeta


def understand_spooled(spooled: SpooledMessage, config: Config) -> Understood:
    """Parse, check the sender, extract and understand one message.

    Raises ParseError for input that cannot be a message, Quarantined for a sender the trust policy holds back
    or a mail loop, NotADocument for a delivery report or an auto-reply.
    """
    limit = message_limit_hit(spooled.raw, config.limits)
    if limit:
        raise Quarantined(f"limit: {limit}", {"limit": limit})
    parsed = parse_message(spooled.raw, config.limits)
    automatic = None if spooled.envelope.released_by else classify(spooled.raw, parsed, spooled.envelope, config)
    if automatic is not None and automatic.kind is AutoKind.LOOP:
        raise Quarantined(automatic.reason, automatic.detail)
    if automatic is not None:
        raise NotADocument(automatic.reason, automatic)
    verdict = check_sender(spooled.raw, parsed, spooled.envelope, config.trust)
    if verdict.action != "accept":
        raise Quarantined(verdict.reason, verdict.detail)
    extracted, meta = read_isolated(parsed, config.limits, config.understand)  # one round trip to the reader
    if meta is None:
        hits = limit_hits(extracted)
        raise Quarantined(f"limit: {hits[0]}", {"limits": hits[:50]})
    extracted = dataclasses.replace(extracted, auth=verdict.auth)
    return Understood(spooled, extracted, with_confirmed(meta, spooled.envelope))


def with_confirmed(meta: DocumentMeta, envelope: Envelope) -> DocumentMeta:
    """The reader's fields with those a person entered or confirmed (a paper document) put over them."""
    if not envelope.confirmed:
        return meta
    fields = dict(meta.fields)
    levels = {"urgency": meta.urgency, "secrecy": meta.secrecy}
    for name, value in envelope.confirmed:
        if name in levels:
            levels[name] = int(value) if value.isdigit() else levels[name]
        else:
            fields[name] = FieldValue(value, 1.0, "manual")
    return dataclasses.replace(meta, fields=fields, urgency=levels["urgency"], secrecy=levels["secrecy"])


def _route(ready: Understood, router: Router | None) -> NewArrival:
    """The arrival with the routing decided for it (before registering; its quarantine reason decides first)."""
    routing = router.plan(ready.spooled, ready.extracted, ready.meta) if router is not None else None
    return NewArrival(ready.spooled, ready.extracted, ready.meta, routing)


def _held_back(arrival: NewArrival) -> str:
    """The reason a routing rule gave to quarantine the message instead of registering it, or ""."""
    return arrival.routing.quarantine if arrival.routing is not None else ""


def _quarantine(spooled: SpooledMessage, reason: str, spool: Spool) -> Outcome:
    quarantine.hold(spool, spooled.spool_id, reason)
    log.warning("spool %s <%s>: quarantined by the routing rules: %s", spooled.spool_id,
                peek_message_id(spooled.raw), reason)
    return Outcome(spooled.spool_id, None, quarantined=reason)


def process_one(spooled: SpooledMessage, spool: Spool, register: Register, config: Config,
                router: Router | None = None) -> Outcome:
    """Register one claimed message; on failure hand it back to the spool (retry, or bad/ with the reason)."""
    try:
        arrival = check_business(_route(understand_spooled(spooled, config), router), register)
        if _held_back(arrival):
            return _quarantine(spooled, _held_back(arrival), spool)
        registration = register.register_arrival(arrival, spool.watermark({spooled.spool_id}))
    except NotADocument as machine:
        return _set_aside(spooled, machine, spool, register, config)
    except Exception as err:  # noqa: BLE001 - any failure must leave the message in the spool, never lose it
        return _failed(spooled, err, spool, config)
    return _finished(spooled, registration, spool)


def _set_aside(spooled: SpooledMessage, machine: NotADocument, spool: Spool, register: Register,
               config: Config) -> Outcome:
    """A delivery report updates its outbox row; then the message waits in auto/. If the register cannot be
    written, the message is retried like any failure (it stays in the spool)."""
    automatic = machine.automatic
    try:
        detail = {**automatic.detail, **settle_report(automatic, register, config, spooled.spool_id)}
        quarantine.hold(spool, spooled.spool_id, automatic.reason, {"kind": automatic.kind.value, **detail},
                        queue=quarantine.AUTO)
    except Exception as err:  # noqa: BLE001 - any failure must leave the message in the spool, never lose it
        return _failed(spooled, err, spool, config)
    log.info("spool %s <%s>: not a document, kept in auto/: %s", spooled.spool_id, peek_message_id(spooled.raw),
             automatic.reason)
    return Outcome(spooled.spool_id, None, automatic=automatic.reason)


def process_batch(batch: list[SpooledMessage], spool: Spool, register: Register, config: Config,
                  router: Router | None = None) -> list[Outcome]:
    """Register several claimed messages in one transaction (one lock, one commit).

    A message that fails before the register is settled alone; if the shared transaction fails, each message
    is registered on its own so that one bad message cannot hold back the others.
    """
    if len(batch) == 1:
        return [process_one(batch[0], spool, register, config, router)]
    outcomes: list[Outcome] = []
    ready: list[NewArrival] = []
    for spooled in batch:
        try:
            arrival = check_business(_route(understand_spooled(spooled, config), router), register)
            if _held_back(arrival):
                outcomes.append(_quarantine(spooled, _held_back(arrival), spool))
            else:
                ready.append(arrival)
        except NotADocument as machine:
            outcomes.append(_set_aside(spooled, machine, spool, register, config))
        except Exception as err:  # noqa: BLE001 - settled alone, the rest of the batch goes on
            outcomes.append(_failed(spooled, err, spool, config))
    if not ready:
        return outcomes
    try:
        registrations = register.register_batch(ready, spool.watermark(a.spooled.spool_id for a in ready))
    except TemporaryError as err:  # the database or the disk, not these messages: they wait together
        return outcomes + [_failed(item.spooled, err, spool, config) for item in ready]
    except Exception as err:  # noqa: BLE001 - fall back to one at a time, where each failure is settled alone
        log.warning("a batch of %d failed to register together (%s: %s); registering one by one",
                    len(ready), type(err).__name__, err)
        for item in ready:
            try:
                registration = register.register_arrival(item, spool.watermark({item.spooled.spool_id}))
            except Exception as one_err:  # noqa: BLE001
                outcomes.append(_failed(item.spooled, one_err, spool, config))
            else:
                outcomes.append(_finished(item.spooled, registration, spool))
        return outcomes
    outcomes += [_finished(item.spooled, reg, spool) for item, reg in zip(ready, registrations)]
    return outcomes


def _finished(spooled: SpooledMessage, registration: Registration, spool: Spool) -> Outcome:
    """The registration has committed: the spool file can go."""
    spool.finish(spooled.spool_id)
    _log_registration(spooled, registration)
    return Outcome(spooled.spool_id, registration)


def _failed(spooled: SpooledMessage, err: Exception, spool: Spool, config: Config) -> Outcome:
    """Hand a failed message back to the spool: bad/ at once when it is no message, else retried up to the limit.

    Called from an except block, so that the traceback kept beside the message is this error's.
    """
    message_id = peek_message_id(spooled.raw)
    if isinstance(err, Quarantined):
        log.warning("spool %s <%s>: quarantined: %s", spooled.spool_id, message_id, err.reason)
        quarantine.hold(spool, spooled.spool_id, err.reason, err.detail)
        return Outcome(spooled.spool_id, None, err.reason, quarantined=err.reason)
    if isinstance(err, TemporaryError):
        went = deferral.defer(spool, spooled.spool_id, f"{type(err).__name__}: {err}", _retry_policy(config))
        return Outcome(spooled.spool_id, None, f"{type(err).__name__}: {err}", to_bad=went == "bad",
                       deferred=went == "deferred")
    if isinstance(err, ParseError):
        log.warning("spool %s <%s>: not a message, moved to bad/: %s", spooled.spool_id, message_id, err)
        spool.fail(spooled.spool_id, f"cannot parse: {err}", traceback.format_exc(), permanent=True)
        return Outcome(spooled.spool_id, None, str(err), to_bad=True)
    attempts = spooled.attempts + 1
    to_bad = attempts >= config.workers.max_attempts
    log.error(
        "spool %s <%s>: attempt %d failed (%s: %s)%s", spooled.spool_id, message_id, attempts,
        type(err).__name__, err, "; moved to bad/" if to_bad else "; will retry",
    )
    spool.fail(spooled.spool_id, f"{type(err).__name__}: {err}", traceback.format_exc())
    return Outcome(spooled.spool_id, None, f"{type(err).__name__}: {err}", to_bad=to_bad)


def _retry_policy(config: Config) -> deferral.RetryPolicy:
    workers = config.workers
    return deferral.RetryPolicy(workers.retry_first, workers.retry_longest, workers.retry_lifetime)


def _log_registration(spooled: SpooledMessage, registration: Registration) -> None:
    message_id = peek_message_id(spooled.raw)
    if registration.outcome == "registered" and registration.arrival_number is None:
        log.info("spool %s <%s>: registered document %s in register %s; its số đến waits for messages received "
                 "before it", spooled.spool_id, message_id, registration.document_id, registration.register_code)
    elif registration.outcome == "registered":
        log.info(
            "spool %s <%s>: registered document %s as số đến %s/%s in register %s",
            spooled.spool_id, message_id, registration.document_id, registration.arrival_number, registration.year,
            registration.register_code,
        )
    else:
        log.info(
            "spool %s <%s>: %s (%s) of document %s",
            spooled.spool_id, message_id, registration.outcome, registration.reason,
            registration.duplicate_of_document_id,
        )
