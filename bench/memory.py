"""Memory per worker, the figure behind the systemd unit's MemoryMax: a worker with its reading child (and the
tesseract processes either starts) while they read a mix of documents, scans and background OCR included.

Runs `gateway serve` on SQLite in a temporary folder, sends the mix over SMTP, waits until every message is
registered and every background OCR job done, and samples every process of the daemon's tree meanwhile
(PSS from /proc/PID/smaps_rollup: shared pages counted once, as the memory cgroup charges them; RSS summed as
an upper bound). Prints, per worker, the peak of the worker's whole subtree beside the baseline of the same run
(the same subtree idle after start), the daemon process's own peak, and the figures `gateway config memory`
uses for MemoryMax (gateway/ops/memory.py) with PASS when the measured peaks fit under them.

    .venv/bin/python bench/memory.py [--workers 2] [--rounds 2]
"""

from __future__ import annotations

import argparse
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
sys.path.insert(0, str(HERE.parent))
from docgen import make_docx, make_official_pdf, make_pdf, make_zip, scan_of  # noqa: E402
from pipeline import free_port, send_all, wait_port  # noqa: E402

from gateway.ops.memory import DAEMON_MIB, WORKER_MIB  # noqa: E402

MiB = 1024 * 1024
SAMPLE_EVERY = 0.05


def official(number: int, title: str) -> bytes:
    return make_official_pdf(organ=("ỦY BAN NHÂN DÂN", "TỈNH BÌNH DƯƠNG"), number=str(number), notation="UBND-KT",
                             place="Bình Dương", day="12", month="05", year="2026", vv=(f"V/v {title}",),
                             body="Nội dung văn bản. " * 60, signer=("KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"),
                             signer_name="Nguyễn Văn An", recipients=("Như trên", "Lưu: VT"))


def png_scan(pdf: bytes) -> bytes:
    """A 300 dpi photo-like PNG of the PDF's first page, as a scanner attaches it."""
    import io

    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(pdf)
    image = document[0].render(scale=300 / 72).to_pil().convert("L")
    document.close()
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def build_mix() -> list[tuple[str, list[tuple[str, bytes, str]]]]:
    """(label, attachments) of each kind of message the reader meets, the heavy ones included."""
    text_pages = [f"Trang {n}. " + "Nội dung báo cáo tình hình thực hiện kế hoạch. " * 40 for n in range(200)]
    scan_pages = [official(7, "kiểm tra an toàn"), *(make_pdf([f"Phụ lục {n}: " + "số liệu " * 120]) for n in range(8)),
                  make_pdf(["Nơi nhận:\n- Như trên;\nKT. CHỦ TỊCH\nPHÓ CHỦ TỊCH\n\n\nNguyễn Văn An"])]
    return [
        ("text PDF, 2 pages", [("cv.pdf", official(1, "kế hoạch năm 2026"), "application/pdf")]),
        ("DOCX", [("cv.docx", make_docx(["CÔNG VĂN", "V/v báo cáo", "Nội dung. " * 200]),
                   "application/vnd.openxmlformats-officedocument.wordprocessingml.document")]),
        ("ZIP of 3 PDFs", [("ho-so.zip", make_zip({f"{n}.pdf": official(n, "hồ sơ") for n in range(3)}),
                            "application/zip")]),
        ("text PDF, 200 pages", [("bao-cao.pdf", make_pdf(text_pages), "application/pdf")]),
        ("scan, 10 pages (OCR now and in the background)", [("scan.pdf", scan_of(*scan_pages, dpi=200),
                                                              "application/pdf")]),
        ("PNG scan, 300 dpi", [("scan.png", png_scan(official(9, "phòng cháy")), "image/png")]),
    ]


def messages_of(mix, rounds: int) -> list[bytes]:
    out = []
    for round_ in range(rounds):
        for n, (label, attachments) in enumerate(mix):
            message = EmailMessage()
            message["From"] = "UBND tỉnh <vanthu@ubnd.example.gov.vn>"
            message["To"] = "vanthu@localhost"
            message["Subject"] = f"Công văn {round_}-{n}: {label}"
            message["Message-ID"] = f"<memory-{round_}-{n}-{time.time_ns()}@ubnd.example.gov.vn>"
            message.set_content("Kính gửi Sở Công Thương.")
            for name, data, mimetype in attachments:
                maintype, _, subtype = mimetype.partition("/")
                message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
            out.append(message.as_bytes(policy=SMTP_POLICY))
    return out


def children(pid: int) -> list[int]:
    found = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            found += [int(p) for p in (task / "children").read_text().split()]
    except (FileNotFoundError, ProcessLookupError):
        pass
    return found


def subtree(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        one = todo.pop()
        out.append(one)
        todo += children(one)
    return out


def memory(pid: int) -> tuple[int, int]:
    """(PSS, RSS) of one process in bytes; (0, 0) once it is gone."""
    pss = rss = 0
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                pss = int(line.split()[1]) * 1024
            elif line.startswith("Rss:"):
                rss = int(line.split()[1]) * 1024
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        pass
    return pss, rss


def is_worker(pid: int) -> bool:
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
    except FileNotFoundError:
        return False
    return b"multiprocessing.spawn" in command and b"resource_tracker" not in command


class Sampler(threading.Thread):
    """Peak PSS (and RSS) of the daemon process and of each worker's subtree, while it runs."""

    def __init__(self, daemon: int) -> None:
        super().__init__(daemon=True)
        self.root = daemon
        self.stop = threading.Event()
        self.main_peak = (0, 0)
        self.worker_peak: dict[int, tuple[int, int]] = {}
        self.processes_seen: set[int] = set()

    def sample(self) -> tuple[tuple[int, int], dict[int, tuple[int, int]]]:
        main = memory(self.root)
        workers = {}
        for pid in children(self.root):
            if not is_worker(pid):
                continue
            tree = subtree(pid)
            self.processes_seen.update(tree)
            sizes = [memory(one) for one in tree]
            workers[pid] = (sum(s[0] for s in sizes), sum(s[1] for s in sizes))
        return main, workers

    def run(self) -> None:
        while not self.stop.wait(SAMPLE_EVERY):
            main, workers = self.sample()
            self.main_peak = max(self.main_peak, main)
            for pid, sizes in workers.items():
                old = self.worker_peak.get(pid, (0, 0))
                self.worker_peak[pid] = (max(old[0], sizes[0]), max(old[1], sizes[1]))


def wait_done(database: Path, count: int, timeout: float) -> float:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        try:
            with sqlite3.connect(database, timeout=30) as db:
                registered = db.execute("SELECT count(*) FROM documents").fetchone()[0]
                ocr_waiting = db.execute("SELECT count(*) FROM ocr_jobs WHERE state IN ('pending', 'running')"
                                         ).fetchone()[0]
        except sqlite3.OperationalError:
            registered, ocr_waiting = 0, 1
        if registered >= count and ocr_waiting == 0:
            return time.monotonic() - start
        time.sleep(0.5)
    raise SystemExit(f"not done after {timeout:.0f} s: {registered}/{count} registered, {ocr_waiting} OCR jobs left")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=1800)
    args = parser.parse_args()
    mix = build_mix()
    messages = messages_of(mix, args.rounds)
    print(f"{len(messages)} messages ({args.rounds} × {', '.join(label for label, _ in mix)}), "
          f"{args.workers} worker(s); sizes {min(map(len, messages)) // 1024}–{max(map(len, messages)) // 1024} KB")
    with tempfile.TemporaryDirectory(prefix="gateway-memory-") as tmp:
        folder = Path(tmp)
        port = free_port()
        config = folder / "gateway.toml"
        config.write_text(f'[paths]\ndata_dir = "{folder / "data"}"\n[smtp]\nlisten = "127.0.0.1:{port}"\n'
                          'accept_recipients = ["vanthu@localhost"]\n'
                          f'[workers]\ncount = {args.workers}\npoll_interval = 0.05\n'
                          '[trust]\nother_action = "accept"\n[logging]\nlevel = "WARNING"\n')
        daemon = subprocess.Popen([sys.executable, "-m", "gateway", "--config", str(config), "serve"], cwd=HERE.parent)
        sampler = Sampler(daemon.pid)
        try:
            wait_port(port)
            time.sleep(3)  # the workers import their modules and fork their reading child: the idle baseline
            idle_main, idle_workers = sampler.sample()
            sampler.start()
            send_all(port, messages, 2)
            elapsed = wait_done(folder / "data" / "register.sqlite3", len(messages), args.timeout)
        finally:
            sampler.stop.set()
            daemon.terminate()
            daemon.wait(120)
    peaks = sampler.worker_peak
    print(f"done in {elapsed:.0f} s; {len(sampler.processes_seen)} processes seen under the workers")
    print(f"daemon process: idle {idle_main[0] / MiB:.0f} MiB (baseline), peak {sampler.main_peak[0] / MiB:.0f} MiB "
          f"PSS ({sampler.main_peak[1] / MiB:.0f} MiB RSS)")
    for pid, (pss, rss) in sorted(peaks.items()):
        idle = idle_workers.get(pid, (0, 0))
        print(f"worker {pid} with its children: idle {idle[0] / MiB:.0f} MiB PSS (baseline), "
              f"peak {pss / MiB:.0f} MiB PSS ({rss / MiB:.0f} MiB RSS summed)")
    worst = max((pss for pss, _ in peaks.values()), default=0) / MiB
    print(f"per worker: peak {worst:.0f} MiB; MemoryMax uses {WORKER_MIB} MiB per worker and {DAEMON_MIB} MiB for "
          f"the daemon: {'PASS' if worst <= WORKER_MIB and sampler.main_peak[0] / MiB <= DAEMON_MIB else 'FAIL'}")


if __name__ == "__main__":
    main()
