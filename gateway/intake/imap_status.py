"""Each IMAP account's last success and last error, kept in a small JSON file in the data folder for `status`."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
from dataclasses import asdict, dataclass, replace
from pathlib import Path

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AccountStatus:
    """What an operator needs to know about one account's intake."""

    account: str
    last_success: str = ""  # ISO time of the last completed sync
    last_error: str = ""
    last_error_at: str = ""
    fetched: int = 0  # messages spooled from this account since the status file was created


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


class StatusFile:
    """data_dir/imap/<account>.json, rewritten atomically (tmp + rename) whenever the account's state changes."""

    def __init__(self, directory: Path, account: str) -> None:
        self.path = Path(directory) / f"{account}.json"
        self.current = load_status(self.path) or AccountStatus(account)

    def success(self, fetched: int = 0) -> None:
        self._save(replace(self.current, last_success=_now(), fetched=self.current.fetched + fetched))

    def error(self, message: str) -> None:
        self._save(replace(self.current, last_error=message, last_error_at=_now()))

    def _save(self, status: AccountStatus) -> None:
        self.current = status
        tmp = self.path.with_suffix(f".{os.getpid()}.tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_text(json.dumps(asdict(status), ensure_ascii=False), encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError as err:  # a status file is a convenience: losing it must not stop the intake
            log.warning("imap %s: cannot write status file %s: %s", status.account, self.path, err)


def load_status(path: Path) -> AccountStatus | None:
    """The status stored in ``path``, or None when there is none (or it is unreadable)."""
    try:
        return AccountStatus(**json.loads(Path(path).read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None
