"""Test helper: a burst of official-looking mail from SMTP clients that retry each message until it gets 250."""

from __future__ import annotations

import queue
import smtplib
import threading
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY

import psycopg
from conftest import port_open, wait_for

SENDER = "vanthu@ubnd.example.gov.vn"


def official_message(number: int, tag: str = "burst") -> tuple[str, bytes]:
    """(Message-ID, bytes) of a short công văn with a Vietnamese subject."""
    message_id = f"{tag}-{number}@ubnd.example.gov.vn"
    message = EmailMessage()
    message["From"] = f"Văn phòng UBND <{SENDER}>"
    message["To"] = "vanthu@localhost"
    message["Subject"] = f"Công văn số {number}/UBND-VP về việc báo cáo tình hình thực hiện"
    message["Message-ID"] = f"<{message_id}>"
    message.set_content(f"Kính gửi Sở Công Thương,\nĐề nghị quý cơ quan báo cáo. Mã {number}.\n")
    return message_id, message.as_bytes(policy=SMTP_POLICY)


def send(port: int, raw: bytes) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        client.sendmail(SENDER, ["vanthu@localhost"], raw)


class Burst:
    """Messages 1..count sent by several client threads that behave like an MTA: no 250, try again later."""

    def __init__(self, port: int, count: int, tag: str = "burst") -> None:
        self.port = port
        self.count = count
        self.pending: queue.Queue[tuple[str, bytes]] = queue.Queue()
        for number in range(1, count + 1):
            self.pending.put(official_message(number, tag))
        self.acknowledged: set[str] = set()  # Message-IDs that got their 250
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._stop = threading.Event()

    def start(self, clients: int) -> None:
        self._threads = [threading.Thread(target=self._client) for _ in range(clients)]
        for thread in self._threads:
            thread.start()

    def join(self, timeout: float = 300) -> None:
        for thread in self._threads:
            thread.join(timeout)

    def acked(self) -> int:
        with self._lock:
            return len(self.acknowledged)

    def _client(self) -> None:
        while True:
            try:
                message_id, raw = self.pending.get_nowait()
            except queue.Empty:
                return
            try:
                send(self.port, raw)
            except (OSError, smtplib.SMTPException):
                self.pending.put((message_id, raw))
                wait_for(lambda: port_open(self.port), 120, 0.1, "the gateway to come back")
                self._stop.wait(0.05)  # an MTA's retry comes later; not a tight loop against a 4xx
                continue
            with self._lock:
                self.acknowledged.add(message_id)


def registered(url: str) -> list[tuple[str, int | None]]:
    """(Message-ID, số đến) of every document in a PostgreSQL register (a libpq multi-host URL works too)."""
    with psycopg.connect(url.replace("+psycopg", ""), connect_timeout=3) as conn:
        return conn.execute("SELECT m.message_id_header, d.arrival_number FROM documents d "
                            "JOIN messages m ON m.id = d.message_id").fetchall()


def try_registered(url: str) -> list[tuple[str, int | None]]:
    """registered(), or nothing while the database does not answer."""
    try:
        return registered(url)
    except psycopg.OperationalError:
        return []


def check_once_and_gapless(rows: list[tuple[str, int | None]], acknowledged: set[str]) -> None:
    """Every acknowledged message registered exactly once (nothing else registered), số đến 1..N without a gap."""
    ids = [message_id for message_id, _ in rows]
    assert len(ids) == len(set(ids)), "a message was registered twice"
    assert set(ids) == acknowledged, "an acknowledged message was not registered"
    assert sorted(n for _, n in rows) == list(range(1, len(rows) + 1)), "số đến has a gap or a repeat"
