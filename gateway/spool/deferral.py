"""Deferral: a message that met a fault outside itself (the database away, the disk full, a lock timeout) waits
in deferred/ and is tried again with back-off, as in Postfix's deferred queue; only when its retry period is
over does it go to bad/ for a person. Its record (deferred/<id>.defer.json) keeps the first deferral, the
count and the next try."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
from dataclasses import dataclass

from gateway.core.durable import publish
from gateway.core.errors import SpoolError
from gateway.spool.files import DEFERRAL_SUFFIX, MSG_SUFFIX, TMP_SUFFIX, msg_name, parse_name, read_record
from gateway.spool.queue import Spool

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetryPolicy:
    """How a deferred message is tried again: after ``first`` seconds, doubling up to ``longest``, for at most
    ``lifetime`` seconds after the first deferral."""

    first: float = 10.0
    longest: float = 600.0
    lifetime: float = 2 * 24 * 3600.0

    def delay(self, deferrals: int) -> float:
        """Seconds to wait after the ``deferrals``-th deferral (1 for the first)."""
        return min(self.longest, self.first * 2 ** max(0, deferrals - 1))


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def defer(spool: Spool, spool_id: str, reason: str, policy: RetryPolicy, now: dt.datetime | None = None) -> str:
    """Move a claimed message to deferred/ to be tried again later; into bad/ once its lifetime is over.

    Returns the queue it went to ("deferred" or "bad"). The attempt count is left alone: a fault of the
    system is no failed attempt of the message.
    """
    now = now or _now()
    path, attempts = spool.find(spool.claimed, spool_id)
    old = spool.record("deferred", spool_id)
    first = _time(old.get("first_deferred_at")) or now
    if (now - first).total_seconds() > policy.lifetime:
        spool.fail(spool_id, f"deferred since {first.isoformat()} (retry period {policy.lifetime:.0f} s over); "
                             f"last error: {reason}", "", permanent=True)
        return "bad"
    deferrals = int(old.get("deferrals", 0)) + 1
    next_at = now + dt.timedelta(seconds=policy.delay(deferrals))
    record = {"spool_id": spool_id, "reason": reason, "first_deferred_at": first.isoformat(),
              "last_deferred_at": now.isoformat(), "deferrals": deferrals, "next_attempt_at": next_at.isoformat()}
    tmp = spool.tmp_dir / f"{spool_id}.{os.getpid()}.defer{TMP_SUFFIX}"
    try:
        publish(tmp, spool.deferred / f"{spool_id}{DEFERRAL_SUFFIX}",
                json.dumps(record, ensure_ascii=False, indent=2).encode(), sync_folder=False)
    except OSError as err:  # the disk may be the very fault: the message stays claimed and is recovered later
        raise SpoolError(f"cannot write the deferral of {spool_id}: {err}") from err
    spool.move(path, spool.deferred / msg_name(spool_id, attempts))
    log.warning("spool %s: deferred (%d) until %s: %s", spool_id, deferrals, next_at.isoformat(timespec="seconds"),
                reason)
    return "deferred"


def release_due(spool: Spool, now: dt.datetime | None = None) -> int:
    """Move every deferred message whose next try has come back to incoming/; returns how many."""
    now = now or _now()
    moved = 0
    for name in sorted(os.listdir(spool.deferred)) if spool.deferred.is_dir() else []:
        parsed = parse_name(name)
        if parsed is None or not name.endswith(MSG_SUFFIX):
            continue
        spool_id, attempts = parsed
        due = _time(spool.record("deferred", spool_id).get("next_attempt_at"))
        if due is not None and due > now:
            continue
        try:
            spool.move(spool.deferred / name, spool.incoming / msg_name(spool_id, attempts))
        except SpoolError as err:
            if not (spool.deferred / name).exists():
                continue  # released by another process meanwhile
            raise err
        moved += 1
    if moved:
        log.info("spool: %d deferred message(s) queued again", moved)
    return moved


def retry_now(spool: Spool, spool_id: str | None = None) -> int:
    """Queue deferred messages (one, or all) again at once, as `postqueue -f` does; returns how many."""
    if spool_id is None:
        return release_due(spool, dt.datetime.max.replace(tzinfo=dt.timezone.utc))
    path, attempts = spool.find(spool.deferred, spool_id)
    spool.move(path, spool.incoming / msg_name(spool_id, attempts))
    return 1


def held_since(spool: Spool, spool_id: str) -> dt.datetime | None:
    """When a deferred message was first deferred (None when it has no record)."""
    return _time(read_record(spool.deferred / f"{spool_id}{DEFERRAL_SUFFIX}").get("first_deferred_at"))


def _time(text: object) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(str(text)) if text else None
    except ValueError:
        return None
