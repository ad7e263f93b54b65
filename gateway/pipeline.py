"""Takes spooled messages through parse → extract → understand → register, and settles their spool files."""

from __future__ import annotations

import logging
import traceback
from dataclasses import dataclass

from gateway.config import Config
from gateway.errors import ParseError
from gateway.extract import extract_message
from gateway.mail.parse import parse_message
from gateway.mail.peek import peek_message_id
from gateway.register.service import Register, Registration
from gateway.spool import Spool
from gateway.understand.fields import understand
from gateway.values import DocumentMeta, Extracted, SpooledMessage

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    """What became of one spooled message."""

    spool_id: str
    registration: Registration | None  # None when the message went back to the spool or to bad/
    error: str = ""
    to_bad: bool = False


@dataclass(frozen=True)
class Understood:
    """A spooled message after the CPU stages, ready to be registered."""

    spooled: SpooledMessage
    extracted: Extracted
    meta: DocumentMeta


def understand_spooled(spooled: SpooledMessage, config: Config) -> Understood:
    """Parse, extract and understand one message; raises ParseError for input that cannot be a message."""
    parsed = parse_message(spooled.raw, config.limits)
    extracted = extract_message(parsed, config.limits)
    return Understood(spooled, extracted, understand(extracted, config.understand))


def process_one(spooled: SpooledMessage, spool: Spool, register: Register, config: Config) -> Outcome:
    """Register one claimed message; on failure hand it back to the spool (retry, or bad/ with the reason)."""
    try:
        ready = understand_spooled(spooled, config)
        registration = register.register_arrival(ready.spooled, ready.extracted, ready.meta)
    except Exception as err:  # noqa: BLE001 - any failure must leave the message in the spool, never lose it
        return _failed(spooled, err, spool, config)
    return _finished(spooled, registration, spool)


def process_batch(batch: list[SpooledMessage], spool: Spool, register: Register, config: Config) -> list[Outcome]:
    """Register several claimed messages in one transaction (one lock, one commit).

    A message that fails before the register is settled alone; if the shared transaction fails, each message
    is registered on its own so that one bad message cannot hold back the others.
    """
    if len(batch) == 1:
        return [process_one(batch[0], spool, register, config)]
    outcomes: list[Outcome] = []
    ready: list[Understood] = []
    for spooled in batch:
        try:
            ready.append(understand_spooled(spooled, config))
        except Exception as err:  # noqa: BLE001 - settled alone, the rest of the batch goes on
            outcomes.append(_failed(spooled, err, spool, config))
    if not ready:
        return outcomes
    try:
        registrations = register.register_batch([(r.spooled, r.extracted, r.meta) for r in ready])
    except Exception as err:  # noqa: BLE001 - fall back to one at a time, where each failure is settled alone
        log.warning("a batch of %d failed to register together (%s: %s); registering one by one",
                    len(ready), type(err).__name__, err)
        for item in ready:
            try:
                registration = register.register_arrival(item.spooled, item.extracted, item.meta)
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


def _log_registration(spooled: SpooledMessage, registration: Registration) -> None:
    message_id = peek_message_id(spooled.raw)
    if registration.outcome == "registered":
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
