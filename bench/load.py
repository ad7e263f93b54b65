"""Load test: concurrent SMTP clients with a realistic mix while the register is searched; nothing may go missing.

Starts `gateway serve` (SQLite, temporary folder) whose trusted MTA id is "mx.load.test", then for --duration
seconds runs --clients SMTP clients sending a mix of messages: 30 % with a PDF, 10 % malformed (half of them
not mail at all, which must end in bad/), 5 % forged (.gov.vn From with DMARC failing in our MTA's
Authentication-Results, which must end in quarantine/), the rest plain mail from .gov.vn senders. One thread
searches the register all the while. Reports throughput, p95 acceptance latency (DATA sent → 250), errors,
search rate, and the count check once the workers have drained: sent with 250 = registered + quarantined + bad.
The baseline printed beside it is a no-op aiosmtpd sink's acceptance rate with the same clients and messages.

    .venv/bin/python bench/load.py [--duration 60] [--clients 8] [--workers 2]
"""

from __future__ import annotations

import argparse
import random
import smtplib
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
sys.path.insert(0, str(HERE))
from docgen import make_pdf  # noqa: E402
from pipeline import SINK, free_port, wait_port  # noqa: E402

AUTHSERV = "mx.load.test"
GOV = "ubnd.example.gov.vn"


class Mix:
    """Builds the n-th message of the mix; the kind decides where it must end up."""

    def __init__(self, seed: int = 7) -> None:
        self.random = random.Random(seed)
        self.pdf = make_pdf(["ỦY BAN NHÂN DÂN TỈNH\nSố: 12/UBND-KT\nV/v kế hoạch năm 2027\n" + "Nội dung. " * 120])
        self.lock = threading.Lock()

    def next(self, n: int) -> tuple[str, bytes]:
        with self.lock:
            roll = self.random.random()
        if roll < 0.05:
            return "forged", self._mail(n, "Chỉ đạo chuyển tiền gấp", dmarc="fail")
        if roll < 0.10:
            return "junk", b"\x00\x01 not a message \xff\r\n" * 40
        if roll < 0.15:
            return "malformed", (f"From: vt{n}@{GOV}\r\nAuthentication-Results: {AUTHSERV}; dmarc=pass\r\n"
                                 f"Subject: =?utf-8?q?h=FF=FE?= {n}\r\nMIME-Version: 1.0\r\nMessage-ID: <load-m{n}-"
                                 f"{time.time_ns()}@x>\r\nContent-Type: multipart/mixed; boundary=\"B\"\r\n\r\n"
                                 "--B\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64"
                                 "\r\n\r\n!!!not base64@@\r\n--B\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.4 cut"
                                 ).encode() + b"\xff\xfe\r\n"
        if roll < 0.45:
            return "pdf", self._mail(n, f"Công văn số {n}/UBND-KT", pdf=True)
        return "plain", self._mail(n, f"Thông báo số {n} về lịch họp")

    def _mail(self, n: int, subject: str, dmarc: str = "pass", pdf: bool = False) -> bytes:
        message = EmailMessage()
        message["Authentication-Results"] = f"{AUTHSERV}; spf=pass smtp.mailfrom={GOV}; dmarc={dmarc} header.from={GOV}"
        message["From"] = f"Văn thư <vt{n % 50}@{GOV}>"
        message["To"] = "vanthu@localhost"
        message["Subject"] = subject
        message["Message-ID"] = f"<load-{n}-{time.time_ns()}@{GOV}>"
        message.set_content(f"Kính gửi Sở. Văn bản số {n}.")
        if pdf:
            message.add_attachment(self.pdf + f"\n% {n}\n".encode(), maintype="application", subtype="pdf",
                                   filename=f"Công văn {n}.pdf")
        return message.as_bytes(policy=SMTP_POLICY)


class Stats:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latencies: list[float] = []
        self.accepted: dict[str, int] = {}
        self.errors: list[str] = []

    def ok(self, kind: str, latency: float) -> None:
        with self.lock:
            self.latencies.append(latency)
            self.accepted[kind] = self.accepted.get(kind, 0) + 1

    def error(self, text: str) -> None:
        with self.lock:
            self.errors.append(text)


def client(port: int, mix: Mix, counter, stop: threading.Event, stats: Stats) -> None:
    smtp = None
    while not stop.is_set():
        try:
            if smtp is None:
                smtp = smtplib.SMTP("127.0.0.1", port, timeout=60)
                smtp.ehlo("load.test")
            kind, raw = mix.next(next(counter))
            started = time.perf_counter()
            smtp.mail(f"vt@{GOV}")
            smtp.rcpt("vanthu@localhost")
            code, reply = smtp.data(raw)
            if code == 250:
                stats.ok(kind, time.perf_counter() - started)
            else:
                stats.error(f"{code} {reply[:80]!r}")
        except (smtplib.SMTPException, OSError) as err:
            stats.error(f"{type(err).__name__}: {str(err)[:80]}")
            smtp = None
    if smtp is not None:
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            pass


def searcher(config_path: Path, stop: threading.Event, result: dict) -> None:
    from gateway.core.config import load_config
    from gateway.register.query import SearchQuery
    from gateway.register.service import Register

    register = None
    queries = ("công văn", "cong van", "lịch họp", "UBND-KT", "thong bao", "kế hoạch 2027")
    while not stop.is_set():
        try:
            if register is None:
                register = Register.open(load_config(config_path))
            started = time.perf_counter()
            register.search(SearchQuery(text=queries[result["searches"] % len(queries)], limit=20))
            result["times"].append(time.perf_counter() - started)
            result["searches"] += 1
        except Exception as err:  # noqa: BLE001 - counted and reported; the schema may not exist at the start
            result["errors"] += 1
            result["last_error"] = f"{type(err).__name__}: {err}"[:200]
            time.sleep(0.2)
    if register is not None:
        register.close()


def run_clients(port: int, clients: int, duration: float, mix: Mix) -> Stats:
    import itertools

    stats, stop = Stats(), threading.Event()
    counter = itertools.count()
    threads = [threading.Thread(target=client, args=(port, mix, counter, stop, stats)) for _ in range(clients)]
    for thread in threads:
        thread.start()
    time.sleep(duration)
    stop.set()
    for thread in threads:
        thread.join()
    return stats


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[int(0.95 * (len(ordered) - 1))] if ordered else float("nan")


def settled_counts(data: Path) -> tuple[int, int, int, int]:
    """(registered arrivals, quarantined, bad, still waiting) as the data folder shows them now."""
    spool = data / "spool"
    waiting = sum(1 for q in ("incoming", "claimed") for _ in (spool / q).glob("*.msg"))
    with sqlite3.connect(data / "register.sqlite3", timeout=60) as db:
        arrivals = db.execute("SELECT count(*) FROM arrivals").fetchone()[0]
    return (arrivals, sum(1 for _ in (spool / "quarantine").glob("*.msg")),
            sum(1 for _ in (spool / "bad").glob("*.msg")), waiting)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of sending (default 60)")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--baseline-seconds", type=float, default=10.0, help="seconds against the no-op sink")
    args = parser.parse_args()

    sink_port = free_port()
    sink = subprocess.Popen([sys.executable, "-c", SINK, str(sink_port)], stdin=subprocess.PIPE)
    try:
        wait_port(sink_port)
        base = run_clients(sink_port, args.clients, args.baseline_seconds, Mix())
    finally:
        sink.communicate(b"", timeout=30)
    base_rate = len(base.latencies) / args.baseline_seconds

    with tempfile.TemporaryDirectory(prefix="gateway-load-") as tmp:
        folder = Path(tmp)
        port = free_port()
        config = folder / "gateway.toml"
        config.write_text(
            f'[paths]\ndata_dir = "{folder / "data"}"\n[smtp]\nlisten = "127.0.0.1:{port}"\n'
            f'accept_recipients = ["vanthu@localhost"]\n[workers]\ncount = {args.workers}\npoll_interval = 0.05\n'
            f'[trust]\ntrusted_authserv_ids = ["{AUTHSERV}"]\n[logging]\nlevel = "WARNING"\n')
        log = (folder / "gateway.log").open("wb")  # quarantine and bad/ warnings would drown the report
        daemon = subprocess.Popen([sys.executable, "-m", "gateway", "--config", str(config), "serve"],
                                  cwd=HERE.parent, stdout=log, stderr=subprocess.STDOUT)
        search = {"searches": 0, "errors": 0, "times": [], "last_error": ""}
        stop_search = threading.Event()
        try:
            wait_port(port)
            finder = threading.Thread(target=searcher, args=(config, stop_search, search))
            finder.start()
            started = time.perf_counter()
            stats = run_clients(port, args.clients, args.duration, Mix())
            sent_for = time.perf_counter() - started
            deadline = time.monotonic() + 600
            while True:
                registered, quarantined, bad, waiting = settled_counts(folder / "data")
                if not waiting or time.monotonic() > deadline:
                    break
                time.sleep(0.2)
            drained_for = time.perf_counter() - started
            stop_search.set()
            finder.join()
            alive = daemon.poll() is None
        finally:
            stop_search.set()
            daemon.terminate()
            daemon.wait(60)
            log.close()
            if daemon.returncode not in (0, -15):
                print((folder / "gateway.log").read_text(errors="replace")[-3000:])

    accepted = len(stats.latencies)
    expected_bad = stats.accepted.get("junk", 0)
    expected_quarantine = stats.accepted.get("forged", 0)
    print(f"{args.clients} SMTP clients for {args.duration:g} s, {args.workers} workers, register searched meanwhile")
    print(f"mix accepted: {dict(sorted(stats.accepted.items()))}")
    print(f"baseline: no-op aiosmtpd sink accepts        {base_rate:8.1f} messages/s "
          f"(p95 {p95(base.latencies) * 1000:.1f} ms)")
    print(f"gateway: accepted with 250                  {accepted / sent_for:8.1f} messages/s "
          f"({accepted} in {sent_for:.1f} s)")
    print(f"gateway: p95 acceptance latency             {p95(stats.latencies) * 1000:8.1f} ms")
    print(f"gateway: settled (registered/quarantined/bad) {accepted / drained_for:6.1f} messages/s "
          f"(all done {drained_for:.1f} s after the start)")
    print(f"errors: {len(stats.errors)} SMTP" + (f" (first: {stats.errors[0]})" if stats.errors else "")
          + f"; {search['errors']} search" + (f" (last: {search['last_error']})" if search["errors"] else ""))
    print(f"searches: {search['searches']} ({search['searches'] / drained_for:.1f}/s, "
          f"p95 {p95(search['times']) * 1000:.1f} ms)")
    total = registered + quarantined + bad
    ok = total == accepted and not waiting
    print(f"count check: sent with 250 = {accepted}; registered {registered} + quarantined {quarantined} + bad {bad} "
          f"= {total}; still waiting {waiting}: {'PASS' if ok else 'FAIL'}")
    print(f"expected: quarantined ≥ {expected_quarantine} (forged), bad ≥ {expected_bad} (not mail): "
          f"{'PASS' if quarantined >= expected_quarantine and bad >= expected_bad else 'FAIL'}; "
          f"daemon alive at the end: {alive}")
    sys.exit(0 if ok and alive else 1)


if __name__ == "__main__":
    main()
