"""Decides whether the spool is moving, so that the daemon pings the systemd watchdog only while it is."""

from __future__ import annotations

import logging
from dataclasses import dataclass

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SpoolSnapshot:
    """What the watch looks at: the oldest file waiting in incoming/ (its name changes when it is claimed)."""

    oldest_incoming: str | None


class ProgressWatch:
    """Healthy while incoming/ is empty or its oldest file changed within `stall_timeout` seconds.

    An idle gateway is healthy; one with waiting mail that no worker takes is stalled. A stall_timeout of 0
    turns the check off.
    """

    def __init__(self, stall_timeout: float) -> None:
        self.stall_timeout = stall_timeout
        self._oldest: str | None = None
        self._since = 0.0
        self._stalled = False

    def observe(self, snapshot: SpoolSnapshot, now: float) -> bool:
        """Record a look at the spool at monotonic time `now`; True when work is moving (or there is none)."""
        if snapshot.oldest_incoming != self._oldest:
            self._oldest = snapshot.oldest_incoming
            self._since = now
        healthy = (
            self.stall_timeout <= 0 or self._oldest is None or now - self._since <= self.stall_timeout
        )
        if healthy == self._stalled:  # log only the changes
            self._stalled = not healthy
            if healthy:
                log.warning("spool moves again: watchdog pings resume")
            else:
                log.error("spool stalled: %s waited %.0f s unclaimed; no more watchdog pings", self._oldest,
                          now - self._since)
        return healthy
