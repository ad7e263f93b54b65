"""Content-addressed blob store: raw messages and attachments under blobs/ab/cd/<sha256>, written durably."""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import re
import secrets
from pathlib import Path

from gateway.core.durable import can_sync_filesystem, fsync_path, publish, sync_filesystem, write_new
from gateway.core.errors import NotFound, RegisterError, StorageFull

log = logging.getLogger(__name__)
_SHA = re.compile(r"[0-9a-f]{64}")


class BlobStore:
    """Files named by the sha256 of their bytes; writing the same bytes twice is a no-op."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path(self, sha: str) -> Path:
        """Where the blob with this sha256 lives (whether or not it exists)."""
        if not _SHA.fullmatch(sha):
            raise RegisterError(f"not a sha256: {sha!r}")
        return self.root / sha[:2] / sha[2:4] / sha

    def put(self, data: bytes) -> str:
        """Store ``data`` if absent (tmp, fsync, rename, fsync dir) and return its sha256."""
        sha = hashlib.sha256(data).hexdigest()
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

    def put_many(self, blobs: list[bytes]) -> list[str]:
        """put() for several blobs at once: the files are written, flushed with one syncfs, renamed into place and
        flushed again, instead of two fsyncs (file and folder) and the new folders' fsyncs per blob. A blob is
        renamed into place only once its bytes are on disk, so one that exists is whole (put() trusts that)."""
        shas, pending = [], {}
        for data in blobs:
            sha = hashlib.sha256(data).hexdigest()
            shas.append(sha)
            if sha not in pending and not self.path(sha).exists():
                pending[sha] = data
        if not pending:
            return shas
        if len(pending) == 1 or not self.root.is_dir() or not can_sync_filesystem():  # one by one
            for data in pending.values():
                self.put(data)
            return shas
        written: list[tuple[Path, Path]] = []
        try:
            for sha, data in pending.items():
                target = self.path(sha)
                self._ensure_dir(target.parent, sync=False)
                tmp = target.parent / f".tmp-{os.getpid()}-{secrets.token_hex(4)}"
                write_new(tmp, data, sync=False)
                written.append((tmp, target))
            sync_filesystem(self.root)  # the bytes and the new folders
            for tmp, target in written:
                os.replace(tmp, target)
            written = []
            sync_filesystem(self.root)  # the names
        except OSError as err:
            if err.errno in (errno.ENOSPC, errno.EDQUOT):
                raise StorageFull(f"cannot store {len(pending)} blobs: {err}") from err
            raise RegisterError(f"cannot store {len(pending)} blobs: {err}") from err
        finally:
            for tmp, _ in written:
                tmp.unlink(missing_ok=True)
        log.debug("stored %d blobs", len(pending))
        return shas

    def _ensure_dir(self, directory: Path, sync: bool = True) -> None:
        """Create the ab/cd folders on first use, making each new entry durable in its parent (unless the caller
        flushes the file system itself)."""
        if directory.is_dir():
            return
        if directory.parent == self.root:
            self.root.mkdir(parents=True, exist_ok=True)
        else:
            self._ensure_dir(directory.parent, sync)
        directory.mkdir(exist_ok=True)  # another worker may make it at the same moment
        if sync:
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
            return hashlib.sha256(self.get(sha)).hexdigest() == sha
        except NotFound:
            return False
