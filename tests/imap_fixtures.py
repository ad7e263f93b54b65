"""A real Dovecot IMAP server on 127.0.0.1 for the tests, with throwaway users, plus small IMAP client helpers."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import uuid
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

import imapclient
import pytest
from conftest import free_port, port_open, wait_for

TEMPLATE = Path(__file__).resolve().parent / "data" / "dovecot.conf.in"
POOL = 40  # users created up front, handed out by add_user
DOVECOT = shutil.which("dovecot") or ("/usr/sbin/dovecot" if os.path.exists("/usr/sbin/dovecot") else None)


class Dovecot:
    """One Dovecot master process with its own config, users file and mail folder under a temp dir."""

    def __init__(self, tls: bool = False) -> None:
        if DOVECOT is None:
            pytest.skip("the dovecot binary is missing (Debian package dovecot-imapd; scripts/setup --test "
                        "installs it as root)")
        if os.geteuid() != 0:
            pytest.skip("the test Dovecot runs as root (mail processes as nobody); run the suite as root")
        self.dir = Path(tempfile.mkdtemp(prefix="gw-dovecot-"))  # not under pytest's 0700 tmp: nobody reads it
        os.chmod(self.dir, 0o755)
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.users: dict[str, str] = {}
        self._unused: list[str] = []
        for sub in ("run", "state", "mail"):
            (self.dir / sub).mkdir()
        shutil.chown(self.dir / "mail", "nobody", "nogroup")
        self.imaps_port = free_port() if tls else 0
        self.ca_file = self._make_certificate() if tls else None
        ssl_lines = (f"ssl = yes\nssl_cert = <{self.dir / 'cert.pem'}\nssl_key = <{self.dir / 'key.pem'}"
                     if tls else "ssl = no")
        text = TEMPLATE.read_text().replace("@SSL@", ssl_lines).replace("@IMAPS_PORT@", str(self.imaps_port))
        self.config = self.dir / "dovecot.conf"
        self.config.write_text(text.replace("@DIR@", str(self.dir)).replace("@PORT@", str(self.port)))
        for _ in range(POOL):
            name = f"u{uuid.uuid4().hex[:10]}@example.test"
            self.users[name] = f"pw-{uuid.uuid4().hex[:8]}"
            self._unused.append(name)
        self._write_users()

    def _make_certificate(self) -> Path:
        """A self-signed certificate for 127.0.0.1 (it is its own CA); returns the file to trust."""
        if shutil.which("openssl") is None:
            pytest.skip("openssl is missing (Debian package openssl; scripts/setup --test installs it as root)")
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
             "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(self.dir / "key.pem"),
             "-out", str(self.dir / "cert.pem")],
            check=True, capture_output=True, timeout=60,
        )
        return self.dir / "cert.pem"

    def add_user(self) -> tuple[str, str]:
        """A mailbox user nobody has used yet (fresh and empty) and its password.

        The users are all written before the server starts: Dovecot re-reads a changed passwd-file at most
        once a second, so a user added later might not be known yet.
        """
        name = self._unused.pop()
        return name, self.users[name]

    def _write_users(self) -> None:
        path = self.dir / "users"
        tmp = self.dir / "users.tmp"
        tmp.write_text("".join(f"{u}:{{PLAIN}}{p}::::::\n" for u, p in self.users.items()))
        shutil.chown(tmp, "root", "dovecot")
        os.chmod(tmp, 0o640)
        os.replace(tmp, path)

    def start(self) -> None:
        log = (self.dir / "stdout.log").open("ab")
        self.process = subprocess.Popen([DOVECOT, "-F", "-c", str(self.config)], stdout=log, stderr=subprocess.STDOUT)
        log.close()
        wait_for(lambda: self._alive() and port_open(self.port), 20, what="Dovecot to listen")

    def _alive(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"dovecot exited with {self.process.returncode}: {self.log_text()}")
        return True

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def log_text(self) -> str:
        texts = []
        for name in ("dovecot.log", "stdout.log"):
            path = self.dir / name
            if path.exists():
                texts.append(path.read_text(errors="replace"))
        return "\n".join(texts)

    def client(self, user: str) -> imapclient.IMAPClient:
        client = imapclient.IMAPClient("127.0.0.1", port=self.port, ssl=False, timeout=30)
        client.login(user, self.users[user])
        return client

    def account_toml(self, name: str, user: str, extra: str = "", password_file: Path | None = None) -> str:
        """An [[imap.accounts]] table for this server; the password goes to a file beside the mail."""
        if password_file is None:
            password_file = self.dir / f"{name}.password"
            password_file.write_text(self.users.get(user, "wrong") + "\n")
        return (f'\n[[imap.accounts]]\nname = "{name}"\nhost = "127.0.0.1"\nport = {self.port}\ntls = "none"\n'
                f'username = "{user}"\npassword_file = "{password_file}"\n{extra}\n')


def make_message(n: int, tag: str = "", size: int = 0) -> bytes:
    """A small official-looking message with a unique Message-ID (and optional filler to reach ``size``)."""
    msg = EmailMessage()
    msg["From"] = "Văn thư Sở Tài chính <vanthu@stc.example.gov.vn>"
    msg["To"] = "vanthu@sct.example.gov.vn"
    msg["Subject"] = f"Công văn số {n}/STC-VP về việc báo cáo {tag}".strip()
    msg["Message-ID"] = f"<imap-{tag or 'x'}-{n}-{uuid.uuid4().hex[:8]}@stc.example.gov.vn>"
    msg["Date"] = "Wed, 25 Nov 2026 08:00:00 +0700"
    body = f"Kính gửi Sở Công Thương, công văn số {n}.\n"
    line = "Nội dung báo cáo tình hình thực hiện nhiệm vụ năm 2026 của Sở.\n"
    body += line * max(0, (size - len(body)) // len(line.encode()))
    msg.set_content(body, cte="8bit")
    return msg.as_bytes(policy=SMTP)


def append(server: Dovecot, user: str, messages: list[bytes], folder: str = "INBOX") -> None:
    with server.client(user) as client:
        for raw in messages:
            client.append(folder, raw)


def folder_flags(server: Dovecot, user: str, folder: str = "INBOX") -> dict[int, tuple[bytes, ...]]:
    """UID -> flags of every message in a folder."""
    with server.client(user) as client:
        client.select_folder(folder, readonly=True)
        uids = client.search("ALL")
        return {uid: data[b"FLAGS"] for uid, data in client.fetch(uids, ["FLAGS"]).items()} if uids else {}


@pytest.fixture(scope="session")
def dovecot_server():
    """One Dovecot for the session; tests isolate themselves with fresh users (add_user)."""
    server = Dovecot()
    server.start()
    yield server
    server.cleanup()


@pytest.fixture
def dovecot(dovecot_server):
    return dovecot_server
