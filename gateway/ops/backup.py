"""Backup and restore of a data folder: the register database, the blob store, the spool, and a sha256 manifest."""

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
from gateway.register.dump import database_kind, dump, load, refuse_non_empty
from gateway.register.service import Register

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
FORMAT = 1
SPOOL_QUEUES = ("incoming", "bad")
CHUNK = 1024 * 1024


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
    """Write a backup of the data folder into `dest` (new or empty): spool first, then database, then blobs.

    That order keeps a live backup consistent: a message is in the copied spool or in the database snapshot
    (or both: registering again is idempotent), and every blob the snapshot names was written before it.
    """
    dest = Path(dest)
    if dest.exists() and any(dest.iterdir()):
        raise BackupError(f"{dest} is not empty: back up into a new folder")
    dest.mkdir(parents=True, exist_ok=True)
    try:
        _copy_spool(config.spool_dir, dest / "spool")
        kind = dump(config.database_url, dest)
        _copy_tree(config.blob_dir, dest / "blobs", skip_prefix=".tmp-")
    except OSError as err:
        raise BackupError(f"backup into {dest} failed: {err}") from err
    manifest = Manifest(dt.datetime.now(dt.timezone.utc).isoformat(), kind, _hash_files(dest))
    (dest / MANIFEST).write_text(manifest.to_json(), encoding="utf-8")
    log.info("backup of %s written to %s: %d files", config.data_dir, dest, len(manifest.files))
    return manifest


def _copy_spool(spool_dir: Path, target: Path) -> None:
    """incoming/ and bad/ as they are; files claimed by a worker go back to incoming/ in the copy."""
    for queue in SPOOL_QUEUES:
        _copy_tree(spool_dir / queue, target / queue, skip_prefix=".")
    claimed = spool_dir / "claimed"
    for name in sorted(os.listdir(claimed)) if claimed.is_dir() else []:
        parts = name.split(".")
        if len(parts) != 4 or parts[-1] != "msg":
            continue
        try:  # "<id>.<attempts>.<pid>.msg" -> "<id>.<attempts>.msg"
            shutil.copy2(claimed / name, target / "incoming" / f"{parts[0]}.{parts[1]}.msg")
        except FileNotFoundError:
            continue


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
        _copy_tree(source / "spool", config.spool_dir, skip_prefix=".")
        _copy_tree(source / "blobs", config.blob_dir, skip_prefix=".")
        load(config.database_url, source)
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

