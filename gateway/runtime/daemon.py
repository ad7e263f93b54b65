"""The `gateway serve` process: SMTP and IMAP intake in this process, a pool of worker processes, signals."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import multiprocessing
import os
import signal
import threading
import time
import zoneinfo
from collections.abc import Sequence
from typing import Protocol

from gateway import __version__
from gateway.core.config import Config, load_config
from gateway.core.errors import GatewayError
from gateway.core.logs import setup_logging
from gateway.intake.imap import ImapIntake
from gateway.intake.smtp import SmtpIntake
from gateway.ops import followup
from gateway.outbox.sender import OutboxSender
from gateway.register.service import Register
from gateway.routing.router import Router, open_router
from gateway.routing.workdays import load_calendar
from gateway.runtime.health_http import HealthServer
from gateway.runtime.notify import Notifier, watchdog_interval
from gateway.runtime.progress import ProgressWatch, SpoolSnapshot
from gateway.runtime.worker import run_worker
from gateway.spool import Spool, deferral

log = logging.getLogger(__name__)
RESTART_DELAY = 1.0  # seconds before a crashed worker is replaced, so a crash loop cannot spin
ORPHAN_SWEEP_INTERVAL = 10.0  # seconds between looks for claimed files whose process is gone
PID_FILE = "gateway.pid"  # in the data folder; `gateway rules reload` signals the process named there
STATUS_INTERVAL = 5.0  # seconds between STATUS= lines to systemd
LOOP_INTERVAL = 0.5  # seconds between turns of the main loop
FOLLOWUP_INTERVAL = 30.0  # seconds between looks at whether the daily follow-up is due
NUMBERING_INTERVAL = 1.0  # seconds between passes that number documents waiting for their số đến


class Service(Protocol):
    """A part of the daemon process that runs in its own thread between start() and stop()."""

    def start(self) -> None: ...

    def stop(self) -> None: ...


class Daemon:
    """Owns the listener and the workers; `run()` returns when SIGTERM or SIGINT arrives."""

    def __init__(self, config: Config, workers: int | None = None, notifier: Notifier | None = None,
                 services: Sequence[Service] = ()) -> None:
        self.config = config
        self.services = tuple(services)  # more threads of this process (the web UI), started after the intake
        self.worker_count = workers or config.worker_count
        self.spool = Spool.from_config(config)
        self.notifier = notifier if notifier is not None else Notifier.from_environ()
        self._context = multiprocessing.get_context("spawn")
        # A flag without a lock: a multiprocessing Event's set() waits for every waiter to wake, and hangs
        # forever on a worker that was killed while waiting.
        self._stop_workers = self._context.RawValue("b", 0)
        self._stopping = threading.Event()
        self._reload = threading.Event()
        self._workers: list[multiprocessing.process.BaseProcess] = []
        self._rules_generation = self._context.RawValue("i", 0)  # written by this process only; no lock to strand
        self.router: Router | None = None
        self._followed_up: dt.date | None = None  # the day whose follow-up this process has queued
        self._register: Register | None = None  # for the departments table on reload, opened at the first reload
        self._started_at = dt.datetime.now(dt.timezone.utc)

    def prepare(self) -> None:
        """Create the data folders, bring the schema to head (proving the database answers), recover the spool."""
        self.config.data_dir.mkdir(parents=True, exist_ok=True)
        self.spool.ensure()
        register = Register(self.config)
        try:
            register.upgrade()
            register.check()
            self.router = open_router(self.config, register)
            if self.router is not None:
                self.router.publish()
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
        imap = ImapIntake(self.config, self.spool)
        health = HealthServer(self.config, self.spool) if self.config.metrics.listen else None
        sender = OutboxSender(self.config) if self.config.outbox.relay_host else None
        pid_file = self.config.data_dir / PID_FILE
        pid_file.write_text(f"{os.getpid()}\n", encoding="ascii")
        try:
            if sender is not None:
                sender.start()
            intake.start()
            imap.start()
            if health is not None:
                health.start()
            for service in self.services:
                service.start()
            log.info(
                "gateway ready: SMTP on %s, %d IMAP account(s), %d worker(s), data in %s",
                self.config.smtp.listen, len(self.config.imap.accounts), self.worker_count, self.config.data_dir,
            )
            self.notifier.ready(self._status())
            self._loop()
        finally:
            log.info("stopping: closing SMTP and IMAP intake, letting workers finish the message in hand")
            self.notifier.stopping("draining: intake closed, workers finishing the messages in hand")
            drain_until = time.monotonic() + self.config.workers.drain_timeout
            intake.stop(drain_timeout=self.config.workers.drain_timeout)  # transactions in DATA finish first
            imap.stop()
            if health is not None:
                health.stop()
            for service in self.services:
                service.stop()
            self._stop_all_workers(drain_until)
            self._number_waiting()  # what the drained workers registered last, as far as order allows
            self._leave()
            if sender is not None:
                sender.stop()
            pid_file.unlink(missing_ok=True)
            if self._register is not None:
                self._register.close()
            self.notifier.close()
        log.info("gateway stopped")
        return 0

    def _loop(self) -> None:
        """Replace dead workers, sweep orphans, reload on SIGHUP, report status and ping the watchdog."""
        ping_every = watchdog_interval()
        watch = ProgressWatch(self.config.workers.stall_timeout)
        last_sweep = last_status = last_ping = last_numbering = last_followup = time.monotonic()
        last_heartbeat = -float("inf")
        while not self._stopping.wait(LOOP_INTERVAL):
            self._replace_dead_workers()
            now = time.monotonic()
            self._release_deferred()
            if self.config.followup.send and now - last_followup >= FOLLOWUP_INTERVAL:
                self._follow_up()
                last_followup = now
            if now - last_heartbeat >= self.config.host.heartbeat_interval:
                self._heartbeat()
                last_heartbeat = now
            if now - last_numbering >= NUMBERING_INTERVAL:
                self._number_waiting()
                last_numbering = now
            if now - last_sweep > ORPHAN_SWEEP_INTERVAL:
                self.spool.recover()
                last_sweep = now
            if self._reload.is_set():
                self._reload.clear()
                self.reload()
            status_due = now - last_status >= STATUS_INTERVAL
            ping_due = ping_every is not None and now - last_ping >= ping_every
            if not (status_due or ping_due):
                continue
            # Listing incoming/ only when a status line or a ping is due: a backlog can hold many files.
            healthy = watch.observe(SpoolSnapshot(self.spool.oldest_name("incoming")), now)
            if status_due:
                self.notifier.status(self._status())
                last_status = now
            if ping_due and healthy:
                self.notifier.watchdog()
                last_ping = now

    def _release_deferred(self) -> None:
        """Deferred messages whose next try has come go back to incoming/ for the workers."""
        try:
            deferral.release_due(self.spool)
        except Exception as err:  # noqa: BLE001 - the spool may be the fault (disk full); tried again next turn
            log.warning("releasing deferred messages failed: %s: %s", type(err).__name__, err)

    def _follow_up(self) -> None:
        """Once a day, at followup.at local time or later, queue the daily follow-up (at most once per day)."""
        zone = zoneinfo.ZoneInfo(self.config.register.timezone)
        local = dt.datetime.now(zone)
        hour, minute = (int(x) for x in self.config.followup.at.split(":"))
        if local.time() < dt.time(hour, minute) or self._followed_up == local.date():
            return
        try:
            if self._register is None:
                self._register = Register(self.config)
            calendar = self.router.calendar if self.router is not None else load_calendar(
                self.config.routing.calendar_file)
            followup.send_daily(self._register, self.config, calendar, local.date())
            self._followed_up = local.date()
        except Exception as err:  # noqa: BLE001 - a database outage must not stop the daemon; tried again later
            log.warning("the daily follow-up failed: %s: %s; trying again shortly", type(err).__name__, err)

    def _heartbeat(self) -> None:
        """Tell the register this host is alive, with its version and rules version (`gateway status` lists it)."""
        try:
            if self._register is None:
                self._register = Register(self.config)
            rules = self.router.ruleset.version if self.router is not None else ""
            self._register.hosts.heartbeat(self.config.host_name, __version__, rules, self._started_at,
                                           self.spool.watermark())
        except Exception as err:  # noqa: BLE001 - a database outage must not stop the daemon; tried again later
            log.warning("heartbeat failed: %s: %s", type(err).__name__, err)

    def _number_waiting(self) -> None:
        """Number the documents nothing unsettled was received before: after a slow message settles without a
        registration of its own (quarantine, bad/), no worker may come along to do it."""
        try:
            if self._register is None:
                self._register = Register(self.config)
            watermark = self.spool.watermark()
            self._register.publish_watermark(watermark)  # the other hosts number up to it (a shared register)
            self._register.number_waiting(watermark)
        except Exception as err:  # noqa: BLE001 - a database outage must not stop the daemon; tried again soon
            log.warning("numbering waiting documents failed: %s: %s", type(err).__name__, err)

    def _leave(self) -> None:
        """A clean stop with an empty spool holds the other hosts' numbering back no longer. With mail left in
        it, the last watermark stays: a quick restart keeps the order; a long absence ends at host.numbering_wait."""
        counts = self.spool.counts()
        if counts["incoming"] or counts["claimed"] or counts["deferred"] or self._register is None:
            return
        try:
            self._register.publish_watermark(None)
        except Exception as err:  # noqa: BLE001 - the database may be gone; the watermark then runs out by itself
            log.warning("withdrawing this host's watermark failed: %s: %s", type(err).__name__, err)

    def _status(self) -> str:
        counts = self.spool.counts()
        return (f"{self.worker_count} worker(s); queue: incoming {counts['incoming']}, "
                f"claimed {counts['claimed']}, deferred {counts['deferred']}, bad {counts['bad']}")

    def reload(self) -> None:
        """SIGHUP: re-read the config file (logging.level) and the routing rules; broken rules keep the old ones."""
        self.notifier.reloading()
        self._reload_rules()
        try:
            if self.config.source.startswith("("):
                log.info("reload: no config file to re-read (%s)", self.config.source)
            else:
                fresh = load_config(self.config.source)
                setup_logging(fresh.logging.level)
                self.config = dataclasses.replace(self.config, logging=fresh.logging)
                log.info("reload: %s re-read; logging.level is %s (workers take it when next started); other "
                         "changes need a restart",
                         fresh.source, fresh.logging.level)
        except GatewayError as err:
            log.error("reload failed, keeping the running configuration: %s", err)
        self.notifier.ready(self._status())

    def _reload_rules(self) -> None:
        """Load the rule files; only when they are sound, update the departments and tell the workers."""
        if self.router is None:
            return
        if not self.router.reload():
            return  # the router logged every problem; workers keep the rules they have
        try:
            if self._register is None:
                self._register = Register(self.config)
            self.router.sync_departments(self._register)
            self.router.publish()
        except (GatewayError, OSError) as err:
            log.error("reload: cannot update the departments or publish the rules to the workers, which keep "
                      "theirs: %s", err)
            return
        self._rules_generation.value += 1
        log.info("reload: routing rules %s in use (%d rules, %d departments)", self.router.ruleset.version,
                 len(self.router.ruleset.rules), len(self.router.ruleset.departments))

    def _install_signals(self) -> None:
        def request_stop(signum, _frame):
            log.info("received %s", signal.Signals(signum).name)
            self._stopping.set()

        def request_reload(_signum, _frame):
            self._reload.set()

        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)
        signal.signal(signal.SIGHUP, request_reload)

    def _start_worker(self) -> multiprocessing.process.BaseProcess:
        process = self._context.Process(
            target=run_worker, args=(self.config, self._stop_workers, os.getpid(), self._rules_generation),
            name="worker", daemon=False
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

    def _stop_all_workers(self, deadline: float) -> None:
        """Drain: workers finish their batch by ``deadline`` (workers.drain_timeout after the stop began, the SMTP
        drain included); unfinished files stay in the spool."""
        self._stop_workers.value = 1
        for process in self._workers:
            process.join(max(0.1, deadline - time.monotonic()))
        for process in self._workers:
            if process.is_alive():
                log.warning("worker %s did not finish within %.0f s; killing it (its messages stay in the spool "
                            "and are taken up at the next start)", process.pid, self.config.workers.drain_timeout)
                process.kill()
                process.join(5)
        left = self.spool.counts()
        log.info("drained: %d message(s) wait in incoming/, %d in claimed/ for the next start",
                 left["incoming"], left["claimed"])
