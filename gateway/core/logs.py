"""Logging to stderr (for journald), one format for the daemon, its workers and the CLI."""

from __future__ import annotations

import logging
import sys

FORMAT = "%(asctime)s %(levelname)s %(processName)s %(name)s: %(message)s"


def setup_logging(level: str = "INFO") -> None:
    """Send log records at `level` and above to stderr, replacing earlier handlers."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(FORMAT))
    root.addHandler(handler)
    root.setLevel(level.upper())
    # Library chatter that says nothing about our messages.
    for noisy in ("mail.log", "aiosmtpd", "alembic.runtime.migration", "pypdf"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
