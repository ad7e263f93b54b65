"""Content-addressed blob stores: raw messages and attachments under blobs/ab/cd/<sha256>, written durably
(the default), or in the register database's `blobs` table (every host and standby of a PostgreSQL register has
them, and they commit with the registration). Both offer the same methods."""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import re
import secrets
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from gateway.core.durable import fsync_path, publish
from gateway.core.errors import NotFound, RegisterError, StorageFull
from gateway.register.db import Database, insert_absent
from gateway.register.models import StoredBlob

log = logging.getLogger(__name__)
_SHA = re.compile(r"[0-9a-f]{64}")
PARALLEL_PUTS = 8  # blobs of one registering batch written and fsynced at once


FILESYSTEM, DATABASE = "filesystem", "database"
KINDS = (FILESYSTEM, DATABASE)


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _check(sha: str) -> str:
    if not _SHA.fullmatch(sha):
        raise RegisterError(f"not a sha256: {sha!r}")
    return sha


class BlobStore:
    """Files named by the sha256 of their bytes; writing the same bytes twice is a no-op."""

    kind = FILESYSTEM

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def put_before(self, datas: Iterable[bytes]) -> None:
        """Store a registration's (or a batch's) blobs before its transaction (a file cannot roll back; an unused
        one is harmless). Each is written and fsynced as by put, several at once: fsyncs issued together let the
        file system commit its journal once for many of them. Returns when every one is durable; the first
        failure is raised."""
        distinct = list(dict.fromkeys(datas))  # the same bytes twice (one file sent twice) written once
        if len(distinct) <= 1:
            for data in distinct:
                self.put(data)
            return
        with ThreadPoolExecutor(max_workers=min(PARALLEL_PUTS, len(distinct))) as pool:
            list(pool.map(self.put, distinct))

    def put_within(self, conn: sa.Connection, datas: Iterable[bytes]) -> None:
        """Nothing: the files were written by put_before."""

    def shas(self) -> Iterator[str]:
        """Every stored blob's sha256, in order."""
        if not self.root.is_dir():
            return
        for first in sorted(self.root.iterdir()):
            for second in sorted(first.iterdir()) if first.is_dir() else ():
                for path in sorted(second.iterdir()) if second.is_dir() else ():
                    if _SHA.fullmatch(path.name):
                        yield path.name

    def path(self, sha: str) -> Path:
        """Where the blob with this sha256 lives (whether or not it exists)."""
        _check(sha)
        return self.root / sha[:2] / sha[2:4] / sha

    def put(self, data: bytes) -> str:
        """Store ``data`` if absent (tmp, fsync, rename, fsync dir) and return its sha256."""
        sha = sha256_of(data)
        target = self.path(sha)
        if target.exists():
            return sha
        try:
            self._ensure_dir(target.parent)
            publish(target.parent / f".tmp-{os.getpid()}-{secrets.token_hex(4)}", target, data)
        except OSError as err:
            if err.errno in (errno.ENOSPC, errno.EDQUOT):
                raise StorageFull(f"cannot store blob {sha}: {err}") from err
            raise RegisterError(f"cannot store blob {sha}: {err}") from err
        log.debug("stored blob %s (%d bytes)", sha, len(data))
        return sha

    def _ensure_dir(self, directory: Path) -> None:
        """Create the ab/cd folders on first use, making each new entry durable in its parent."""
        if directory.is_dir():
            return
        if directory.parent == self.root:
            self.root.mkdir(parents=True, exist_ok=True)
        else:
            self._ensure_dir(directory.parent)
        directory.mkdir(exist_ok=True)  # another worker may make it at the same moment
        fsync_path(directory.parent)

    def get(self, sha: str) -> bytes:
        """The bytes of a blob; NotFound when it is absent."""
        try:
            return self.path(sha).read_bytes()
        except FileNotFoundError as err:
            raise NotFound(f"no blob {sha} (looked for {self.path(sha)})") from err
        except OSError as err:
            raise RegisterError(f"cannot read blob {sha}: {err}") from err

    def delete(self, sha: str) -> bool:
        """Remove a blob for good (a recalled document's files); False when it was not there."""
        path = self.path(sha)
        try:
            path.unlink()
        except FileNotFoundError:
            return False
        except OSError as err:
            raise RegisterError(f"cannot delete blob {sha}: {err}") from err
        fsync_path(path.parent)
        return True

    def exists(self, sha: str) -> bool:
        """True when the blob is stored."""
        return self.path(sha).is_file()

    def verify(self, sha: str) -> bool:
        """True when the blob exists and its bytes still hash to its name."""
        try:
            return sha256_of(self.get(sha)) == sha
        except NotFound:
            return False


class DatabaseBlobs:
    """Rows of the register's `blobs` table named by the sha256 of their bytes; a registration's blobs are
    inserted in its own transaction, so a rollback leaves none behind and a standby receives them with it."""

    kind = DATABASE

    def __init__(self, db: Database) -> None:
        self.db = db

    def put(self, data: bytes) -> str:
        """Store ``data`` if absent, in a transaction of its own; its sha256."""
        with self.db.transaction() as conn:
            self.put_within(conn, [data])
        return sha256_of(data)

    def put_before(self, datas: Iterable[bytes]) -> None:
        """Nothing: put_within writes them in the registering transaction."""

    def put_within(self, conn: sa.Connection, datas: Iterable[bytes]) -> None:
        """Insert the blobs not stored yet, in the caller's transaction; in sha256 order, so that two
        transactions inserting the same blobs wait for each other instead of deadlocking."""
        table = StoredBlob.__table__
        for sha, data in sorted({sha256_of(data): data for data in datas}.items()):
            insert_absent(conn, table, {"sha256": sha, "size": len(data), "data": data})

    def get(self, sha: str) -> bytes:
        """The bytes of a blob; NotFound when it is absent."""
        with self.db.reading() as conn:
            data = conn.execute(sa.select(StoredBlob.data).where(StoredBlob.sha256 == _check(sha))).scalar()
        if data is None:
            raise NotFound(f"no blob {sha} in the register database")
        return bytes(data)

    def delete(self, sha: str) -> bool:
        """Remove a blob for good (a recalled document's files); False when it was not there."""
        with self.db.transaction() as conn:
            return conn.execute(sa.delete(StoredBlob).where(StoredBlob.sha256 == _check(sha))).rowcount > 0

    def exists(self, sha: str) -> bool:
        """True when the blob is stored."""
        with self.db.reading() as conn:
            return conn.execute(sa.select(StoredBlob.size).where(StoredBlob.sha256 == _check(sha))).first() \
                is not None

    def verify(self, sha: str) -> bool:
        """True when the blob exists and its bytes still hash to its name."""
        try:
            return sha256_of(self.get(sha)) == sha
        except NotFound:
            return False

    def shas(self) -> Iterator[str]:
        """Every stored blob's sha256, in order."""
        with self.db.reading() as conn:
            found = list(conn.execute(sa.select(StoredBlob.sha256).order_by(StoredBlob.sha256)).scalars())
        yield from found


@dataclass(frozen=True)
class BlobMove:
    """What moving the blobs did: how many the source held, how many were new to the target, how many the
    source no longer holds."""

    found: int
    copied: int
    removed: int


def move_blobs(source: BlobStore | DatabaseBlobs, target: BlobStore | DatabaseBlobs,
               remove: bool = True) -> BlobMove:
    """Copy every blob of ``source`` into ``target`` (checked against its sha256 on both sides), then (unless
    ``remove`` is False) delete it from the source. Run again after an interruption: what is there is kept."""
    found = copied = removed = 0
    for sha in list(source.shas()):
        found += 1
        data = source.get(sha)
        if sha256_of(data) != sha:
            raise RegisterError(f"blob {sha} in the {source.kind} store no longer matches its sha256: not moved")
        if not target.exists(sha):
            target.put(data)
            copied += 1
        if not target.verify(sha):
            raise RegisterError(f"blob {sha} did not arrive intact in the {target.kind} store")
        if remove:
            removed += source.delete(sha)
    log.info("blobs moved from the %s store to the %s store: %d found, %d copied, %d removed",
             source.kind, target.kind, found, copied, removed)
    return BlobMove(found, copied, removed)


def blob_store(kind: str, root: Path, db: Database) -> BlobStore | DatabaseBlobs:
    """The store a register keeps its blobs in: files under ``root`` or the database's blobs table."""
    if kind == FILESYSTEM:
        return BlobStore(root)
    if kind == DATABASE:
        return DatabaseBlobs(db)
    raise RegisterError(f"unknown blob store {kind!r}: use {' or '.join(KINDS)}")
