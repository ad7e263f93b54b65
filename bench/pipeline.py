"""End-to-end rate, SMTP → registered, for messages carrying a 2-page born-digital PDF, and peak RSS.

Runs in one go, on this machine: (1) a baseline, the same messages sent to a no-op aiosmtpd sink (the transport
ceiling); (2) `gateway serve` on SQLite in a temporary folder, timed from the first message sent until the
last one is registered. Prints both rates, the target (100 messages/s) and the peak RSS of every gateway
process (target: 200 MB each).

    .venv/bin/python bench/pipeline.py [--messages 1000] [--connections 8] [--workers 2] [--batch-size 8] [--runs 3]
                                       [--rules rules/]
"""

from __future__ import annotations

import argparse
import os
import smtplib
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))
from docgen import make_pdf  # noqa: E402  (tests/docgen.py generates the PDFs)

TARGET_RATE = 100.0
TARGET_RSS_MB = 200.0
SINK = """
import asyncio, sys
from aiosmtpd.controller import Controller
class Sink:
    async def handle_DATA(self, server, session, envelope):
        return "250 OK"
controller = Controller(Sink(), hostname="127.0.0.1", port=int(sys.argv[1]), data_size_limit=50 * 2**20)
controller.start()
sys.stdin.read()
controller.stop()
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_port(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"nothing listens on {port}")


def build_messages(count: int) -> list[bytes]:
    pages = [
        "ỦY BAN NHÂN DÂN TỈNH BÌNH DƯƠNG\nCỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nSố: {n}/UBND-KT\n"
        "V/v triển khai kế hoạch phát triển công nghiệp hỗ trợ năm 2027\nKính gửi: Sở Công Thương\n" + "Nội dung. " * 150,
        "Nơi nhận:\n- Như trên;\n- Lưu: VT.\nKT. CHỦ TỊCH\nPHÓ CHỦ TỊCH\n" + "Phụ lục. " * 150,
    ]
    template = make_pdf(pages)  # ~2 pages; the same bytes with a per-message body keep the runs comparable
    messages = []
    for n in range(count):
        message = EmailMessage()
        message["From"] = "UBND tỉnh <vanthu@ubnd.example.gov.vn>"
        message["To"] = "vanthu@localhost"
        message["Subject"] = f"Công văn số {n}/UBND-KT về việc triển khai kế hoạch"
        message["Message-ID"] = f"<bench-{n}-{time.time_ns()}@ubnd.example.gov.vn>"
        message.set_content(f"Kính gửi Sở Công Thương. Văn bản số {n}.")
        message.add_attachment(template + f"\n% {n}\n".encode(), maintype="application", subtype="pdf",
                               filename=f"Công văn {n}.pdf")
        messages.append(message.as_bytes(policy=SMTP_POLICY))
    return messages


def send_all(port: int, messages: list[bytes], connections: int) -> float:
    chunks = [messages[i::connections] for i in range(connections)]

    def client(chunk: list[bytes]) -> None:
        with smtplib.SMTP("127.0.0.1", port, timeout=60) as smtp:
            for raw in chunk:
                smtp.sendmail("vanthu@ubnd.example.gov.vn", ["vanthu@localhost"], raw)

    threads = [threading.Thread(target=client, args=(chunk,)) for chunk in chunks]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - start


def run_sink(messages: list[bytes], connections: int) -> float:
    port = free_port()
    sink = subprocess.Popen([sys.executable, "-c", SINK, str(port)], stdin=subprocess.PIPE)
    try:
        wait_port(port)
        elapsed = send_all(port, messages, connections)
    finally:
        sink.communicate(b"", timeout=30)
    return len(messages) / elapsed


def cpu_seconds(pid: int) -> dict[int, tuple[float, float]]:
    """(user, system) CPU seconds used so far by a process and each of its children."""
    result = {}
    pids = [pid] + [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    ticks = os.sysconf("SC_CLK_TCK")
    for one in pids:
        try:
            fields = Path(f"/proc/{one}/stat").read_text().rsplit(")", 1)[1].split()
            result[one] = (int(fields[11]) / ticks, int(fields[12]) / ticks)
        except FileNotFoundError:
            pass
    return result


def peak_rss_mb(pid: int) -> dict[int, float]:
    """VmHWM (peak resident set) of a process and its children, in MB."""
    result = {}
    pids = [pid] + [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    for one in pids:
        try:
            for line in Path(f"/proc/{one}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    result[one] = int(line.split()[1]) / 1024
        except FileNotFoundError:
            pass
    return result


def run_gateway(messages: list[bytes], connections: int, workers: int, batch_size: int,
                folder: Path, isolated: bool = True, rules: str = "") -> tuple[float, float, dict]:
    port = free_port()
    config = folder / "gateway.toml"
    config.write_text(
        f'[paths]\ndata_dir = "{folder / "data"}"\n[smtp]\nlisten = "127.0.0.1:{port}"\n'
        f'accept_recipients = ["vanthu@localhost"]\n[workers]\ncount = {workers}\npoll_interval = 0.05\n'
        f'batch_size = {batch_size}\n'
        f'[limits]\nextract_isolated = {"true" if isolated else "false"}\n'
        # the generated mail is unsigned: this measures the pipeline, not our DKIM check (which would hold it)
        '[trust]\nverify_dkim = "never"\n'
        '[logging]\nlevel = "WARNING"\n'
        + (f'[routing]\nrules_dir = "{Path(rules).resolve()}"\n[outbox]\nreceipt_domains = ["*.gov.vn"]\n'
           if rules else "")
    )
    daemon = subprocess.Popen([sys.executable, "-m", "gateway", "--config", str(config), "serve"],
                              cwd=HERE.parent)
    try:
        wait_port(port)
        database = folder / "data" / "register.sqlite3"
        cpu_before = cpu_seconds(daemon.pid)
        start = time.perf_counter()
        sent = send_all(port, messages, connections)
        while True:
            with sqlite3.connect(database, timeout=30) as db:
                done = db.execute("SELECT count(*) FROM documents").fetchone()[0]
            if done >= len(messages):
                break
            time.sleep(0.05)
        elapsed = time.perf_counter() - start
        rss = peak_rss_mb(daemon.pid)
        cpu = {pid: [now - before for now, before in zip(used, cpu_before.get(pid, (0.0, 0.0)))]
               for pid, used in cpu_seconds(daemon.pid).items()}
        per = 1000 / len(messages)
        print("CPU ms per message (user+system): " + ", ".join(
            f"{'daemon' if pid == daemon.pid else 'worker'} {user * per:.1f}+{system * per:.1f}"
            for pid, (user, system) in sorted(cpu.items()) if user + system > 0) + f"; wall {elapsed:.1f} s")
    finally:
        daemon.terminate()
        daemon.wait(60)
    return len(messages) / elapsed, len(messages) / sent, rss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--batch-size", type=int, default=8, help="workers.batch_size (messages per transaction)")
    parser.add_argument("--runs", type=int, default=3, help="runs; the median is reported")
    parser.add_argument("--no-isolation", action="store_true",
                        help="limits.extract_isolated = false: read attachments inside the worker (to measure the "
                             "cost of the reading child)")
    parser.add_argument("--rules", default="", help="route with this rule folder (e.g. rules/); outbound mail "
                        "is queued, not sent")
    args = parser.parse_args()
    messages = build_messages(args.messages)
    size_kb = sum(map(len, messages)) / len(messages) / 1024
    print(f"{args.messages} messages of {size_kb:.0f} KB (2-page PDF), {args.connections} connections, "
          f"{args.workers} workers, batches of up to {args.batch_size}, {os.cpu_count()} CPUs, "
          f"extraction {'in the worker' if args.no_isolation else 'in an isolated reading process'}")
    results = []
    for run in range(1, args.runs + 1):  # a fresh data folder each run; the machine is shared and noisy
        sink_rate = run_sink(messages, args.connections)
        with tempfile.TemporaryDirectory(prefix="gateway-bench-") as tmp:
            rate, accept_rate, rss = run_gateway(messages, args.connections, args.workers, args.batch_size, Path(tmp),
                                                 isolated=not args.no_isolation, rules=args.rules)
        print(f"  run {run}: sink {sink_rate:.1f}/s, gateway accepts {accept_rate:.1f}/s, registers {rate:.1f}/s")
        results.append((rate, sink_rate, accept_rate, rss))
    results.sort(key=lambda result: result[0])
    rate, sink_rate, accept_rate, rss = results[len(results) // 2]
    print(f"median of {args.runs} run(s):")
    print(f"baseline: no-op aiosmtpd sink accepts        {sink_rate:8.1f} messages/s")
    print(f"gateway: durable SMTP acceptance            {accept_rate:8.1f} messages/s")
    print(f"gateway: end to end, SMTP → registered      {rate:8.1f} messages/s "
          f"(target ≥ {TARGET_RATE:.0f}: {'PASS' if rate >= TARGET_RATE else 'FAIL'}; "
          f"{rate / sink_rate:.2f} of the sink)")
    worst = max(rss.values()) if rss else float("nan")
    print("peak RSS per process (MB): " + ", ".join(f"{pid}: {mb:.0f}" for pid, mb in sorted(rss.items())))
    print(f"largest peak RSS {worst:.0f} MB (target ≤ {TARGET_RSS_MB:.0f}: "
          f"{'PASS' if worst <= TARGET_RSS_MB else 'FAIL'}); all processes together {sum(rss.values()):.0f} MB")


if __name__ == "__main__":
    main()
