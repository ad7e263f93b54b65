"""The spool: durable queue folders (incoming, claimed, bad, quarantine, auto) where every message waits between
intake and register; coordination between processes is by rename only."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from gateway.core.config import Config
from gateway.core.durable import fsync_path, write_new
from gateway.core.errors import NotFound, SpoolError, StorageFull
from gateway.core.values import Envelope, SpooledMessage
from gateway.spool.files import (
    DEFERRAL_SUFFIX,
    HELD_QUEUES,
    LISTABLE_QUEUES,
    MSG_SUFFIX,
    QUEUES,
    REASON_SUFFIX,
    RECORD_SUFFIXES,
    TMP_SUFFIX,
    DirSyncer,
    SpoolEntryInfo,
    claimed_name,
    encode_header,
    msg_name,
    new_spool_id,
    parse_full,
    parse_name,
    pid_alive,
    read_record,
    split_file,
    subject_of,
)

log = logging.getLogger(__name__)

STALE_TMP_SECONDS = 24 * 3600
HEADER_PEEK_BYTES = 64 * 1024
CRASH_REASON = "worker crashed {n} times while processing"
PARALLEL_FSYNCS = 16  # files of one put_many written and fsynced at once


class Spool:
    """A spool root holding tmp/, incoming/, claimed/ and bad/; coordination between processes is by rename only.

    put() is safe from many threads at once; claim_next() is meant for one thread per process (workers are
    processes, each with its own Spool).
    """

    def __init__(self, root: Path, max_attempts: int = 3, min_free_space: int = 0,
                 numbering_hold: float = 3600.0) -> None:
        self.root = Path(root)
        self.max_attempts = max_attempts
        self.min_free_space = min_free_space
        self.numbering_hold = numbering_hold
        self.tmp_dir = self.root / "tmp"
        self.incoming = self.root / "incoming"
        self.claimed = self.root / "claimed"
        self.bad = self.root / "bad"
        self.deferred = self.root / "deferred"
        self.quarantine_dir = self.root / "quarantine"
        self.auto_dir = self.root / "auto"
        self._pending: deque[str] = deque()
        self._incoming_sync = DirSyncer(self.incoming)
        self._storing: set[str] = set()  # spool ids this process has named but not yet written to tmp/
        self._storing_lock = threading.Lock()

    @contextmanager
    def _naming(self, count: int) -> Iterator[list[str]]:
        """Fresh spool ids, known to watermark() from the moment they exist until their files are written."""
        with self._storing_lock:
            ids = [new_spool_id() for _ in range(count)]
            self._storing.update(ids)
        try:
            yield ids
        finally:
            with self._storing_lock:
                self._storing.difference_update(ids)

    @classmethod
    def from_config(cls, config: Config) -> Spool:
        """The spool of a configuration."""
        return cls(config.spool_dir, config.workers.max_attempts, config.paths.min_free_space,
                   config.workers.numbering_hold)

    def __reduce__(self):
        """Pickle as its settings so a Spool can be handed to worker processes."""
        return (type(self), (self.root, self.max_attempts, self.min_free_space, self.numbering_hold))

    def has_room(self) -> bool:
        """Whether the file system keeps more than min_free_space free (intake stops taking mail below it)."""
        if self.min_free_space <= 0:
            return True
        try:
            stats = os.statvfs(self.root)
        except OSError:
            return True  # cannot tell: let the write itself fail if it must
        return stats.f_bavail * stats.f_frsize > self.min_free_space

    def _check_room(self) -> None:
        if not self.has_room():
            raise StorageFull(f"less than {self.min_free_space} bytes free under {self.root}: not taking new mail now")

    def _dir(self, queue: str) -> Path:
        if queue not in QUEUES:
            raise SpoolError(f"unknown spool queue {queue!r}; queues: {', '.join(LISTABLE_QUEUES)}")
        return self.root / queue

    def ensure(self) -> None:
        """Create the spool directories if they are missing."""
        try:
            for path in (self.tmp_dir, *(self.root / q for q in QUEUES)):
                path.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise SpoolError(f"cannot create spool directories under {self.root}: {err}") from err

    # -- intake --------------------------------------------------------------------------------------------

    def put(self, raw: bytes, envelope: Envelope) -> str:
        """Store a message durably in incoming/ and return its spool id (tmp, fsync, rename, fsync dir)."""
        self._check_room()
        with self._naming(1) as (spool_id,):
            tmp = self.tmp_dir / f"{spool_id}.{os.getpid()}{TMP_SUFFIX}"
            try:
                write_new(tmp, encode_header(envelope), raw)
                os.rename(tmp, self.incoming / msg_name(spool_id, 0))
                self._incoming_sync.sync()
            except OSError as err:
                self._discard(tmp)
                raise SpoolError(f"cannot store message in {self.incoming}: {err}") from err
        return spool_id

    def put_many(self, items: list[tuple[bytes, Envelope]]) -> list[str]:
        """Store several messages durably (an IMAP batch) and return their spool ids.

        Each file is written and fsynced in tmp/, then all are renamed into incoming/ and the renames made
        durable by one directory fsync, instead of one per message. On an error nothing is reported stored
        (SpoolError); files already renamed stay, and a second copy of them is a duplicate the register
        records as such.
        """
        self._check_room()
        with self._naming(len(items)) as ids:
            written = [(spool_id, self.tmp_dir / f"{spool_id}.{os.getpid()}{TMP_SUFFIX}") for spool_id in ids]
            try:
                chunks = [(encode_header(envelope), raw) for raw, envelope in items]
                # fsyncs issued together let the filesystem commit its journal once for many of them
                with ThreadPoolExecutor(max_workers=PARALLEL_FSYNCS) as pool:
                    list(pool.map(lambda pair: write_new(pair[0][1], *pair[1]), zip(written, chunks)))
                for spool_id, tmp in written:
                    os.rename(tmp, self.incoming / msg_name(spool_id, 0))
                self._incoming_sync.sync()
            except OSError as err:
                for _, tmp in written:
                    self._discard(tmp)
                raise SpoolError(f"cannot store {len(items)} messages in {self.incoming}: {err}") from err
        return ids

    @staticmethod
    def _discard(path: Path) -> None:
        try:
            os.unlink(path)
        except OSError:
            pass

    # -- workers -------------------------------------------------------------------------------------------

    def claim_next(self) -> SpooledMessage | None:
        """Move the oldest message from incoming/ to claimed/ and return it, or None when incoming/ is empty."""
        for refreshed in (False, True):
            if refreshed or not self._pending:
                self._pending = deque(sorted(self._names(self.incoming)))
            while self._pending:
                claimed = self._try_claim(self._pending.popleft())
                if claimed is not None:
                    return claimed
        return None

    def claim_batch(self, limit: int, workers: int = 1) -> list[SpooledMessage]:
        """Up to ``limit`` of the oldest messages, claimed one by one; fewer (or none) when fewer wait.

        With several ``workers`` a worker takes no more than its share of what waits, so that one worker does
        not sit on a batch of slow scans while another has nothing to do.
        """
        if not self._pending:
            self._pending = deque(sorted(self._names(self.incoming)))
        limit = min(limit, max(1, -(-len(self._pending) // max(1, workers))))
        batch: list[SpooledMessage] = []
        while len(batch) < limit and (claimed := self.claim_next()) is not None:
            batch.append(claimed)
        return batch

    def claim(self, spool_id: str) -> SpooledMessage:
        """Claim one given message from incoming/ (the importer registers what it has just spooled)."""
        path, _ = self.find(self.incoming, spool_id)
        claimed = self._try_claim(path.name)
        if claimed is None:
            raise NotFound(f"spool entry {spool_id} was taken by another process or is unreadable")
        return claimed

    def _names(self, directory: Path) -> list[str]:
        try:
            return os.listdir(directory)
        except FileNotFoundError:
            return []
        except OSError as err:
            raise SpoolError(f"cannot list {directory}: {err}") from err

    def _try_claim(self, name: str) -> SpooledMessage | None:
        parsed = parse_name(name)
        if parsed is None:
            return None
        spool_id, attempts = parsed
        target = self.claimed / claimed_name(spool_id, attempts, os.getpid())
        try:
            os.rename(self.incoming / name, target)
        except FileNotFoundError:
            return None  # another worker got it first
        except OSError as err:
            raise SpoolError(f"cannot claim {name}: {err}") from err
        try:
            envelope, raw = split_file(target.read_bytes(), target)
        except OSError as err:
            raise SpoolError(f"cannot read claimed {target}: {err}") from err
        except SpoolError as err:
            self._to_bad(spool_id, attempts, target, str(err), "")
            return None
        return SpooledMessage(spool_id=spool_id, envelope=envelope, raw=raw, attempts=attempts)

    def finish(self, spool_id: str) -> None:
        """Forget a claimed message once its registration has committed."""
        path, _ = self.find(self.claimed, spool_id)
        try:
            os.unlink(path)
        except OSError as err:
            raise SpoolError(f"cannot remove {path}: {err}") from err
        self.forget_deferral(spool_id)

    def forget_deferral(self, spool_id: str) -> None:
        """Remove the record of earlier deferrals of a message that has now left the spool's queues."""
        try:
            os.unlink(self.deferred / f"{spool_id}{DEFERRAL_SUFFIX}")
        except FileNotFoundError:
            pass
        except OSError as err:
            log.warning("spool %s: cannot remove its deferral record: %s", spool_id, err)

    def fail(self, spool_id: str, reason: str, traceback_text: str, permanent: bool = False) -> str:
        """Count a failed attempt: back to incoming/ for another try, or into bad/ with its reason.

        Returns the queue the message went to ("incoming" or "bad").
        """
        path, attempts = self.find(self.claimed, spool_id)
        attempts += 1
        if permanent or attempts >= self.max_attempts:
            self._to_bad(spool_id, attempts, path, reason, traceback_text)
            return "bad"
        self.move(path, self.incoming / msg_name(spool_id, attempts))
        log.info("spool %s: attempt %d failed (%s), queued again", spool_id, attempts, reason)
        return "incoming"

    def _to_bad(self, spool_id: str, attempts: int, path: Path, reason: str, tb: str) -> None:
        text = (
            f"reason: {reason.splitlines()[0] if reason else '(none)'}\n"
            f"attempts: {attempts}\n"
            f"failed_at: {dt.datetime.now(dt.timezone.utc).isoformat()}\n"
            f"spool_id: {spool_id}\n\n{reason}\n\n{tb}"
        )
        tmp = self.tmp_dir / f"{spool_id}.{os.getpid()}.reason{TMP_SUFFIX}"
        try:
            write_new(tmp, text.encode("utf-8", errors="replace"))
            os.rename(tmp, self.bad / f"{spool_id}{REASON_SUFFIX}")
        except OSError as err:
            self._discard(tmp)
            raise SpoolError(f"cannot write reason for {spool_id} in {self.bad}: {err}") from err
        self.move(path, self.bad / f"{spool_id}{MSG_SUFFIX}")
        self.forget_deferral(spool_id)
        log.warning("spool %s: moved to bad after %d attempt(s): %s", spool_id, attempts, reason)

    def move(self, source: Path, target: Path) -> None:
        try:
            os.rename(source, target)
            fsync_path(target.parent)
        except OSError as err:
            raise SpoolError(f"cannot move {source} to {target}: {err}") from err

    def find(self, directory: Path, spool_id: str) -> tuple[Path, int]:
        """The file of spool_id in a queue directory and its attempt count; NotFound if absent."""
        if not spool_id or "/" in spool_id or spool_id.startswith("."):
            raise NotFound(f"no spool entry {spool_id!r}")
        if directory == self.bad:
            path = self.bad / f"{spool_id}{MSG_SUFFIX}"
            if path.exists():
                return path, self._bad_attempts(spool_id)
            raise NotFound(f"no spool entry {spool_id} in bad")
        if directory.name in HELD_QUEUES and directory.parent == self.root:
            path = directory / f"{spool_id}{MSG_SUFFIX}"
            if path.exists():
                return path, 0
            raise NotFound(f"no spool entry {spool_id} in {directory.name}")
        for name in self._names(directory):
            parsed = parse_name(name)
            if parsed and parsed[0] == spool_id:
                return directory / name, parsed[1]
        raise NotFound(f"no spool entry {spool_id} in {directory.name}")

    def recover(self, owner_pid: int | None = None) -> int:
        """Put files a crashed worker left in claimed/ back in incoming/ (or into bad/); clear stale tmp files.

        Without owner_pid every file whose claiming process is gone is recovered (at start-up, and as a
        periodic sweep: a worker of a killed daemon may outlive it by a moment). With owner_pid only the files
        claimed by that (dead) process are.
        """
        recovered = 0
        for name in sorted(self._names(self.claimed)):
            parsed = parse_full(name)
            if parsed is None or (owner_pid is not None and parsed[2] != owner_pid):
                continue
            if owner_pid is None and parsed[2] is not None and pid_alive(parsed[2]):
                continue
            spool_id, attempts, _ = parsed
            attempts += 1
            path = self.claimed / name
            if attempts >= self.max_attempts:
                self._to_bad(spool_id, attempts, path, CRASH_REASON.format(n=attempts), "")
            else:
                self.move(path, self.incoming / msg_name(spool_id, attempts))
            recovered += 1
        self._clear_stale_tmp()
        if recovered:
            log.warning("spool: recovered %d message(s) left claimed by a crashed worker", recovered)
        return recovered

    def _clear_stale_tmp(self) -> None:
        now = time.time()
        for name in self._names(self.tmp_dir):
            path = self.tmp_dir / name
            parts = name.split(".")
            pid = int(parts[1]) if len(parts) > 2 and parts[1].isdigit() else 0
            try:
                stale = not pid_alive(pid) if pid else True
                stale = stale or now - path.stat().st_mtime > STALE_TMP_SECONDS
                if stale:
                    os.unlink(path)
            except OSError:
                continue

    # -- operators -----------------------------------------------------------------------------------------

    def watermark(self, settled: Iterable[str] = ()) -> str:
        """The receipt key below which every message is settled (registered, a duplicate, quarantined, in bad/).

        It is the smallest spool id still being stored, waiting in incoming/ or being read in claimed/ (but
        ``settled``: the caller's own batch, about to be registered), else a fresh id: spool ids sort by the
        moment the message was stored, so nothing unsettled is older. The fresh id is taken before looking, so
        a message stored meanwhile is newer than it.
        """
        now = new_spool_id()
        done = set(settled)
        with self._storing_lock:
            keys = [now, *self._storing]
        for name in self._names(self.tmp_dir):
            if name.endswith(TMP_SUFFIX):
                keys.append(name.split(".", 1)[0])
        for directory in (self.incoming, self.claimed):
            for name in self._names(directory):
                parsed = parse_name(name)
                if parsed is not None and parsed[0] not in done:
                    keys.append(parsed[0])
        # A deferred message waits for the system, not for itself: it holds the numbers back for a while only.
        held_until = dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=self.numbering_hold)
        for name in self._names(self.deferred):
            parsed = parse_name(name)
            if parsed is None or not name.endswith(MSG_SUFFIX):
                continue
            first = self.record("deferred", parsed[0]).get("first_deferred_at", "")
            try:
                if dt.datetime.fromisoformat(first) >= held_until:
                    keys.append(parsed[0])
            except (TypeError, ValueError):
                keys.append(parsed[0])
        return min(keys)

    def counts(self) -> dict[str, int]:
        """Number of messages in each queue."""
        result = {}
        for queue in LISTABLE_QUEUES:
            names = self._names(self.root / queue)
            if queue == "bad" or queue in HELD_QUEUES:
                result[queue] = sum(1 for n in names if n.endswith(MSG_SUFFIX))
            else:
                result[queue] = sum(1 for n in names if parse_name(n))
        return result

    def oldest_name(self, queue: str = "incoming") -> str | None:
        """The file name of the oldest message in incoming/ or claimed/ (names sort by arrival), or None."""
        names = [n for n in self._names(self._dir(queue)) if parse_name(n)]
        return min(names) if names else None

    def list(self, queue: str) -> list[SpoolEntryInfo]:
        """Every message in a queue, oldest first."""
        directory = self._dir(queue)
        entries = []
        for name in sorted(self._names(directory)):
            spool_id = self._id_in(queue, name)
            if spool_id is None:
                continue
            try:
                entries.append(self.info(queue, spool_id, directory / name, peek=True)[0])
            except (FileNotFoundError, NotFound):
                continue  # moved away while we looked
        return entries

    def _id_in(self, queue: str, name: str) -> str | None:
        if queue == "bad" or queue in HELD_QUEUES:
            if not name.endswith(MSG_SUFFIX) or name.endswith(REASON_SUFFIX):
                return None
            return name[: -len(MSG_SUFFIX)]
        parsed = parse_name(name)
        return parsed[0] if parsed else None

    def info(self, queue: str, spool_id: str, path: Path, peek: bool) -> tuple[SpoolEntryInfo, Envelope, bytes]:
        try:
            size = path.stat().st_size
            with open(path, "rb") as handle:
                data = handle.read(HEADER_PEEK_BYTES) if peek else handle.read()
                if peek and b"\n" not in data:
                    data += handle.read()
        except FileNotFoundError:
            raise
        except OSError as err:
            raise SpoolError(f"cannot read {path}: {err}") from err
        envelope, raw = split_file(data, path)
        header_len = len(data) - len(raw)
        attempts = self._bad_attempts(spool_id) if queue == "bad" else (parse_name(path.name) or ("", 0))[1]
        reason = self._reason_text(spool_id).partition("\n")[0].removeprefix("reason: ") if queue == "bad" else ""
        if queue in RECORD_SUFFIXES:
            reason = str(self.record(queue, spool_id).get("reason", ""))
        info = SpoolEntryInfo(
            spool_id=spool_id,
            queue=queue,
            attempts=attempts,
            size=size - header_len,
            received_at=envelope.received_at,
            mail_from=envelope.mail_from,
            rcpt_tos=envelope.rcpt_tos,
            subject=subject_of(raw),
            reason=reason,
        )
        return info, envelope, raw

    def record_path(self, queue: str, spool_id: str) -> Path:
        """The JSON record of why a message waits in quarantine/, auto/ or deferred/."""
        return self._dir(queue) / f"{spool_id}{RECORD_SUFFIXES[queue]}"

    def record(self, queue: str, spool_id: str) -> dict:
        """The JSON record kept beside a held or deferred message ({} when there is none)."""
        return read_record(self.record_path(queue, spool_id))

    def _reason_text(self, spool_id: str) -> str:
        try:
            return (self.bad / f"{spool_id}{REASON_SUFFIX}").read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""
        except OSError as err:
            raise SpoolError(f"cannot read the reason of {spool_id}: {err}") from err

    def _bad_attempts(self, spool_id: str) -> int:
        for line in self._reason_text(spool_id).splitlines()[:4]:
            if line.startswith("attempts: ") and line[10:].strip().isdigit():
                return int(line[10:].strip())
        return 0

    def show(self, spool_id: str) -> tuple[SpoolEntryInfo, Envelope, bytes, str]:
        """One message wherever it is: its summary, envelope, raw bytes and (bad/, quarantine/) the reason text."""
        for queue in LISTABLE_QUEUES:
            try:
                path, _ = self.find(self.root / queue, spool_id)
                info, envelope, raw = self.info(queue, spool_id, path, peek=False)
            except (NotFound, FileNotFoundError):
                continue
            reason = self._reason_text(spool_id) if queue == "bad" else ""
            if queue in RECORD_SUFFIXES:
                reason = json.dumps(self.record(queue, spool_id), ensure_ascii=False, indent=2)
            return info, envelope, raw, reason
        raise NotFound(f"no spool entry {spool_id}")

    def requeue(self, spool_id: str) -> None:
        """Send a message from bad/ back to incoming/ with a fresh attempt count; its reason is kept as history."""
        path, _ = self.find(self.bad, spool_id)
        reason = self.bad / f"{spool_id}{REASON_SUFFIX}"
        if reason.exists():
            self.move(reason, self._history_name(spool_id))
        self.move(path, self.incoming / msg_name(spool_id, 0))
        log.info("spool %s: requeued from bad", spool_id)

    def _history_name(self, spool_id: str) -> Path:
        n = 1
        while (self.bad / f"{spool_id}.reason.{n}.txt").exists():
            n += 1
        return self.bad / f"{spool_id}.reason.{n}.txt"

    def purge(self, spool_id: str | None = None, queue: str = "bad") -> int:
        """Delete one message (or all) from bad/ with its reason files; returns how many messages went."""
        if queue != "bad":
            raise SpoolError("only the bad queue can be purged")
        if spool_id is not None:
            self.find(self.bad, spool_id)
            ids = [spool_id]
        else:
            ids = sorted({n.split(".", 1)[0] for n in self._names(self.bad)})
        removed = 0
        for one in ids:
            removed += self._purge_one(one)
        return removed

    def _purge_one(self, spool_id: str) -> int:
        removed = 0
        for name in self._names(self.bad):
            if name.split(".", 1)[0] != spool_id:
                continue
            try:
                os.unlink(self.bad / name)
            except FileNotFoundError:
                continue
            except OSError as err:
                raise SpoolError(f"cannot delete {self.bad / name}: {err}") from err
            removed += name == f"{spool_id}{MSG_SUFFIX}"
        return removed
