"""Quarantine: messages parsed but held back (untrusted sender, a limit, a rule) until an operator releases or
deletes them; each waits in quarantine/ beside a JSON record of why."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import os

from gateway.core.durable import fsync_path, publish
from gateway.core.errors import SpoolError
from gateway.core.values import Envelope
from gateway.spool.files import (
    MSG_SUFFIX,
    QUARANTINE_SUFFIX,
    TMP_SUFFIX,
    SpoolEntryInfo,
    encode_header,
    msg_name,
    read_record,
    split_file,
)
from gateway.spool.queue import Spool

log = logging.getLogger(__name__)


def hold(spool: Spool, spool_id: str, reason: str, detail: dict | None = None) -> None:
    """Move a claimed message into quarantine/ with its reason: parsed, but not trusted or not allowed."""
    path, attempts = spool.find(spool.claimed, spool_id)
    record = {
        "spool_id": spool_id, "reason": reason, "detail": detail or {}, "attempts": attempts,
        "quarantined_at": dt.datetime.now(dt.timezone.utc).isoformat(),
    }
    tmp = spool.tmp_dir / f"{spool_id}.{os.getpid()}.quarantine{TMP_SUFFIX}"
    try:
        publish(tmp, spool.quarantine_dir / f"{spool_id}{QUARANTINE_SUFFIX}",
                json.dumps(record, ensure_ascii=False, indent=2, default=str).encode(), sync_folder=False)
    except OSError as err:
        raise SpoolError(f"cannot write the quarantine reason of {spool_id}: {err}") from err
    spool.move(path, spool.quarantine_dir / f"{spool_id}{MSG_SUFFIX}")
    log.warning("spool %s: quarantined: %s", spool_id, reason)


def record_of(spool: Spool, spool_id: str) -> dict:
    """The reason record of a quarantined message ({} when it has none)."""
    return read_record(spool.quarantine_dir / f"{spool_id}{QUARANTINE_SUFFIX}")


def show(spool: Spool, spool_id: str) -> tuple[SpoolEntryInfo, Envelope, bytes, dict]:
    """One quarantined message: summary, envelope, raw bytes and its reason record; NotFound elsewhere."""
    path, _ = spool.find(spool.quarantine_dir, spool_id)
    info, envelope, raw = spool.info("quarantine", spool_id, path, peek=False)
    return info, envelope, raw, record_of(spool, spool_id)


def release(spool: Spool, spool_id: str, released_by: str = "operator") -> None:
    """Send a quarantined message to incoming/ as if it had just arrived, marked so the trust check lets it by."""
    path, _ = spool.find(spool.quarantine_dir, spool_id)
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
    _remove(spool, spool_id)
    log.info("spool %s: released from quarantine by %s", spool_id, released_by)


def describe(spool: Spool, spool_id: str) -> dict:
    """What an audit record keeps of a quarantined message: envelope, subject, size and the reason."""
    info, _, _, record = show(spool, spool_id)
    return {
        "spool_id": spool_id, "mail_from": info.mail_from, "rcpt_tos": list(info.rcpt_tos),
        "subject": info.subject, "size": info.size, "reason": record.get("reason", ""),
        "detail": record.get("detail", {}),
    }


def delete(spool: Spool, spool_id: str) -> None:
    """Delete a quarantined message and its reason record."""
    spool.find(spool.quarantine_dir, spool_id)
    _remove(spool, spool_id)


def _remove(spool: Spool, spool_id: str) -> None:
    for suffix in (MSG_SUFFIX, QUARANTINE_SUFFIX):
        try:
            os.unlink(spool.quarantine_dir / f"{spool_id}{suffix}")
        except FileNotFoundError:
            continue
        except OSError as err:
            raise SpoolError(f"cannot delete {spool_id}{suffix} from quarantine: {err}") from err
    fsync_path(spool.quarantine_dir)
