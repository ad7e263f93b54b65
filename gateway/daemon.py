"""The `gateway serve` process: SMTP and IMAP intake in this process, a pool of worker processes, signals."""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import threading
import time

from gateway.config import Config
from gateway.intake.imap import ImapIntake
from gateway.intake.smtp import SmtpIntake
from gateway.register.service import Register
from gateway.spool import Spool
from gateway.worker import run_worker

log = logging.getLogger(__name__)
RESTART_DELAY = 1.0  # seconds before a crashed worker is replaced, so a crash loop cannot spin
SHUTDOWN_GRACE = 30.0  # seconds workers get to finish the message in hand
ORPHAN_SWEEP_INTERVAL = 10.0  # seconds between looks for claimed files whose process is gone


class Daemon:
    """Owns the listener and the workers; `run()` returns when SIGTERM or SIGINT arrives."""

    def __init__(self, config: Config, workers: int | None = None) -> None:
        self.config = config
        self.worker_count = workers or config.worker_count
        self.spool = Spool(config.spool_dir, config.workers.max_attempts)
        self._context = multiprocessing.get_context("spawn")
        self._stop_workers = self._context.Event()
        self._stopping = threading.Event()
        self._workers: list[multiprocessing.process.BaseProcess] = []

    def prepare(self) -> None:
        """Create the data folders, bring the schema to head and put back files a crash left claimed."""
        self.config.data_dir.mkdir(parents=True, exist_ok=True)
        self.spool.ensure()
        register = Register(self.config)
        try:
            register.upgrade()
        finally:
            register.close()
        recovered = self.spool.recover()
        if recovered:
            log.warning("recovered %d message(s) left claimed by a previous run", recovered)

    def run(self) -> int:
        self.prepare()
        self._install_signals()
        for _ in range(self.worker_count):
            self._workers.append(self._start_worker())
        intake = SmtpIntake(self.config, self.spool)
        intake.start()
        imap = ImapIntake(self.config, self.spool)
        imap.start()
        log.info(
            "gateway ready: SMTP on %s, %d IMAP account(s), %d worker(s), data in %s",
            self.config.smtp.listen, len(self.config.imap.accounts), self.worker_count, self.config.data_dir,
        )
        try:
            last_sweep = time.monotonic()
            while not self._stopping.wait(0.5):
                self._replace_dead_workers()
                if time.monotonic() - last_sweep > ORPHAN_SWEEP_INTERVAL:
                    self.spool.recover()
                    last_sweep = time.monotonic()
        finally:
            log.info("stopping: closing SMTP and IMAP intake, letting workers finish the message in hand")
            intake.stop()
            imap.stop()
            self._stop_all_workers()
        log.info("gateway stopped")
        return 0

    def _install_signals(self) -> None:
        def request_stop(signum, _frame):
            log.info("received %s", signal.Signals(signum).name)
            self._stopping.set()

        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)

    def _start_worker(self) -> multiprocessing.process.BaseProcess:
        process = self._context.Process(
            target=run_worker, args=(self.config, self._stop_workers, os.getpid()), name="worker", daemon=False
        )
        process.start()
        return process

    def _replace_dead_workers(self) -> None:
        for index, process in enumerate(self._workers):
            if process.is_alive():
                continue
            log.error("worker %s exited with code %s; starting another", process.pid, process.exitcode)
            time.sleep(RESTART_DELAY)
            self.spool.recover(owner_pid=process.pid)
            self._workers[index] = self._start_worker()

    def _stop_all_workers(self) -> None:
        self._stop_workers.set()
        deadline = time.monotonic() + SHUTDOWN_GRACE
        for process in self._workers:
            process.join(max(0.1, deadline - time.monotonic()))
        for process in self._workers:
            if process.is_alive():
                log.warning("worker %s did not stop in time; terminating it", process.pid)
                process.kill()
                process.join(5)
