"""Benchmark: messages/s into the gateway directly and through Postfix set up as the README says, same run.

One `gateway serve` takes two bursts from Postfix's own smtp-source: first straight into its SMTP port, then into
a Postfix on loopback (the README's main.cf lines, tests/postfix_kit.py) that relays to it. For each burst it
prints the hand-over rate (the gateway has answered 250 for every message) and the registration rate (every
message has its số đến). Needs root and Debian's postfix (scripts/setup --test).

    .venv/bin/python bench/postfix.py [--messages 1000] [--size 20000] [--sessions 8] [--workers 2]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from conftest import GatewayProcess, free_port, write_config  # noqa: E402
from postfix_kit import PostfixInstance, smtp_source  # noqa: E402

RCPT = "vanthu@sct.example.gov.vn"


def _documents(url: str) -> int:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.scalar(sa.text("select count(*) from documents"))
    finally:
        engine.dispose()


def _burst(port: int, args, url: str, before: int, handed_over) -> tuple[float, float]:
    """(seconds until every message was handed over, seconds until every one was registered)."""
    started = time.monotonic()
    sender = threading.Thread(target=smtp_source, args=(port, args.messages, args.sessions, "vanthu@so.example.test",
                                                        RCPT, args.size))
    sender.start()
    handed = None
    while True:
        if handed is None and handed_over():
            handed = time.monotonic() - started
        if _documents(url) >= before + args.messages:
            registered = time.monotonic() - started
            break
        time.sleep(0.05)
    sender.join()
    return handed or registered, registered


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--size", type=int, default=20000, help="bytes of each message body")
    parser.add_argument("--sessions", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="gateway-bench-postfix-"))
    work.chmod(0o755)
    port = free_port()
    gateway = GatewayProcess(write_config(work, port, workers=args.workers), port, work / "gateway.log")
    relay = PostfixInstance(work / "postfix", port)
    try:
        gateway.start()
        url = f"sqlite:///{work / 'data' / 'register.sqlite3'}"
        direct = _burst(port, args, url, 0, lambda: False)
        relay.write()
        relay.start()
        through = _burst(relay.port, args, url, args.messages,
                         lambda: len(relay.delivered_to(port)) >= args.messages)
        print(f"{args.messages} × {args.size} B, {args.sessions} smtp-source sessions, {args.workers} workers")
        print(f"direct:        registered {args.messages / direct[1]:7.1f} msg/s")
        print(f"through Postfix: handed over {args.messages / through[0]:7.1f} msg/s, "
              f"registered {args.messages / through[1]:7.1f} msg/s "
              f"(ratio to direct {direct[1] / through[1]:.2f})")
    finally:
        gateway.stop()
        if (relay.root / "etc").exists():
            relay.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
