"""Backup and restore of a data folder: the register database (users and tokens included), the blob store,
every spool queue, the rest of the folder (the rules in use, IMAP state), and a sha256 manifest."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from gateway.core.config import Config
from gateway.core.errors import BackupError
from gateway.register.dump import PG_DUMP_FILE, SQLITE_FILE, database_files, database_kind, dump, load, refuse_non_empty
from gateway.register.service import Register
from gateway.spool import Spool
from gateway.spool.backup import copy_spool

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
FORMAT = 1
CHUNK = 1024 * 1024
SPOOL, BLOBS = "spool", "blobs"  # copied by their own rules; everything else of the data folder as it is
RUNTIME_SUFFIXES = (".pid",)  # what a running daemon leaves that a restore must not bring back


@dataclass(frozen=True)
class Manifest:
    """What a backup holds: its database kind and the sha256 and size of every file, by relative path."""

    created_at: str
    database: str  # "sqlite" or "postgresql"
    files: dict[str, dict[str, int | str]]

    def to_json(self) -> str:
        return json.dumps({"format": FORMAT, "created_at": self.created_at, "database": self.database,
                           "files": self.files}, indent=1, sort_keys=True)

    @classmethod
    def read(cls, folder: Path) -> Manifest:
        try:
            data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
            if data.get("format") != FORMAT:
                raise BackupError(f"{folder}: backup format {data.get('format')!r}, this gateway reads {FORMAT}")
            return cls(data["created_at"], data["database"], data["files"])
        except FileNotFoundError as err:
            raise BackupError(f"{folder}: no {MANIFEST}: not a gateway backup") from err
        except (OSError, ValueError, KeyError, TypeError) as err:
            raise BackupError(f"{folder}/{MANIFEST}: unreadable: {err}") from err


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


# -- backup ----------------------------------------------------------------------------------------------------


def backup(config: Config, dest: Path) -> Manifest:
    """Write a backup of the data folder into `dest` (new or empty): spool first, then the rest of the folder,
    then the database, then the blobs.

    That order keeps a live backup consistent: a message is in the copied spool or in the database snapshot
    (or both: registering again is idempotent), and every blob the snapshot names was written before it.
    """
    dest = Path(dest)
    if dest.absolute().is_relative_to(config.data_dir):
        raise BackupError(f"{dest} is inside the data folder {config.data_dir}: back up somewhere else")
    if dest.exists() and any(dest.iterdir()):
        raise BackupError(f"{dest} is not empty: back up into a new folder")
    dest.mkdir(parents=True, exist_ok=True)
    try:
        copy_spool(config.spool_dir, dest / SPOOL)
        _copy_state(config, dest)
        kind = dump(config.database_url, dest)
        _copy_tree(config.blob_dir, dest / BLOBS, skip_prefix=".tmp-")
    except OSError as err:
        raise BackupError(f"backup into {dest} failed: {err}") from err
    manifest = Manifest(dt.datetime.now(dt.timezone.utc).isoformat(), kind, _hash_files(dest))
    (dest / MANIFEST).write_text(manifest.to_json(), encoding="utf-8")
    log.info("backup of %s written to %s: %d files", config.data_dir, dest, len(manifest.files))
    return manifest


def _copy_state(config: Config, dest: Path) -> None:
    """Everything else in the data folder (the rules in use, IMAP state, whatever comes later), as it is;
    not the SQLite files (the dump copies them consistently) nor what only a running daemon holds."""
    skip = set(database_files(config.database_url))
    for entry in sorted(config.data_dir.iterdir()) if config.data_dir.is_dir() else []:
        if entry.name in (SPOOL, BLOBS) or entry.name.startswith(".") or entry.absolute() in skip:
            continue
        if entry.is_dir():
            _copy_tree(entry, dest / entry.name, skip_prefix=".")
        elif not entry.name.endswith(RUNTIME_SUFFIXES):
            shutil.copy2(entry, dest / entry.name)


def _copy_tree(source: Path, target: Path, skip_prefix: str) -> None:
    """Copy the files under `source`; files that vanish meanwhile (claimed, finished) are skipped."""
    target.mkdir(parents=True, exist_ok=True)
    if not source.is_dir():
        return
    for folder, _dirs, names in os.walk(source):
        relative = Path(folder).relative_to(source)
        for name in names:
            if name.startswith(skip_prefix):
                continue
            (target / relative).mkdir(parents=True, exist_ok=True)
            try:
                shutil.copy2(Path(folder) / name, target / relative / name)
            except FileNotFoundError:
                continue


def _hash_files(root: Path) -> dict[str, dict[str, int | str]]:
    files = {}
    for path in sorted(p for p in root.rglob("*") if p.is_file() and p.name != MANIFEST):
        files[path.relative_to(root).as_posix()] = {"sha256": sha256_file(path), "size": path.stat().st_size}
    return files


# -- restore ---------------------------------------------------------------------------------------------------


def verify(source: Path) -> Manifest:
    """Read the manifest and check every file it names (and no other) against its sha256."""
    source = Path(source)
    manifest = Manifest.read(source)
    present = set(_hash_files(source))
    missing = sorted(set(manifest.files) - present)
    extra = sorted(present - set(manifest.files))
    if missing or extra:
        raise BackupError(f"{source}: files missing {missing[:5]} or not in the manifest {extra[:5]}")
    for relative, entry in manifest.files.items():
        if sha256_file(source / relative) != entry["sha256"]:
            raise BackupError(f"{source}/{relative}: checksum mismatch: the backup is damaged")
    return manifest


def restore(config: Config, source: Path) -> Manifest:
    """Restore a verified backup into an empty data folder (and, for PostgreSQL, an empty database)."""
    source = Path(source)
    manifest = verify(source)
    kind = database_kind(config.database_url)
    if manifest.database != kind:
        raise BackupError(f"{source} holds a {manifest.database} register but database.url is {kind}")
    data_dir = config.data_dir
    if data_dir.exists() and any(data_dir.iterdir()):
        raise BackupError(f"{data_dir} is not empty: restore only into an empty data folder")
    if kind == "postgresql":
        refuse_non_empty(config.database_url)
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        for entry in sorted(source.iterdir()):
            if entry.name in (MANIFEST, SQLITE_FILE, PG_DUMP_FILE):
                continue  # the database comes back through load()
            if entry.is_dir():
                _copy_tree(entry, data_dir / entry.name, skip_prefix=".")
            else:
                shutil.copy2(entry, data_dir / entry.name)
        load(config.database_url, source)
        Spool(config.spool_dir).ensure()  # the queues a backup held no file of
    except OSError as err:
        raise BackupError(f"restore into {data_dir} failed: {err}") from err
    register = Register(config)
    try:
        register.upgrade()  # a backup from an older version gets the newer migrations
        register.check()
    finally:
        register.close()
    log.info("restored %s into %s: %d files", source, data_dir, len(manifest.files))
    return manifest

