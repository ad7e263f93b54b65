"""The IMAP ledger: which (account, folder, UIDVALIDITY, UID) were spooled, and which after-actions are done."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa

from gateway.register.db import Database
from gateway.register.models import Arrival, ImapLedgerEntry

SPOOLED = "spooled"
DONE = "done"
_T = ImapLedgerEntry.__table__


@dataclass(frozen=True)
class FolderKey:
    """One epoch of one folder: UIDs are only meaningful together with the folder's UIDVALIDITY."""

    account: str
    folder: str
    uidvalidity: int


@dataclass(frozen=True)
class Registered:
    """A ledger row whose message a worker has registered (or recorded as a duplicate): ready for its after-action."""

    uid: int
    spool_id: str


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _where(key: FolderKey):
    return sa.and_(_T.c.account == key.account, _T.c.folder == key.folder, _T.c.uidvalidity == key.uidvalidity)


class Ledger:
    """Reads and writes imap_ledger rows (the daemon's poller threads share one)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def highest_uid(self, key: FolderKey) -> int:
        """The largest UID recorded in this folder epoch, 0 when none."""
        return self._read(lambda c: c.execute(sa.select(sa.func.max(_T.c.uid)).where(_where(key))).scalar() or 0)

    def known_uids(self, key: FolderKey, uids: Iterable[int]) -> set[int]:
        """Those of ``uids`` already in the ledger for this folder epoch."""
        wanted = sorted(set(uids))
        found: set[int] = set()
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            query = sa.select(_T.c.uid).where(_where(key), _T.c.uid.in_(chunk))
            found.update(self._read(lambda c, q=query: c.execute(q).scalars().all()))
        return found

    def other_epochs(self, account: str, folder: str, uidvalidity: int) -> list[int]:
        """UIDVALIDITY values seen before for this folder, other than the current one."""
        query = (
            sa.select(_T.c.uidvalidity).distinct()
            .where(_T.c.account == account, _T.c.folder == folder, _T.c.uidvalidity != uidvalidity)
        )
        return list(self._read(lambda c: c.execute(query).scalars().all()))

    def record_spooled(self, key: FolderKey, entries: list[tuple[int, str]]) -> None:
        """Insert (uid, spool_id) rows in state "spooled", in one transaction."""
        if not entries:
            return
        now = _now()
        rows = [
            dict(account=key.account, folder=key.folder, uidvalidity=key.uidvalidity, uid=uid,
                 spool_id=spool_id, state=SPOOLED, fetched_at=now, done_at=None)
            for uid, spool_id in entries
        ]
        self._write(lambda c: c.execute(sa.insert(_T), rows))

    def registered(self, key: FolderKey, limit: int = 500) -> list[Registered]:
        """Rows still "spooled" whose spool id has an arrival committed by a worker."""
        arrivals = Arrival.__table__
        query = (
            sa.select(_T.c.uid, _T.c.spool_id)
            .join(arrivals, arrivals.c.spool_id == _T.c.spool_id)
            .where(_where(key), _T.c.state == SPOOLED)
            .order_by(_T.c.uid)
            .limit(limit)
        )
        return [Registered(uid, spool_id) for uid, spool_id in self._read(lambda c: c.execute(query).all())]

    def counts_spooled(self, key: FolderKey) -> int:
        """Rows of this folder epoch still waiting for their after-action."""
        query = sa.select(sa.func.count()).select_from(_T).where(_where(key), _T.c.state == SPOOLED)
        return int(self._read(lambda c: c.execute(query).scalar() or 0))

    def mark_done(self, key: FolderKey, uids: Iterable[int]) -> None:
        """Record that the after-action of these UIDs has been done on the server."""
        uids = sorted(uids)
        if not uids:
            return
        statement = sa.update(_T).where(_where(key), _T.c.uid.in_(uids)).values(state=DONE, done_at=_now())
        self._write(lambda c: c.execute(statement))

    def counts(self, account: str) -> dict[str, int]:
        """Rows of an account by state."""
        query = sa.select(_T.c.state, sa.func.count()).where(_T.c.account == account).group_by(_T.c.state)
        return dict(self._read(lambda c: c.execute(query).all()))

    def _read(self, work):
        with self.db.reading() as conn:
            return work(conn)

    def _write(self, work) -> None:
        with self.db.transaction() as conn:
            work(conn)
