"""Benchmark: messages/s into the gateway's SMTP intake (durable spool) against a no-op aiosmtpd sink, same run.

Three servers, each in its own process, take the same burst in turn: the stock aiosmtpd sink (the baseline the
target is set against), the same no-op handler on the gateway's bulk DATA reader (so the cost of durability
alone shows), and the gateway's intake writing every message durably to a real spool.
"""

from __future__ import annotations

import argparse
import email.policy
import logging
import os
import shutil
import smtplib
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from email.message import EmailMessage
from pathlib import Path

RCPT = "vanthu@bench.test"
SENDER = "sender@example.test"
TARGET_RATIO = 0.8
KINDS = ("sink", "bulk-sink", "gateway")


class _SinkHandler:
    """Answers 250 without storing anything: the ceiling of aiosmtpd on this machine."""

    async def handle_DATA(self, server, session, envelope) -> str:
        return "250 2.0.0 OK"


def _serve_sink(bulk: bool) -> object:
    from aiosmtpd.controller import Controller

    from gateway.intake.smtp_data import BulkDataSMTP

    class BulkController(Controller):
        def factory(self):
            return BulkDataSMTP(self.handler, **self.SMTP_kwargs)

    controller = (BulkController if bulk else Controller)(
        _SinkHandler(), hostname="127.0.0.1", port=_free_port(), server_hostname="sink.bench",
        data_size_limit=50 * 1024 * 1024, enable_SMTPUTF8=True, decode_data=False,
    )
    controller.start()
    return controller


def _serve_gateway(directory: Path) -> object:
    from gateway.core.config import Config, SmtpConfig
    from gateway.intake.smtp import SmtpIntake
    from gateway.spool import Spool

    spool = Spool(directory / "spool")
    spool.ensure()
    config = Config(smtp=SmtpConfig(listen="127.0.0.1:0", hostname="gateway.bench", accept_recipients=(RCPT,)))
    intake = SmtpIntake(config, spool)
    intake.start()
    return intake


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(kind: str, directory: Path, switch_interval: float | None) -> None:
    """Child process: run one server, print its port, stop when stdin closes."""
    if switch_interval:
        sys.setswitchinterval(switch_interval)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)  # the daemon logs every message at INFO
    server = _serve_gateway(directory) if kind == "gateway" else _serve_sink(bulk=kind == "bulk-sink")
    print(f"READY {server.port}", flush=True)
    sys.stdin.read()
    server.stop()


def build_message(size: int) -> bytes:
    msg = EmailMessage()
    msg["From"] = SENDER
    msg["To"] = RCPT
    msg["Subject"] = "Công văn số 12/UBND-VP (benchmark)"
    msg.set_content("Kính gửi Sở Công Thương,\nxin gửi kèm văn bản.\n")
    payload = os.urandom(max(1, size * 3 // 4 - 600))
    msg.add_attachment(payload, maintype="application", subtype="pdf", filename="Quyết định số 5.pdf")
    return msg.as_bytes(policy=email.policy.SMTP)


def _client(port: int, raw: bytes, count: int, barrier: threading.Barrier, errors: list[str]) -> None:
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=120) as smtp:
            smtp.ehlo("bench.test")
            barrier.wait()
            for _ in range(count):
                smtp.sendmail(SENDER, [RCPT], raw)
    except Exception as err:  # noqa: BLE001 - reported as a failed run
        errors.append(repr(err))
        barrier.abort()


def send_burst(port: int, raw: bytes, messages: int, connections: int) -> float:
    """Send the messages over concurrent connections; messages per second from first to last reply."""
    shares = [messages // connections + (i < messages % connections) for i in range(connections)]
    barrier = threading.Barrier(connections + 1)
    errors: list[str] = []
    threads = [threading.Thread(target=_client, args=(port, raw, n, barrier, errors)) for n in shares]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise RuntimeError(f"{len(errors)} client(s) failed, first: {errors[0]}")
    return messages / elapsed


def start_server(kind: str, directory: Path, switch_interval: float | None) -> tuple[subprocess.Popen, int]:
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    extra = ["--switch-interval", str(switch_interval)] if switch_interval else []
    proc = subprocess.Popen(
        [sys.executable, __file__, "--serve", kind, "--dir", str(directory), *extra],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env,
    )
    line = proc.stdout.readline()
    if not line.startswith("READY "):
        proc.kill()
        raise RuntimeError(f"{kind} server did not start: {line!r}")
    return proc, int(line.split()[1])


def stop_server(proc: subprocess.Popen) -> None:
    proc.stdin.close()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--size", type=int, default=51200, help="approximate message size in bytes")
    parser.add_argument("--runs", type=int, default=2, help="runs of each server, alternating")
    parser.add_argument("--dir", help="folder for the gateway's spool (default: a temp dir in /tmp)")
    parser.add_argument(
        "--switch-interval", type=float, help="sys.setswitchinterval for both servers (default: Python's 0.005)"
    )
    parser.add_argument("--serve", choices=KINDS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve(args.serve, Path(args.dir), args.switch_interval)
        return 0
    work = Path(tempfile.mkdtemp(prefix="bench-smtp-", dir=args.dir))
    try:
        return run(args, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run(args: argparse.Namespace, work: Path) -> int:
    raw = build_message(args.size)
    print(f"{args.messages} messages of {len(raw)} bytes over {args.connections} connections, "
          f"{args.runs} run(s) each; spool in {work}")
    servers = {kind: start_server(kind, work, args.switch_interval) for kind in KINDS}
    rates: dict[str, list[float]] = {kind: [] for kind in KINDS}
    try:
        for run_no in range(1, args.runs + 1):
            for kind in KINDS:
                rate = send_burst(servers[kind][1], raw, args.messages, args.connections)
                rates[kind].append(rate)
                print(f"  run {run_no} {kind:9s} {rate:8.1f} msg/s")
            spooled = len(os.listdir(work / "spool" / "incoming"))
            if spooled != args.messages * run_no:
                print(f"FAIL: {spooled} files in the spool, expected {args.messages * run_no}")
                return 1
    finally:
        for proc, _ in servers.values():
            stop_server(proc)
    sink_rate, bulk_rate, gateway_rate = (statistics.median(rates[kind]) for kind in KINDS)
    ratio = gateway_rate / sink_rate
    for label, rate in (("stock aiosmtpd no-op sink (baseline)", sink_rate),
                        ("no-op sink on the gateway's bulk DATA reader", bulk_rate),
                        ("gateway intake, durable spool", gateway_rate)):
        print(f"{label:46s} {rate:8.1f} msg/s  ({rate * len(raw) / 1e6:5.1f} MB/s), median")
    verdict = "PASS" if ratio >= TARGET_RATIO else "FAIL"
    print(f"ratio gateway / stock sink: {ratio:.2f}  target >= {TARGET_RATIO}: {verdict}")
    print(f"ratio gateway / bulk-reader sink (cost of durability alone): {gateway_rate / bulk_rate:.2f}")
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
