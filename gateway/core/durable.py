"""Files that survive a crash: written whole, fsynced, renamed into place, and their folder fsynced."""

from __future__ import annotations

import ctypes
import functools
import os
from pathlib import Path


def fsync_path(path: Path) -> None:
    """Flush a file or a folder (its entries: renames, new files) to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@functools.cache
def _syncfs():
    """The C library's syncfs (Linux), or None."""
    try:
        return ctypes.CDLL(None, use_errno=True).syncfs
    except (OSError, AttributeError):
        return None


def can_sync_filesystem() -> bool:
    """True where sync_filesystem works (Linux); elsewhere fsync file by file."""
    return _syncfs() is not None


def sync_filesystem(path: Path) -> None:
    """Flush everything written to the file system that holds ``path``: one call (Linux syncfs) for many files,
    their folders and renames."""
    fd = os.open(path, os.O_RDONLY)
    try:
        if _syncfs()(fd) != 0:
            error = ctypes.get_errno()
            raise OSError(error, os.strerror(error), str(path))
    finally:
        os.close(fd)


def write_new(path: Path, *chunks: bytes, mode: int = 0o640, sync: bool = True) -> None:
    """Create ``path`` (it must not exist), write every chunk and (unless told not to) fsync it."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        views = [memoryview(c) for c in chunks if c]
        while views:  # one system call in the usual case
            written = os.writev(fd, views)
            while views and written >= len(views[0]):
                written -= len(views[0])
                views.pop(0)
            if views and written:
                views[0] = views[0][written:]
        if sync:
            os.fsync(fd)
    finally:
        os.close(fd)


def publish(tmp: Path, target: Path, *chunks: bytes, sync_folder: bool = True) -> None:
    """Write the chunks to ``tmp`` durably, rename it to ``target`` and (unless told not to) fsync the folder.

    ``tmp`` must be on the same file system as ``target``; it is removed when anything fails.
    """
    try:
        write_new(tmp, *chunks)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if sync_folder:
        fsync_path(target.parent)
