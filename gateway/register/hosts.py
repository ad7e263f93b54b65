"""The hosts sharing one register: each one's heartbeat (what it runs, when it last said so), and leases on work
only one host may do at a time (polling an IMAP account), taken over by another host once they run out."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa

from gateway.register.db import Database, insert_absent
from gateway.register.models import Host, Lease


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


@dataclass(frozen=True)
class HostSeen:
    """One host as its last heartbeat described it."""

    name: str
    version: str
    rules_version: str
    started_at: dt.datetime
    last_seen: dt.datetime
    watermark: str | None = None  # the receipt key below which all it took is settled; None: it holds nothing


class Hosts:
    """Heartbeats of the hosts working on this register."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def heartbeat(self, name: str, version: str, rules_version: str, started_at: dt.datetime,
                  watermark: str | None = None) -> None:
        """Say that host ``name`` is alive now, what it runs and its spool's watermark (see publish)."""
        now = _now()
        with self.db.transaction() as conn:
            insert_absent(conn, Host.__table__, {"name": name, "version": version, "rules_version": rules_version,
                                                 "started_at": started_at, "last_seen": now, "watermark": watermark})
            conn.execute(sa.update(Host).where(Host.name == name).values(
                version=version, rules_version=rules_version, started_at=started_at, last_seen=now,
                watermark=watermark))

    def publish(self, name: str, watermark: str | None) -> None:
        """Publish host ``name``'s spool watermark: the receipt key below which nothing it took is unsettled.
        The other hosts number only below it while the host heartbeats; None (a clean stop) holds nothing back."""
        with self.db.transaction() as conn:
            conn.execute(sa.update(Host).where(Host.name == name).values(watermark=watermark))

    def seen(self, within: dt.timedelta) -> list[HostSeen]:
        """The hosts whose last heartbeat is at most ``within`` old, by name."""
        with self.db.reading() as conn:
            rows = conn.execute(sa.select(Host).where(Host.last_seen >= _now() - within).order_by(Host.name)).all()
        return [HostSeen(r.name, r.version, r.rules_version, r.started_at, r.last_seen, r.watermark) for r in rows]


class Leases:
    """Named leases in the register: one holder at a time, until it stops renewing and the lease runs out."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def acquire(self, name: str, holder: str, seconds: float) -> dt.datetime | None:
        """Take or renew lease ``name`` for ``holder`` for ``seconds``: its new expiry, or None while another
        holder's lease runs. One statement decides, so two hosts never both get it."""
        now = _now()
        until = now + dt.timedelta(seconds=seconds)
        with self.db.transaction() as conn:
            insert_absent(conn, Lease.__table__, {"name": name, "holder": holder, "expires_at": until})
            taken = conn.execute(sa.update(Lease).where(
                Lease.name == name, sa.or_(Lease.holder == holder, Lease.expires_at < now))
                .values(holder=holder, expires_at=until)).rowcount
        return until if taken == 1 else None

    def release(self, name: str, holder: str) -> None:
        """Give the lease up at once (a clean stop), so another host need not wait for it to run out."""
        with self.db.transaction() as conn:
            conn.execute(sa.update(Lease).where(Lease.name == name, Lease.holder == holder)
                         .values(expires_at=_now() - dt.timedelta(seconds=1)))

    def holder(self, name: str) -> tuple[str, dt.datetime] | None:
        """Who holds lease ``name`` and until when (perhaps already run out), None when it was never taken."""
        with self.db.reading() as conn:
            row = conn.execute(sa.select(Lease.holder, Lease.expires_at).where(Lease.name == name)).first()
        return (row.holder, row.expires_at) if row else None
