"""IMAP intake: one thread per account fetches new mail into the spool, then marks it once it is registered."""

from __future__ import annotations

import datetime as dt
import logging
import random
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import imapclient

from gateway.core.config import Config, ImapAccountConfig
from gateway.core.errors import GatewayError, ImapError, LeaseLost
from gateway.core.values import Envelope
from gateway.intake.imap_lease import AccountLease
from gateway.intake.imap_session import describe, guarded, select, session
from gateway.intake.imap_status import StatusFile
from gateway.register.imap_ledger import FolderKey, Ledger
from gateway.register.service import Register
from gateway.spool import Spool

log = logging.getLogger(__name__)

IDLE_RENEW = 25 * 60.0  # seconds; RFC 2177 servers may drop an IDLE after 30 minutes
TICK = 1.0  # seconds per idle_check / wait, so stopping and registered messages are noticed quickly
FETCH_BATCH = 100  # messages per FETCH BODY.PEEK[]
FETCH_BATCH_BYTES = 16 * 1024 * 1024  # and at most this many bytes of them
SEEN = b"\\Seen"
PUT_THREADS = 1  # one batch is written (one flush) while the next is fetched


@dataclass
class Backoff:
    """Exponential delays with jitter: short for transient faults, long for lasting ones (login, TLS, folder)."""

    first: float = 1.0
    first_lasting: float = 30.0
    ceiling: float = 900.0
    failures: int = 0

    def next(self, lasting: bool) -> float:
        base = self.first_lasting if lasting else self.first
        delay = min(self.ceiling, base * 2 ** min(self.failures, 16))
        self.failures += 1
        return delay * random.uniform(0.8, 1.2)

    def reset(self) -> None:
        self.failures = 0


class AccountPoller:
    """Fetches one account's folders into the spool and runs its after-action on what has been registered."""

    def __init__(self, account: ImapAccountConfig, spool: Spool, ledger: Ledger, status: StatusFile,
                 backoff: Backoff | None = None, lease: AccountLease | None = None) -> None:
        self.account = account
        self.lease = lease  # with several hosts on one register: poll only while holding the account's lease
        self.spool = spool
        self.ledger = ledger
        self.status = status
        self.backoff = backoff or Backoff()
        self.fetch_commands = 0  # FETCH BODY.PEEK[] commands sent, for tests and benchmarks
        self._highest: dict[FolderKey, int] = {}
        self._waiting: set[FolderKey] = set()  # epochs with spooled rows whose after-action is not done
        self._puts = ThreadPoolExecutor(max_workers=PUT_THREADS, thread_name_prefix=f"imap-{account.name}-put")

    def close(self) -> None:
        self._puts.shutdown()

    # -- the loop ----------------------------------------------------------------------------------------

    def run(self, stop: threading.Event) -> None:
        """Connect, sync, wait (IDLE or polling), again, until ``stop`` is set; reconnect with backoff on errors."""
        try:
            self._run(stop)
        finally:
            if self.lease is not None:
                self.lease.release()

    def _run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                if self.lease is not None and not self.lease.take():
                    stop.wait(min(self.lease.renew_every, TICK * 5))  # another host polls it; look again soon
                    continue
                with session(self.account) as client:
                    log.info("imap %s: logged in", describe(self.account))
                    self._serve(client, stop)
            except LeaseLost as err:
                log.warning("%s", err)
            except GatewayError as err:
                lasting = isinstance(err, ImapError) and err.lasting
                delay = self.backoff.next(lasting)
                log.error("%s; retrying in %.0f s", err, delay)
                self.status.error(str(err))
                stop.wait(delay)
            except Exception as err:  # noqa: BLE001 - a bug must not end the account's thread for good
                delay = self.backoff.next(True)
                log.exception("imap %s: unexpected error; retrying in %.0f s", self.account.name, delay)
                self.status.error(f"unexpected error: {err!r}")
                stop.wait(delay)

    def _serve(self, client: imapclient.IMAPClient, stop: threading.Event) -> None:
        full = True
        idle = self.account.idle and client.has_capability("IDLE")
        while not stop.is_set():
            self._keep_lease()
            fetched = self.sync(client, full=full)
            full = False
            self.backoff.reset()
            self.status.success(fetched)
            if idle:
                self._idle(client, stop)
            else:
                self._wait(stop, self.account.poll_interval)

    def sync(self, client: imapclient.IMAPClient, full: bool = False) -> int:
        """One pass over every folder (the first last-selected stays selected); returns messages spooled."""
        fetched = 0
        for folder in (*self.account.folders[1:], self.account.folders[0]):
            key = self._select(client, folder)
            fetched += self._fetch_new(client, key, full)
            self.do_after_actions(client, key)
        return fetched

    def _select(self, client: imapclient.IMAPClient, folder: str) -> FolderKey:
        uidvalidity, _ = select(client, self.account, folder)
        key = FolderKey(self.account.name, folder, uidvalidity)
        if key not in self._highest:
            self._highest[key] = self.ledger.highest_uid(key)
            old = [] if self._highest[key] else self.ledger.other_epochs(self.account.name, folder, uidvalidity)
            if old:  # first sight of this epoch, after others: warned once, not at every restart
                log.warning("imap %s: folder %r has a new UIDVALIDITY %d (was %s); fetching it again, the "
                            "register will record messages it already holds as duplicates",
                            self.account.name, folder, uidvalidity, ", ".join(map(str, sorted(old))))
        return key

    # -- fetching ----------------------------------------------------------------------------------------

    def _fetch_new(self, client: imapclient.IMAPClient, key: FolderKey, full: bool) -> int:
        with guarded(self.account, f"searching {key.folder!r}"):
            found = client.search("ALL") if full else client.search(["UID", f"{self._highest[key] + 1}:*"])
        candidates = [uid for uid in found if full or uid > self._highest[key]]
        new = sorted(set(candidates) - self.ledger.known_uids(key, candidates))
        fetched = 0
        writing: Future[list[tuple[int, str]]] | None = None
        try:
            # One batch is written to the spool while the next one comes over the network.
            for batch in self._batches(client, key, new):
                self._keep_lease()
                arrived = self._fetch_batch(client, key, batch)
                fetched += self._settle(key, writing)
                writing = self._puts.submit(self._put_batch, key, arrived)
        finally:
            fetched += self._settle(key, writing)
        if new:
            self._waiting.add(key)
        return fetched

    def _batches(self, client: imapclient.IMAPClient, key: FolderKey, uids: list[int]) -> list[list[int]]:
        """UIDs grouped so that one FETCH brings at most FETCH_BATCH messages and about FETCH_BATCH_BYTES."""
        if not uids:
            return []
        with guarded(self.account, f"reading sizes in {key.folder!r}"):
            sizes = client.fetch(uids, ["RFC822.SIZE"])
        batches: list[list[int]] = [[]]
        total = 0
        for uid in uids:
            size = int(sizes.get(uid, {}).get(b"RFC822.SIZE", 0))
            if batches[-1] and (len(batches[-1]) >= FETCH_BATCH or total + size > FETCH_BATCH_BYTES):
                batches.append([])
                total = 0
            batches[-1].append(uid)
            total += size
        return batches

    def _fetch_batch(self, client: imapclient.IMAPClient, key: FolderKey, uids: list[int]) -> list[tuple[int, bytes]]:
        """(uid, raw) of the batch, in UID order; messages expunged meanwhile by someone else are left out."""
        with guarded(self.account, f"fetching from {key.folder!r}"):
            data = client.fetch(uids, ["BODY.PEEK[]"])
        self.fetch_commands += 1
        return [(uid, data[uid][b"BODY[]"]) for uid in uids if b"BODY[]" in data.get(uid, {})]

    def _settle(self, key: FolderKey, writing: Future[list[tuple[int, str]]] | None) -> int:
        """Wait for a batch's spool write, then record it in the ledger (spool first, ledger second: a crash in
        between means a re-fetch that the register deduplicates). Raises the write's error."""
        if writing is None:
            return 0
        spooled = writing.result()
        self.ledger.record_spooled(key, spooled)
        if spooled:
            self._highest[key] = max(self._highest[key], max(uid for uid, _ in spooled))
        return len(spooled)

    def _put_batch(self, key: FolderKey, arrived: list[tuple[int, bytes]]) -> list[tuple[int, str]]:
        """Write a fetched batch to the spool with one flush for all of it; (uid, spool id) pairs."""
        spool_ids = self.spool.put_many([(raw, self._envelope(key, uid)) for uid, raw in arrived])
        for (uid, raw), spool_id in zip(arrived, spool_ids):
            log.info("spool %s: fetched imap %s/%s uid %d (%d bytes)", spool_id, key.account, key.folder, uid,
                     len(raw))
        return list(zip((uid for uid, _ in arrived), spool_ids))

    def _envelope(self, key: FolderKey, uid: int) -> Envelope:
        return Envelope(
            source="imap",
            received_at=dt.datetime.now(dt.timezone.utc),
            rcpt_tos=(self.account.username,),
            peer=f"{self.account.host}:{self.account.effective_port}",
            source_ref=f"{key.account}/{key.folder}/{key.uidvalidity}/{uid}",
        )

    # -- after-actions -----------------------------------------------------------------------------------

    def do_after_actions(self, client: imapclient.IMAPClient, key: FolderKey) -> int:
        """Run the after-action on every message of this folder epoch that a worker has registered."""
        done = 0
        while True:
            ready = self.ledger.registered(key)
            if not ready:
                break
            uids = [item.uid for item in ready]
            self._act(client, key, uids)
            self.ledger.mark_done(key, uids)
            for item in ready:
                log.info("spool %s: %s done on imap %s/%s uid %d",
                         item.spool_id, self.account.after_action, key.account, key.folder, item.uid)
            done += len(uids)
        if not self.ledger.counts_spooled(key):
            self._waiting.discard(key)
        else:
            self._waiting.add(key)
        return done

    def _act(self, client: imapclient.IMAPClient, key: FolderKey, uids: list[int]) -> None:
        kind, _, arg = self.account.after_action.partition(":")
        with guarded(self.account, f"{self.account.after_action} in {key.folder!r}"):
            if kind == "seen":
                client.add_flags(uids, [SEEN], silent=True)
            elif kind == "keyword":
                client.add_flags(uids, [arg.encode("ascii")], silent=True)
            elif kind == "move":
                self._move(client, uids, arg)
            else:
                client.delete_messages(uids, silent=True)
                self._expunge(client, uids)

    def _move(self, client: imapclient.IMAPClient, uids: list[int], target: str) -> None:
        if client.has_capability("MOVE"):
            client.move(uids, target)
            return
        client.copy(uids, target)
        client.delete_messages(uids, silent=True)
        self._expunge(client, uids)

    @staticmethod
    def _expunge(client: imapclient.IMAPClient, uids: list[int]) -> None:
        if client.has_capability("UIDPLUS"):
            client.uid_expunge(uids)
        else:
            client.expunge()

    # -- waiting -----------------------------------------------------------------------------------------

    def _idle(self, client: imapclient.IMAPClient, stop: threading.Event) -> None:
        """IDLE on the first folder until new mail, a registered message to act on, the renew time, or stop."""
        limit = IDLE_RENEW if len(self.account.folders) == 1 else min(IDLE_RENEW, self.account.poll_interval)
        started = time.monotonic()
        with guarded(self.account, "IDLE"):
            client.idle()
            try:
                while not stop.is_set() and time.monotonic() - started < limit:
                    responses = client.idle_check(timeout=TICK)
                    if any(_says(r, b"BYE") for r in responses):
                        raise ImapError(f"imap {describe(self.account)}: server closed the connection (BYE)")
                    if any(_says(r, b"EXISTS") for r in responses) or self._registered_waiting() \
                            or self._lease_due():
                        break
            finally:
                client.idle_done()

    def _wait(self, stop: threading.Event, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not stop.wait(min(TICK, max(0.0, deadline - time.monotonic()))):
            if time.monotonic() >= deadline or self._registered_waiting() or self._lease_due():
                return

    def _keep_lease(self) -> None:
        """Renew the account's lease before touching the mailbox; LeaseLost when another host has it."""
        if self.lease is not None:
            self.lease.keep()

    def _lease_due(self) -> bool:
        return self.lease is not None and self.lease.due()

    def _registered_waiting(self) -> bool:
        return any(self.ledger.registered(key, limit=1) for key in self._waiting)


def _says(response: tuple, word: bytes) -> bool:
    return any(isinstance(part, bytes) and part.upper() == word for part in response[:2])


class ImapIntake:
    """The daemon's IMAP side: one thread per configured account, each with its own register connection."""

    def __init__(self, config: Config, spool: Spool) -> None:
        self.config = config
        self.spool = spool
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        for account in self.config.imap.accounts:
            thread = threading.Thread(target=self._run_account, args=(account,), name=f"imap-{account.name}",
                                      daemon=True)
            thread.start()
            self._threads.append(thread)

    def _run_account(self, account: ImapAccountConfig) -> None:
        register = Register(self.config)
        try:
            status = StatusFile(self.config.data_dir / "imap", account.name)
            lease = AccountLease(register.leases, account.name, self.config.host_name, self.config.host.imap_lease)
            poller = AccountPoller(account, self.spool, register.imap_ledger, status, lease=lease)
            try:
                poller.run(self._stop)
            finally:
                poller.close()
        finally:
            register.close()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.1, deadline - time.monotonic()))
            if thread.is_alive():
                log.warning("IMAP thread %s did not stop in time", thread.name)
