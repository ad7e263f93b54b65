"""The lease that lets exactly one of the hosts sharing a register poll an IMAP account: taken before logging in,
renewed before each fetch, given up on a clean stop; another host takes the account over once it runs out."""

from __future__ import annotations

import datetime as dt
import logging

from gateway.core.errors import LeaseLost
from gateway.register.hosts import Leases

log = logging.getLogger(__name__)


class AccountLease:
    """One account's lease as held by this process (``holder`` is host name and process id)."""

    def __init__(self, leases: Leases, account: str, holder: str, seconds: float) -> None:
        self.leases = leases
        self.name = f"imap:{account}"
        self.holder = holder
        self.seconds = seconds
        self._until: dt.datetime | None = None

    @property
    def renew_every(self) -> float:
        """Seconds between renewals: a third of the lease, so one slow renewal does not lose it."""
        return self.seconds / 3

    def take(self) -> bool:
        """Take (or renew) the lease; False while another host holds it."""
        until = self.leases.acquire(self.name, self.holder, self.seconds)
        if until is None:
            if self._until is not None:
                log.warning("imap lease %s: taken over by another host", self.name)
            self._until = None
            return False
        if self._until is None:
            log.info("imap lease %s: taken by %s", self.name, self.holder)
        self._until = until
        return True

    def keep(self) -> None:
        """Renew before touching the mailbox; LeaseLost when another host has it now (stop fetching at once)."""
        if not self.take():
            raise LeaseLost(f"imap lease {self.name}: held by another host now; this host stops polling it")

    def due(self) -> bool:
        """True when the lease should be renewed (a third of it has passed), so IDLE and waits end in time."""
        if self._until is None:
            return True
        left = (self._until - dt.datetime.now(dt.timezone.utc)).total_seconds()
        return left < self.seconds - self.renew_every

    def release(self) -> None:
        """Give the lease up (a clean stop): another host may take the account at once."""
        if self._until is not None:
            try:
                self.leases.release(self.name, self.holder)
            except Exception as err:  # noqa: BLE001 - the database may be away; the lease then runs out by itself
                log.warning("imap lease %s: could not give it up: %s", self.name, err)
            self._until = None
