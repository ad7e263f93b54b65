"""File import: .eml files, mbox files and Maildir folders, each message spooled and registered at once."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import mailbox
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from gateway.core.config import Config
from gateway.core.errors import GatewayError
from gateway.core.values import Envelope
from gateway.register.service import Register
from gateway.routing.router import Router
from gateway.runtime.pipeline import Outcome, process_one
from gateway.spool import Spool

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ImportItem:
    """One message found in the paths given to `gateway import`."""

    source_ref: str  # file path, "mbox-path#n" or "maildir-path/key"
    raw: bytes


def _is_maildir(path: Path) -> bool:
    return all((path / sub).is_dir() for sub in ("cur", "new", "tmp"))


def _is_mbox(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(5) == b"From "


def find_messages(paths: list[Path]) -> Iterator[ImportItem]:
    """Every message under the paths: files, mbox files, Maildir folders, and folders of such files."""
    for path in paths:
        if not path.exists():
            raise GatewayError(f"{path.absolute()}: no such file or folder")
        if path.is_dir() and _is_maildir(path):
            yield from _from_maildir(path)
        elif path.is_dir():
            yield from find_messages(sorted(child for child in path.iterdir() if not child.name.startswith(".")))
        elif _is_mbox(path):
            yield from _from_mbox(path)
        else:
            yield ImportItem(str(path), path.read_bytes())


def _from_mbox(path: Path) -> Iterator[ImportItem]:
    box = mailbox.mbox(path, create=False)
    try:
        for number, key in enumerate(box.iterkeys(), start=1):
            yield ImportItem(f"{path}#{number}", box.get_bytes(key))
    finally:
        box.close()


def _from_maildir(path: Path) -> Iterator[ImportItem]:
    box = mailbox.Maildir(path, create=False)
    for key in sorted(box.iterkeys()):
        yield ImportItem(f"{path}/{key}", box.get_bytes(key))


def count_messages(paths: list[Path]) -> int:
    """How many messages `find_messages` will yield (for the progress bar), without reading bodies twice."""
    total = 0
    for path in paths:
        if path.is_dir() and _is_maildir(path):
            total += len(mailbox.Maildir(path, create=False))
        elif path.is_dir():
            total += count_messages(sorted(c for c in path.iterdir() if not c.name.startswith(".")))
        elif path.exists() and _is_mbox(path):
            box = mailbox.mbox(path, create=False)
            total += len(box)
            box.close()
        elif path.exists():
            total += 1
    return total


class Importer:
    """Spools each message durably (so nothing is lost on a crash), then registers it in this process."""

    def __init__(self, config: Config, spool: Spool, register: Register, router: Router | None = None) -> None:
        self.config = config
        self.spool = spool
        self.register = register
        self.router = router

    def import_one(self, item: ImportItem) -> Outcome:
        envelope = Envelope(
            source="import", received_at=dt.datetime.now(dt.timezone.utc), source_ref=item.source_ref
        )
        return self.process(self.spool.put(item.raw, envelope))

    def process(self, spool_id: str) -> Outcome:
        """Register one message this process has just spooled, then number what may be numbered."""
        while True:  # a failed attempt goes back to incoming/ until max_attempts sends it to bad/
            outcome = process_one(self.spool.claim(spool_id), self.spool, self.register, self.config, self.router)
            if outcome.registration is not None or outcome.to_bad or outcome.quarantined or outcome.automatic \
                    or outcome.deferred:
                break
        self.register.number_waiting(self.spool.watermark())
        registration = outcome.registration
        if registration is not None and registration.outcome == "registered" and registration.arrival_number is None:
            number = self.register.get_document(registration.document_id).arrival_number
            outcome = dataclasses.replace(outcome, registration=dataclasses.replace(registration,
                                                                                    arrival_number=number))
        return outcome
