"""The rule files the daemon accepted, copied under the data folder, so that workers (and a worker restarted
later) load exactly those, never a file someone is half-way through editing."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from gateway.core.durable import publish, write_new
from gateway.core.errors import RuleFileError
from gateway.routing.rules import Problem, RuleSet, load_rules

SNAPSHOT_DIR = "rules-in-use"
CURRENT = "current"
KEEP = 3  # versions kept, so that a worker loading the previous one is not pulled from under it


def write_snapshot(data_dir: Path, ruleset: RuleSet) -> None:
    """Copy the accepted files to <data_dir>/rules-in-use/<version>/ and make that version the current one."""
    root = data_dir / SNAPSHOT_DIR
    target = root / ruleset.version
    root.mkdir(parents=True, exist_ok=True)
    if not target.is_dir():
        tmp = root / f".tmp-{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        for name, data in ruleset.sources:
            write_new(tmp / name, data)
        os.rename(tmp, target)
    pointer = root / f".{CURRENT}-{os.getpid()}"
    pointer.unlink(missing_ok=True)
    publish(pointer, root / CURRENT, (ruleset.version + "\n").encode("ascii"))
    versions = sorted((p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")),
                      key=lambda p: p.stat().st_mtime, reverse=True)
    for old in versions[KEEP:]:
        if old.name != ruleset.version:
            shutil.rmtree(old, ignore_errors=True)


def load_snapshot(data_dir: Path, shown_as: str) -> RuleSet:
    """The rules the daemon accepted last (reported under the name of the real rules folder)."""
    root = data_dir / SNAPSHOT_DIR
    try:
        version = (root / CURRENT).read_text(encoding="ascii").strip()
    except OSError as err:
        raise RuleFileError([Problem(str(root), 0, "", f"no accepted rules: {err}")]) from err
    return load_rules(root / version, shown_as)
