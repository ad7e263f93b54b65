"""The memory the systemd unit grants the gateway (MemoryMax), from the worker count: the daemon process plus
each worker with its reading child, per-process figures measured by bench/memory.py."""

from __future__ import annotations

from dataclasses import dataclass

from gateway.core.config import Config

# Peaks (PSS) measured by bench/memory.py (bench/README.md), with room for what the bench does not send: the
# serve process peaked at 81 MiB (idle 64; the web UI's exports are not in the bench), a worker with its
# reading child and their tesseract at 320 MiB (idle 34) reading scans, a 200-page PDF and background OCR.
DAEMON_MIB = 384  # the serve process: SMTP and IMAP intake, outbox, the web UI and its exports
WORKER_MIB = 400  # one worker with its reading child and the tesseract processes they start


@dataclass(frozen=True)
class MemoryLimit:
    """MemoryMax for a number of workers: the daemon's share plus each worker's."""

    workers: int
    daemon_mib: int = DAEMON_MIB
    worker_mib: int = WORKER_MIB

    @property
    def max_mib(self) -> int:
        return self.daemon_mib + self.workers * self.worker_mib


def memory_limit(config: Config) -> MemoryLimit:
    """The limit for the workers `serve` starts: workers.count, or one per CPU of this machine when it is 0."""
    return MemoryLimit(config.worker_count)


def systemd_dropin(limit: MemoryLimit, source: str) -> str:
    """A drop-in for gateway.service setting MemoryMax, with the formula behind it."""
    return (
        f"# Do `gateway config memory` ghi theo {source}: {limit.workers} tiến trình xử lý.\n"
        f"# MemoryMax = {limit.daemon_mib} MiB (tiến trình serve) + {limit.workers} × {limit.worker_mib} MiB "
        f"(một tiến trình xử lý với tiến trình đọc tệp của nó) = {limit.max_mib} MiB.\n"
        "# Ghi lại sau khi đổi workers.count (hoặc số CPU, khi nó là 0), rồi chạy\n"
        "# systemctl daemon-reload && systemctl restart gateway\n"
        "[Service]\n"
        f"MemoryMax={limit.max_mib}M\n"
    )
