"""End-to-end rate, SMTP → registered, for messages carrying a 2-page born-digital PDF, and peak RSS.

Runs in one go, on this machine, with the same messages: (1) the no-op aiosmtpd sink (the transport ceiling);
(2) the bare pipeline: the same libraries with no framework (stock aiosmtpd → file + fsync → stdlib email parse
→ pypdfium2 text → SQLite WAL + FTS5 row with a yearly counter, one transaction per message, all in the
handler); (3) `gateway serve` on SQLite in a temporary folder, timed from the first message sent until the
last one is registered. Prints the rates, the gateway's ratio to the bare pipeline (goal ≥ 0.5), the CPU per
message of each kind of process, the target rate and the peak RSS of every gateway process (target: 200 MB
each).

    .venv/bin/python bench/pipeline.py [--messages 1000] [--connections 8] [--workers 2] [--batch-size 8] [--runs 3]
                                       [--rules rules/] [--growth 100000]

--growth N also runs the gateway, in each run, on a register already holding N documents (bulk-loaded with
bench/search.py's builder, outside the timing) and prints its rate beside the rate on the empty register
(goal: ≥ 0.9).
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

TARGET_RATE = 150.0
TARGET_RATIO = 0.5
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
BARE = """
import email, email.policy, os, sqlite3, sys, time
import pypdfium2 as pdfium
from aiosmtpd.controller import Controller
folder = sys.argv[2]
db = sqlite3.connect(os.path.join(folder, "register.sqlite3"), isolation_level=None, check_same_thread=False)
db.execute("PRAGMA journal_mode=WAL")
db.execute("PRAGMA synchronous=FULL")  # as the register: durable commits
db.execute("CREATE TABLE counters (year INTEGER PRIMARY KEY, last INTEGER NOT NULL)")
db.execute("CREATE TABLE documents (id INTEGER PRIMARY KEY, number INTEGER, year INTEGER, message_id TEXT, "
           "sender TEXT, subject TEXT, filename TEXT, text TEXT)")
db.execute("CREATE VIRTUAL TABLE documents_fts USING fts5(subject, text, tokenize='unicode61 remove_diacritics 2')")
class Bare:
    def __init__(self):
        self.count = 0
    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        path = os.path.join(folder, f"{time.time_ns()}-{self.count}.eml")
        with open(path, "wb") as handle:
            handle.write(envelope.original_content)
            handle.flush()
            os.fsync(handle.fileno())
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        text, filename = "", ""
        for part in message.iter_attachments():
            if part.get_content_type() == "application/pdf":
                filename = part.get_filename() or ""
                pdf = pdfium.PdfDocument(part.get_content())
                pages = []
                for page in pdf:
                    textpage = page.get_textpage()
                    pages.append(textpage.get_text_range())
                    textpage.close()
                    page.close()
                pdf.close()
                text = "\\f".join(pages)
        year = time.gmtime().tm_year
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT INTO counters VALUES (?, 1) ON CONFLICT(year) DO UPDATE SET last = last + 1", (year,))
        number = db.execute("SELECT last FROM counters WHERE year = ?", (year,)).fetchone()[0]
        cursor = db.execute("INSERT INTO documents (number, year, message_id, sender, subject, filename, text) "
                            "VALUES (?, ?, ?, ?, ?, ?, ?)", (number, year, str(message["Message-ID"]),
                            str(message["From"]), str(message["Subject"]), filename, text))
        db.execute("INSERT INTO documents_fts (rowid, subject, text) VALUES (?, ?, ?)",
                   (cursor.lastrowid, str(message["Subject"]), text))
        db.execute("COMMIT")
        return "250 OK"
controller = Controller(Bare(), hostname="127.0.0.1", port=int(sys.argv[1]), data_size_limit=50 * 2**20)
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


def run_bare(messages: list[bytes], connections: int) -> tuple[float, float]:
    """The bare pipeline's rate (first message sent → last one committed) and its CPU ms per message."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="gateway-bench-bare-") as tmp:
        bare = subprocess.Popen([sys.executable, "-c", BARE, str(port), tmp], stdin=subprocess.PIPE)
        try:
            wait_port(port)
            before = sum(map(sum, cpu_seconds(bare.pid).values()))
            start = time.perf_counter()
            send_all(port, messages, connections)
            wait_count(Path(tmp) / "register.sqlite3", len(messages))
            elapsed = time.perf_counter() - start
            used = sum(map(sum, cpu_seconds(bare.pid).values())) - before
        finally:
            bare.communicate(b"", timeout=30)
    return len(messages) / elapsed, used * 1000 / len(messages)


def wait_count(database: Path, count: int) -> None:
    """Until the database at ``database`` holds ``count`` documents."""
    while True:
        with sqlite3.connect(database, timeout=30) as db:
            if db.execute("SELECT count(*) FROM documents").fetchone()[0] >= count:
                return
        time.sleep(0.05)


def process_tree(pid: int, depth: int = 0) -> list[tuple[int, int]]:
    """(pid, depth) of a process and its descendants: the daemon 0, its workers 1, their reading children 2."""
    try:
        children = [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except FileNotFoundError:
        return []
    return [(pid, depth)] + [one for child in children for one in process_tree(child, depth + 1)]


def cpu_seconds(pid: int) -> dict[int, tuple[float, float]]:
    """(user, system) CPU seconds used so far by a process and each of its descendants."""
    result = {}
    ticks = os.sysconf("SC_CLK_TCK")
    for one, _ in process_tree(pid):
        try:
            fields = Path(f"/proc/{one}/stat").read_text().rsplit(")", 1)[1].split()
            result[one] = (int(fields[11]) / ticks, int(fields[12]) / ticks)
        except FileNotFoundError:
            pass
    return result


KINDS = {0: "daemon", 1: "workers", 2: "reading children"}


def cpu_by_kind(pid: int, before: dict[int, tuple[float, float]]) -> dict[str, float]:
    """CPU seconds (user + system) used since ``before`` by each kind of process in the tree under ``pid``."""
    depths = dict(process_tree(pid))
    totals: dict[str, float] = {}
    for one, used in cpu_seconds(pid).items():
        kind = KINDS.get(depths.get(one, 3), "other")
        totals[kind] = totals.get(kind, 0.0) + sum(used) - sum(before.get(one, (0.0, 0.0)))
    return totals


def peak_rss_mb(pid: int) -> dict[int, float]:
    """VmHWM (peak resident set) of a process and its descendants, in MB."""
    result = {}
    for one, _ in process_tree(pid):
        try:
            for line in Path(f"/proc/{one}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    result[one] = int(line.split()[1]) / 1024
        except FileNotFoundError:
            pass
    return result


def prefill(folder: Path, documents: int) -> None:
    """A register in ``folder``/data already holding ``documents`` synthetic documents (not timed)."""
    from search import build  # bench/search.py: the bulk loader of the million-document register

    from gateway.core.config import Config, PathsConfig
    from gateway.register.service import Register

    register = Register(Config(paths=PathsConfig(data_dir=str(folder / "data"))))
    try:
        register.upgrade()
        build(register, documents)
    finally:
        register.close()


def run_gateway(messages: list[bytes], connections: int, workers: int, batch_size: int,
                folder: Path, isolated: bool = True, rules: str = "", held: int = 0) -> tuple[float, float, dict]:
    """Rate of ``gateway serve`` in ``folder`` (whose register may already hold ``held`` documents)."""
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
        wait_count(database, held + len(messages))
        elapsed = time.perf_counter() - start
        rss = peak_rss_mb(daemon.pid)
        cpu = {kind: seconds * 1000 / len(messages) for kind, seconds in cpu_by_kind(daemon.pid, cpu_before).items()}
    finally:
        daemon.terminate()
        daemon.wait(60)
    return len(messages) / elapsed, len(messages) / sent, rss, cpu


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
    parser.add_argument("--growth", type=int, default=0, metavar="N",
                        help="also run on a register already holding N documents and print the ratio")
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
        bare_rate, bare_cpu = run_bare(messages, args.connections)
        with tempfile.TemporaryDirectory(prefix="gateway-bench-") as tmp:
            rate, accept_rate, rss, cpu = run_gateway(messages, args.connections, args.workers, args.batch_size,
                                                      Path(tmp), isolated=not args.no_isolation, rules=args.rules)
        print(f"  run {run}: sink {sink_rate:.1f}/s, bare pipeline {bare_rate:.1f}/s ({bare_cpu:.1f} ms CPU/msg), "
              f"gateway accepts {accept_rate:.1f}/s, registers {rate:.1f}/s (ratio to bare {rate / bare_rate:.2f}; "
              f"{sum(cpu.values()):.1f} ms CPU/msg: "
              + ", ".join(f"{kind} {ms:.1f}" for kind, ms in sorted(cpu.items())) + ")")
        results.append((rate / bare_rate, rate, sink_rate, bare_rate, accept_rate, rss))
        if args.growth:
            with tempfile.TemporaryDirectory(prefix="gateway-bench-") as tmp:
                prefill(Path(tmp), args.growth)
                full_rate, _, _, full_cpu = run_gateway(messages, args.connections, args.workers, args.batch_size,
                                                        Path(tmp), isolated=not args.no_isolation, rules=args.rules,
                                                        held=args.growth)
            print(f"  run {run}: with {args.growth:,} documents already registered: {full_rate:.1f}/s "
                  f"({sum(full_cpu.values()):.1f} ms CPU/msg), {full_rate / rate:.2f} of the rate on an empty "
                  f"register (goal ≥ 0.9)")
    results.sort(key=lambda result: result[0])
    ratio, rate, sink_rate, bare_rate, accept_rate, rss = results[len(results) // 2]
    ratios = [result[0] for result in results]
    print(f"median of {args.runs} run(s) (by the ratio to bare; ratios min/median/max "
          f"{ratios[0]:.2f} / {ratio:.2f} / {ratios[-1]:.2f}):")
    print(f"baseline: no-op aiosmtpd sink accepts        {sink_rate:8.1f} messages/s")
    print(f"baseline: bare pipeline registers           {bare_rate:8.1f} messages/s")
    print(f"gateway: durable SMTP acceptance            {accept_rate:8.1f} messages/s")
    print(f"gateway: end to end, SMTP → registered      {rate:8.1f} messages/s "
          f"(target ≥ {TARGET_RATE:.0f}: {'PASS' if rate >= TARGET_RATE else 'FAIL'}; "
          f"{ratio:.2f} of the bare pipeline, target ≥ {TARGET_RATIO}: {'PASS' if ratio >= TARGET_RATIO else 'FAIL'}; "
          f"{rate / sink_rate:.2f} of the sink)")
    worst = max(rss.values()) if rss else float("nan")
    print("peak RSS per process (MB): " + ", ".join(f"{pid}: {mb:.0f}" for pid, mb in sorted(rss.items())))
    print(f"largest peak RSS {worst:.0f} MB (target ≤ {TARGET_RSS_MB:.0f}: "
          f"{'PASS' if worst <= TARGET_RSS_MB else 'FAIL'}); all processes together {sum(rss.values()):.0f} MB")


if __name__ == "__main__":
    main()
