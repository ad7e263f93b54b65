"""The spool's files: their names (which sort by arrival), the envelope line before the raw message, the
reason files beside them, and group commit of a folder's renames."""

from __future__ import annotations

import datetime as dt
import email.parser
import email.policy
import json
import os
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from gateway.core.durable import fsync_path
from gateway.core.errors import SpoolError
from gateway.core.rfc822 import split_head
from gateway.core.values import Envelope

MAGIC = b"GWSPOOL1 "
QUEUES = ("incoming", "claimed", "deferred", "bad", "quarantine", "auto")
LISTABLE_QUEUES = QUEUES
QUARANTINE_SUFFIX = ".quarantine.json"
DEFERRAL_SUFFIX = ".defer.json"
# Queues where a message waits beside a JSON record of why: quarantine/ (held for an operator) and auto/ (the
# "thư tự động" list: delivery reports and auto-replies, kept but never registered).
HELD_QUEUES = {"quarantine": QUARANTINE_SUFFIX, "auto": ".auto.json"}
# Every queue that keeps a JSON record beside its messages; deferred/ records when to try again.
RECORD_SUFFIXES = {**HELD_QUEUES, "deferred": DEFERRAL_SUFFIX}
MSG_SUFFIX = ".msg"
REASON_SUFFIX = ".reason.txt"
TMP_SUFFIX = ".tmp"


@dataclass(frozen=True)
class SpoolEntryInfo:
    """What an operator sees about one spooled message without reading all of it."""

    spool_id: str
    queue: str
    attempts: int
    size: int  # bytes of the raw message
    received_at: dt.datetime | None
    mail_from: str
    rcpt_tos: tuple[str, ...]
    subject: str
    reason: str = ""  # first line of the reason file, for bad/, quarantine/ and auto/


def new_spool_id() -> str:
    """A name that sorts in arrival order: nanoseconds since the epoch plus random hex against collisions."""
    return f"{time.time_ns():020d}-{secrets.token_hex(3)}"


def spool_id_time(spool_id: str) -> dt.datetime | None:
    """When a spool id was made (its first 20 digits are nanoseconds since the epoch), or None if it has none."""
    stamp = spool_id.partition("-")[0]
    if len(stamp) != 20 or not stamp.isdigit():
        return None
    return dt.datetime.fromtimestamp(int(stamp) / 1e9, dt.timezone.utc)


def msg_name(spool_id: str, attempts: int) -> str:
    return f"{spool_id}.{attempts}{MSG_SUFFIX}"


def claimed_name(spool_id: str, attempts: int, pid: int) -> str:
    return f"{spool_id}.{attempts}.{pid}{MSG_SUFFIX}"


def parse_name(name: str) -> tuple[str, int] | None:
    """(spool_id, attempts) from "<id>.<attempts>.msg" (incoming) or "<id>.<attempts>.<pid>.msg" (claimed)."""
    parsed = parse_full(name)
    return (parsed[0], parsed[1]) if parsed else None


def parse_full(name: str) -> tuple[str, int, int | None] | None:
    """(spool_id, attempts, claiming pid or None), or None for a name that is not a spool file."""
    if not name.endswith(MSG_SUFFIX):
        return None
    parts = name[: -len(MSG_SUFFIX)].split(".")
    if len(parts) not in (2, 3) or not parts[0] or not all(p.isdigit() for p in parts[1:]):
        return None
    return parts[0], int(parts[1]), int(parts[2]) if len(parts) == 3 else None


class DirSyncer:
    """Group commit for a directory: one fsync covers every rename that finished before it began.

    Several threads putting at once then share directory fsyncs instead of queueing one each; every caller
    still returns only after an fsync that started after its own rename.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._cv = threading.Condition()
        self._requested = 0
        self._done = 0
        self._running = False

    def sync(self) -> None:
        with self._cv:
            self._requested += 1
            ticket = self._requested
            while self._done < ticket:
                if self._running:
                    self._cv.wait()
                    continue
                self._run_one()

    def _run_one(self) -> None:
        """Called holding the lock; fsyncs without it so that new tickets can queue up meanwhile."""
        self._running = True
        upto = self._requested
        self._cv.release()
        try:
            fsync_path(self.path)
        finally:
            self._cv.acquire()
            self._running = False
            self._cv.notify_all()
        self._done = max(self._done, upto)


def encode_header(envelope: Envelope) -> bytes:
    return MAGIC + envelope.to_json().encode("utf-8") + b"\n"


def split_file(data: bytes, path: Path) -> tuple[Envelope, bytes]:
    """The envelope and the raw message from a spool file's content."""
    if not data.startswith(MAGIC):
        raise SpoolError(f"{path}: not a spool file (no {MAGIC.decode().strip()} line)")
    end = data.find(b"\n")
    try:
        envelope = Envelope.from_json(data[len(MAGIC) : end].decode("utf-8"))
    except (ValueError, TypeError, KeyError) as err:
        raise SpoolError(f"{path}: unreadable envelope: {err}") from err
    return envelope, data[end + 1 :]


def subject_of(raw_head: bytes) -> str:
    """The decoded Subject from the start of a raw message, best effort."""
    head, _ = split_head(raw_head)
    try:
        parsed = email.parser.BytesHeaderParser(policy=email.policy.default).parsebytes(head)
        return str(parsed.get("Subject", "") or "").strip()
    except Exception:  # noqa: BLE001 - a display nicety must never fail a listing
        return ""


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def read_record(path: Path) -> dict:
    """A JSON record kept beside a message (why it is quarantined or deferred); {} when there is none."""
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        return record if isinstance(record, dict) else {}
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as err:
        return {"reason": f"unreadable reason file: {err}"}
