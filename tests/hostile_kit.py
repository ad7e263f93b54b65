"""One shared gateway daemon for the hostile-input suite, and builders of hostile files and messages."""

from __future__ import annotations

import io
import json
import os
import signal
import smtplib
import sqlite3
import subprocess
import sys
import time
import zipfile
import zlib
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import REPO, free_port, port_open, wait_for
from dnsstub import StubDns, make_key, sign

from gateway.cli import main

GOV = "ubnd.example.gov.vn"
AUTHSERV = "mx.sct.example.gov.vn"
IDLE_TIMEOUT = 3
MAX_SMTP_SIZE = 8 * 2**20


class HostileGateway:
    """`gateway serve` with strict limits and sender checks; helpers to send mail and see what became of it."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.private, public = make_key(folder)
        self.dns = StubDns({f"sel._domainkey.{GOV}": f"v=DKIM1; k=rsa; p={public}"})
        self.port = free_port()
        self.data = folder / "data"
        self.config = folder / "gateway.toml"
        self.config.write_text(f"""
[paths]
data_dir = "{self.data}"
[smtp]
listen = "127.0.0.1:{self.port}"
accept_recipients = ["vanthu@localhost"]
accept_domains = ["sct.example.gov.vn"]
idle_timeout = {IDLE_TIMEOUT}
max_message_size = {MAX_SMTP_SIZE}
[workers]
count = 2
poll_interval = 0.05
[trust]
other_action = "quarantine"
domain_overrides = ["spam.example.net=reject"]
trusted_authserv_ids = ["{AUTHSERV}"]
verify_dkim = true
dns_servers = ["{self.dns.address}"]
dns_timeout = 2.0
[limits]
pdf_max_pages = 100
zip_max_members = 500
max_parts = 2000
max_depth = 30
max_attachments = 100
pdf_max_objects = 20000
extract_timeout = 20.0
extract_memory = 1073741824
""", encoding="utf-8")
        self.log_path = folder / "gateway.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gateway", "--config", str(self.config), "serve"], stdout=log,
                stderr=subprocess.STDOUT, cwd=REPO, start_new_session=True)
        wait_for(lambda: port_open(self.port), 60, what="hostile gateway to listen")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        self.dns.close()

    def assert_up(self) -> None:
        """The daemon still runs, answers SMTP and its workers keep registering."""
        assert self.process.poll() is None, self.log_path.read_text(errors="replace")[-3000:]
        with smtplib.SMTP("127.0.0.1", self.port, timeout=10) as smtp:
            assert smtp.noop()[0] == 250

    def send(self, raw: bytes, mail_from: str = f"vt@{GOV}", rcpt: str = "vanthu@localhost") -> str:
        """Deliver over SMTP; the spool id from the 250 reply."""
        with smtplib.SMTP("127.0.0.1", self.port, timeout=30) as smtp:
            smtp.ehlo("client.test")
            smtp.mail(mail_from)
            code, reply = smtp.rcpt(rcpt)
            assert code == 250, reply
            code, reply = smtp.data(raw)
            assert code == 250, reply
        return reply.decode().rsplit(" ", 1)[1]

    def signed(self, raw: bytes) -> bytes:
        return sign(raw, GOV, self.private)

    def outcome(self, spool_id: str, timeout: float = 90.0) -> tuple[str, object]:
        """("registered", document id) | ("quarantined", reason) | ("bad", reason), once the workers are done."""
        found: list[tuple[str, object]] = []

        def settled() -> bool:
            spool = self.data / "spool"
            if (spool / "quarantine" / f"{spool_id}.msg").exists():
                record = json.loads((spool / "quarantine" / f"{spool_id}.quarantine.json").read_text())
                found.append(("quarantined", record["reason"]))
                return True
            if (spool / "bad" / f"{spool_id}.msg").exists():
                found.append(("bad", (spool / "bad" / f"{spool_id}.reason.txt").read_text(errors="replace")))
                return True
            database = self.data / "register.sqlite3"
            if database.exists():
                with sqlite3.connect(database, timeout=30) as db:
                    row = db.execute("SELECT d.id FROM arrivals a JOIN documents d ON d.message_id = a.message_id "
                                     "WHERE a.spool_id = ?", (spool_id,)).fetchone()
                if row:
                    found.append(("registered", row[0]))
                    return True
            return False

        wait_for(settled, timeout, interval=0.1, what=f"spool {spool_id} to be settled")
        return found[0]

    def registered(self, raw: bytes, **send) -> int:
        kind, value = self.outcome(self.send(raw, **send))
        assert kind == "registered", (kind, value)
        self.assert_up()
        return int(value)

    def quarantined(self, raw: bytes, **send) -> str:
        kind, value = self.outcome(self.send(raw, **send))
        assert kind == "quarantined", (kind, value)
        self.assert_up()
        return str(value)

    def attachments(self, document_id: int) -> list[dict]:
        with sqlite3.connect(self.data / "register.sqlite3", timeout=30) as db:
            db.row_factory = sqlite3.Row
            return [dict(r) for r in db.execute(
                "SELECT filename, member_path, sniffed_type, extract_status, extract_detail, text, page_count "
                "FROM attachments WHERE document_id = ? ORDER BY id", (document_id,))]

    def message_row(self, document_id: int) -> dict:
        with sqlite3.connect(self.data / "register.sqlite3", timeout=30) as db:
            db.row_factory = sqlite3.Row
            return dict(db.execute("SELECT m.* FROM messages m JOIN documents d ON d.message_id = m.id "
                                   "WHERE d.id = ?", (document_id,)).fetchone())

    def cli(self, *args: str, code: int = 0) -> str:
        result = CliRunner().invoke(main, ["--config", str(self.config), *args], catch_exceptions=False)
        assert result.exit_code == code, f"exit {result.exit_code}: {result.output}"
        return result.output


@pytest.fixture(scope="session")
def hostile(tmp_path_factory):
    gateway = HostileGateway(tmp_path_factory.mktemp("hostile"))
    gateway.start()
    yield gateway
    gateway.stop()


# --- messages ------------------------------------------------------------------------------------------------

def mail(subject: str = "Công văn", body: str = "Nội dung.", attachments: list[tuple[str, bytes, str]] | None = None,
         sender: str = f"Văn thư <vt@{GOV}>", signed_by: HostileGateway | None = None, headers: str = "") -> bytes:
    """A message from the allowed, DKIM-signed government sender unless told otherwise."""
    from docgen import make_message

    raw = make_message(subject, body, attachments, sender=sender, to="vanthu@localhost")
    if headers:
        raw = headers.encode("utf-8", "surrogateescape").replace(b"\n", b"\r\n") + raw
    return signed_by.signed(raw) if signed_by else raw


def raw_mail(head: bytes, body: bytes = b"Noi dung.\r\n", signed_by: HostileGateway | None = None) -> bytes:
    """A message assembled from raw header bytes (for what EmailMessage refuses to build)."""
    raw = (b"From: Van thu <vt@" + GOV.encode() + b">\r\nTo: vanthu@localhost\r\nDate: Mon, 3 Mar 2025 08:15:00 +0700\r\n"
           + b"Message-ID: <" + str(time.time_ns()).encode() + b"@hostile.test>\r\n" + head + b"\r\n" + body)
    return signed_by.signed(raw) if signed_by else raw


def zip_bytes(members: list[tuple[str, bytes]], level: int = 9) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return buffer.getvalue()


def pdf_bytes(objects: list[bytes], root: int = 1) -> bytes:
    """A PDF with the given objects (numbered from 1) and a correct xref table."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, root, xref)
    return bytes(out)


def pdf_pages(count: int, text: bytes = b"Trang") -> bytes:
    font = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
    content = b"BT /F1 12 Tf 72 720 Td (" + text + b") Tj ET"
    stream = b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream"
    first_page = 5
    kids = b" ".join(b"%d 0 R" % (first_page + n) for n in range(count))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % count,
        font,
        stream,
    ]
    objects += [b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
                b"/Resources << /Font << /F1 3 0 R >> >> >>"] * count
    return pdf_bytes(objects)


def pdf_decompression_bomb(size: int = 256 * 2**20) -> bytes:
    compressor = zlib.compressobj(9)
    chunk = b" " * 2**20
    packed = b"".join(compressor.compress(chunk) for _ in range(size // len(chunk))) + compressor.flush()
    stream = b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(packed) + packed + b"\nendstream"
    return pdf_bytes([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
        stream,
    ])


def pdf_circular() -> bytes:
    return pdf_bytes([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>",
        b"<< /Type /Pages /Parent 2 0 R /Kids [2 0 R 3 0 R] /Count 1 >>",
    ])


def docx_with(document_xml: bytes) -> bytes:
    content_types = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                     b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                     b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                     b'<Default Extension="xml" ContentType="application/xml"/>'
                     b'<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
                     b'officedocument.wordprocessingml.document.main+xml"/></Types>')
    rels = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            b'officeDocument" Target="word/document.xml"/></Relationships>')
    return zip_bytes([("[Content_Types].xml", content_types), ("_rels/.rels", rels),
                      ("word/document.xml", document_xml)])


W = b'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def docx_entity_bomb() -> bytes:
    entities = b'<!ENTITY a0 "ha">' + b"".join(
        b'<!ENTITY a%d "&a%d;&a%d;&a%d;&a%d;&a%d;&a%d;&a%d;&a%d;&a%d;&a%d;">' % ((n,) + (n - 1,) * 10)
        for n in range(1, 10))
    return docx_with(b'<?xml version="1.0"?><!DOCTYPE w:document [' + entities + b']><w:document ' + W +
                     b'><w:body><w:p><w:r><w:t>&a9;</w:t></w:r></w:p></w:body></w:document>')


def docx_external_entity() -> bytes:
    return docx_with(b'<?xml version="1.0"?><!DOCTYPE w:document [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
                     b'<w:document ' + W + b'><w:body><w:p><w:r><w:t>before &x; after</w:t></w:r></w:p>'
                     b'</w:body></w:document>')


def mime_deep(levels: int) -> tuple[bytes, bytes]:
    head = b"Subject: deep\r\nMIME-Version: 1.0\r\n"
    body = b"innermost text\r\n"
    for level in range(levels):
        boundary = b"b%d" % level
        body = (b"--" + boundary + b"\r\nContent-Type: " + (b"multipart/mixed; boundary=b%d" % (level - 1) if level
                else b"text/plain") + b"\r\n\r\n" + body + b"\r\n--" + boundary + b"--\r\n")
    top = b"b%d" % (levels - 1)
    return head + b"Content-Type: multipart/mixed; boundary=" + top + b"\r\n", body


def mime_many(parts: int) -> tuple[bytes, bytes]:
    head = b"Subject: many parts\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=XX\r\n"
    one = b"--XX\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=p.bin\r\n\r\nAAAA\r\n"
    return head, one * parts + b"--XX--\r\n"
