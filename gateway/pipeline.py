"""Takes one spooled message through parse → extract → understand → register, and settles its spool file."""

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
from gateway.values import SpooledMessage

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    """What became of one spooled message."""

    spool_id: str
    registration: Registration | None  # None when the message went back to the spool or to bad/
    error: str = ""
    to_bad: bool = False


def register_spooled(spooled: SpooledMessage, register: Register, config: Config) -> Registration:
    """Run the stages on one message and register it; raises ParseError for input that cannot be a message."""
    parsed = parse_message(spooled.raw, config.limits)
    extracted = extract_message(parsed, config.limits)
    meta = understand(extracted)
    return register.register_arrival(spooled, extracted, meta)


def process_one(spooled: SpooledMessage, spool: Spool, register: Register, config: Config) -> Outcome:
    """Register one claimed message; on failure hand it back to the spool (retry, or bad/ with the reason)."""
    message_id = peek_message_id(spooled.raw)
    try:
        registration = register_spooled(spooled, register, config)
    except ParseError as err:
        log.warning("spool %s <%s>: not a message, moved to bad/: %s", spooled.spool_id, message_id, err)
        spool.fail(spooled.spool_id, f"cannot parse: {err}", traceback.format_exc(), permanent=True)
        return Outcome(spooled.spool_id, None, str(err), to_bad=True)
    except Exception as err:  # noqa: BLE001 - any failure must leave the message in the spool, never lose it
        attempts = spooled.attempts + 1
        to_bad = attempts >= config.workers.max_attempts
        log.error(
            "spool %s <%s>: attempt %d failed (%s: %s)%s",
            spooled.spool_id, message_id, attempts, type(err).__name__, err, "; moved to bad/" if to_bad else "; will retry",
        )
        spool.fail(spooled.spool_id, f"{type(err).__name__}: {err}", traceback.format_exc())
        return Outcome(spooled.spool_id, None, f"{type(err).__name__}: {err}", to_bad=to_bad)
    spool.finish(spooled.spool_id)
    _log_registration(spooled, message_id, registration)
    return Outcome(spooled.spool_id, registration)


def _log_registration(spooled: SpooledMessage, message_id: str, registration: Registration) -> None:
    if registration.outcome == "registered":
        log.info(
            "spool %s <%s>: registered document %s as số đến %s/%s in register %s",
            spooled.spool_id, message_id, registration.document_id, registration.arrival_number, registration.year,
            registration.register_code,
        )
    else:
        log.info(
            "spool %s <%s>: %s (%s) of document %s",
            spooled.spool_id, message_id, registration.outcome, registration.reason, registration.duplicate_of_document_id,
        )
