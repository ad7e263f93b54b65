"""The spool as a backup keeps it: every queue's files, what a worker held put back in incoming/, each message
in one place only."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from gateway.core.errors import SpoolError
from gateway.spool.files import MSG_SUFFIX, QUEUES, msg_name, parse_full

PASSES = 3  # a message moving during one pass is found by the next; more passes rarely find anything new


def copy_spool(root: Path, target: Path) -> int:
    """Copy every queue of the spool at ``root`` into ``target`` (a new folder); returns how many messages.

    Safe while the workers run. A message claimed by a worker goes to incoming/ in the copy, as a restart
    would put it. A message that moves (another queue, another attempt) while it is copied is found again by
    a later pass, and only the place it was seen last, its newer one, is kept. A message registered meanwhile
    leaves the spool; the database, dumped after the spool, holds it.
    """
    root, target = Path(root), Path(target)
    placed: dict[str, Path] = {}  # spool id -> its message file in the copy
    for _ in range(PASSES):
        if not _one_pass(root, target, placed):
            break
    for queue in QUEUES:
        (target / _copied_queue(queue)).mkdir(parents=True, exist_ok=True)
    return len(placed)


def _copied_queue(queue: str) -> str:
    return "incoming" if queue == "claimed" else queue


def _one_pass(root: Path, target: Path, placed: dict[str, Path]) -> bool:
    """Copy what the copy does not hold yet; True when something was copied."""
    changed = False
    for queue in QUEUES:
        try:
            names = sorted(os.listdir(root / queue))
        except FileNotFoundError:
            continue
        except OSError as err:
            raise SpoolError(f"cannot list {root / queue}: {err}") from err
        for name in names:
            if name.startswith("."):
                continue
            spool_id, copied_name = _copied_name(queue, name)
            destination = target / _copied_queue(queue) / copied_name
            if destination.exists():
                continue
            destination.parent.mkdir(parents=True, exist_ok=True)
            try:
                shutil.copy2(root / queue / name, destination)
            except FileNotFoundError:
                continue  # it moved on meanwhile; a later pass finds it where it went
            except OSError as err:
                raise SpoolError(f"cannot copy {root / queue / name} to {destination}: {err}") from err
            changed = True
            if destination.name.endswith(MSG_SUFFIX):
                older = placed.get(spool_id)
                if older is not None and older != destination:
                    _forget(older, spool_id, keep=destination.parent)
                placed[spool_id] = destination
    return changed


def _copied_name(queue: str, name: str) -> tuple[str, str]:
    """(spool id, name in the copy): "<id>.<attempts>.<pid>.msg" of claimed/ becomes "<id>.<attempts>.msg"."""
    if queue == "claimed":
        parsed = parse_full(name)
        if parsed is not None:
            return parsed[0], msg_name(parsed[0], parsed[1])
    return name.split(".", 1)[0], name


def _forget(message: Path, spool_id: str, keep: Path) -> None:
    """Remove an older copy of a message, and its reason records unless they sit beside the newer copy."""
    message.unlink(missing_ok=True)
    if message.parent != keep:
        for path in message.parent.glob(f"{spool_id}.*"):
            path.unlink(missing_ok=True)
