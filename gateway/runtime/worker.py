"""A worker process: claims spooled messages one at a time and registers them until told to stop."""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import threading
import time
from typing import Any

from gateway.core.config import Config
from gateway.core.errors import TemporaryError
from gateway.core.logs import setup_logging
from gateway.register.service import Register
from gateway.routing.router import Router
from gateway.runtime.ocr_backfill import run_chunk
from gateway.runtime.pipeline import process_batch
from gateway.spool import Spool

log = logging.getLogger(__name__)
PR_SET_PDEATHSIG = 1
OCR_LOOK_INTERVAL = 1.0  # seconds between looks for background OCR work while the spool is empty


def _die_with_parent() -> None:
    """Ask Linux to kill this worker if the daemon dies, as systemd would kill the whole unit."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: the parent-pid check in the loop covers it
        pass


def _ocr_one(register: Register, config: Config) -> bool:
    try:
        return run_chunk(register, config)
    except Exception as err:  # noqa: BLE001 - background OCR must never stop the worker taking mail
        log.warning("background OCR failed: %s: %s", type(err).__name__, err)
        return False


def _open_register(config: Config, stopped, terminated: threading.Event) -> Register | None:
    """The register, waiting (with back-off) while its database does not answer; None when told to stop first."""
    delay = 1.0
    while not stopped():
        try:
            return Register.open(config)
        except TemporaryError as err:
            log.warning("worker %d: the register does not answer (%s); trying again in %.0f s", os.getpid(), err,
                        delay)
            terminated.wait(delay)
            delay = min(delay * 2, 10.0)
    return None


def number_waiting(register: Register, spool: Spool) -> None:
    """Give their số đến to documents nothing unsettled was received before (never fails the caller)."""
    try:
        register.number_waiting(spool.watermark())
    except Exception as err:  # noqa: BLE001 - the daemon's pass tries again within a second
        log.warning("numbering waiting documents failed: %s: %s", type(err).__name__, err)


def run_worker(config: Config, stop: Any, parent_pid: int, rules_generation=None) -> None:
    """Process the spool until the shared `stop` flag (a lock-free multiprocessing RawValue) is non-zero, the
    worker gets SIGTERM, or the parent process is gone.

    ``rules_generation`` is a shared counter the daemon raises when it has accepted new rule files; the
    worker then reloads its rules before its next batch.
    """
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the daemon decides when workers stop
    # The SIGTERM handler sets a thread-local flag, never a shared multiprocessing object: setting one
    # from a handler while this thread waits on it deadlocks.
    terminated = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: terminated.set())
    signal.signal(signal.SIGHUP, signal.SIG_IGN)  # reloading is the daemon's business
    setup_logging(config.logging.level)
    spool = Spool.from_config(config)
    register = _open_register(config, lambda: stop.value or terminated.is_set() or os.getppid() != parent_pid,
                              terminated)
    if register is None:
        return
    router = Router.from_snapshot(config)
    seen = rules_generation.value if rules_generation is not None else 0
    log.info("worker %d ready%s", os.getpid(), f" with rules {router.ruleset.version}" if router else "")
    next_ocr_look = 0.0
    try:
        while not stop.value and not terminated.is_set() and os.getppid() == parent_pid:
            if router is not None and rules_generation is not None and rules_generation.value != seen:
                seen = rules_generation.value
                router.reload()
            batch = spool.claim_batch(config.workers.batch_size, config.worker_count)
            if not batch:
                # Idle: read a few of the scanned pages registration did not wait for, then look at the spool
                # again, so new mail waits at most one chunk. When there was no OCR work, look for it again
                # only after OCR_LOOK_INTERVAL, not at every spool poll.
                if time.monotonic() >= next_ocr_look:
                    if _ocr_one(register, config):
                        continue
                    next_ocr_look = time.monotonic() + OCR_LOOK_INTERVAL
                terminated.wait(config.workers.poll_interval)
                continue
            process_batch(batch, spool, register, config, router)
            # Now that this batch has settled, documents received after it that wait for their số đến (another
            # worker registered them first, or this batch went to quarantine or bad/) may take theirs.
            number_waiting(register, spool)
    finally:
        register.close()
        log.info("worker %d stopped", os.getpid())
