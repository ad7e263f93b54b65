"""Messages held aside with a JSON record of why: quarantine/ (parsed, but not trusted or not allowed: an
untrusted sender, a limit, a rule, a mail loop) until an operator releases or deletes them, and auto/ (the
"thư tự động" list: delivery reports and auto-replies, kept but never given a số đến)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import os

from gateway.core.durable import fsync_path, publish
from gateway.core.errors import NotFound, SpoolError
from gateway.core.values import Envelope
from gateway.spool.files import HELD_QUEUES, MSG_SUFFIX, TMP_SUFFIX, SpoolEntryInfo, encode_header, msg_name, split_file
from gateway.spool.queue import Spool

log = logging.getLogger(__name__)
QUARANTINE = "quarantine"
AUTO = "auto"


def hold(spool: Spool, spool_id: str, reason: str, detail: dict | None = None, queue: str = QUARANTINE) -> None:
    """Move a claimed message into quarantine/ (or auto/) with its reason."""
    if queue not in HELD_QUEUES:
        raise SpoolError(f"{queue!r} is not a queue that holds messages aside")
    path, attempts = spool.find(spool.claimed, spool_id)
    record = {
        "spool_id": spool_id, "reason": reason, "detail": detail or {}, "attempts": attempts,
        "quarantined_at": dt.datetime.now(dt.timezone.utc).isoformat(),
    }
    tmp = spool.tmp_dir / f"{spool_id}.{os.getpid()}.{queue}{TMP_SUFFIX}"
    try:
        publish(tmp, spool.record_path(queue, spool_id),
                json.dumps(record, ensure_ascii=False, indent=2, default=str).encode(), sync_folder=False)
    except OSError as err:
        raise SpoolError(f"cannot write the {queue} reason of {spool_id}: {err}") from err
    spool.move(path, spool.root / queue / f"{spool_id}{MSG_SUFFIX}")
    log.warning("spool %s: %s: %s", spool_id, "quarantined" if queue == QUARANTINE else f"kept in {queue}/",
                reason)


def queue_of(spool: Spool, spool_id: str) -> str:
    """Which of quarantine/ and auto/ holds the message; NotFound when neither does."""
    for queue in HELD_QUEUES:
        try:
            spool.find(spool.root / queue, spool_id)
        except NotFound:
            continue
        return queue
    raise NotFound(f"no spool entry {spool_id} in quarantine or auto")


def record_of(spool: Spool, spool_id: str) -> dict:
    """The reason record of a held message ({} when it has none)."""
    return spool.record(queue_of(spool, spool_id), spool_id)


def show(spool: Spool, spool_id: str) -> tuple[SpoolEntryInfo, Envelope, bytes, dict]:
    """One held message: summary, envelope, raw bytes and its reason record; NotFound elsewhere."""
    queue = queue_of(spool, spool_id)
    path, _ = spool.find(spool.root / queue, spool_id)
    info, envelope, raw = spool.info(queue, spool_id, path, peek=False)
    return info, envelope, raw, record_of(spool, spool_id)


def release(spool: Spool, spool_id: str, released_by: str = "operator") -> None:
    """Send a held message to incoming/ as if it had just arrived, marked so that the trust check and the
    machine-sent checks let it by (the operator decided it is a document)."""
    queue = queue_of(spool, spool_id)
    path, _ = spool.find(spool.root / queue, spool_id)
    try:
        envelope, raw = split_file(path.read_bytes(), path)
    except OSError as err:
        raise SpoolError(f"cannot read {path}: {err}") from err
    envelope = dataclasses.replace(envelope, released_by=released_by or "operator")
    tmp = spool.tmp_dir / f"{spool_id}.{os.getpid()}{TMP_SUFFIX}"
    try:
        publish(tmp, spool.incoming / msg_name(spool_id, 0), encode_header(envelope), raw)
    except OSError as err:
        raise SpoolError(f"cannot release {spool_id} to {spool.incoming}: {err}") from err
    _remove(spool, queue, spool_id)
    log.info("spool %s: released from %s by %s", spool_id, queue, released_by)


def describe(spool: Spool, spool_id: str) -> dict:
    """What an audit record keeps of a held message: envelope, subject, size, the reason and its queue."""
    info, _, _, record = show(spool, spool_id)
    return {
        "spool_id": spool_id, "mail_from": info.mail_from, "rcpt_tos": list(info.rcpt_tos),
        "subject": info.subject, "size": info.size, "reason": record.get("reason", ""),
        "detail": record.get("detail", {}), "queue": info.queue,
    }


def delete(spool: Spool, spool_id: str) -> None:
    """Delete a held message and its reason record."""
    _remove(spool, queue_of(spool, spool_id), spool_id)


def _remove(spool: Spool, queue: str, spool_id: str) -> None:
    folder = spool.root / queue
    for suffix in (MSG_SUFFIX, HELD_QUEUES[queue]):
        try:
            os.unlink(folder / f"{spool_id}{suffix}")
        except FileNotFoundError:
            continue
        except OSError as err:
            raise SpoolError(f"cannot delete {spool_id}{suffix} from {queue}: {err}") from err
    fsync_path(folder)
