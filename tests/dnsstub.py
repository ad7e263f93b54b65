"""A DKIM key pair made with openssl and a tiny DNS server on 127.0.0.1 that answers its TXT record (tests only)."""

from __future__ import annotations

import base64
import socket
import subprocess
import threading
from pathlib import Path

import dkim
import dns.message
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset


def make_key(folder: Path) -> tuple[bytes, str]:
    """(private key PEM, the p= value of its DKIM TXT record)."""
    key = folder / "dkim.key"
    subprocess.run(["openssl", "genrsa", "-out", str(key), "2048"], check=True, capture_output=True)
    private = key.read_bytes()
    der = subprocess.run(["openssl", "rsa", "-in", str(key), "-pubout", "-outform", "DER"], check=True,
                         capture_output=True).stdout
    return private, base64.b64encode(der).decode()


def sign(raw: bytes, domain: str, private: bytes, selector: str = "sel") -> bytes:
    """The message with a DKIM-Signature header of ``domain`` prepended."""
    signature = dkim.sign(raw, selector.encode(), domain.encode(), private,
                          include_headers=[b"from", b"to", b"subject", b"date", b"message-id"])
    return signature + raw


class StubDns:
    """Answers TXT queries from a dict {name: text} over UDP on 127.0.0.1; NXDOMAIN for anything else."""

    def __init__(self, records: dict[str, str]) -> None:
        self.records = {name.rstrip(".").lower(): text for name, text in records.items()}
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.queries: list[str] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _serve(self) -> None:
        while True:
            try:
                data, peer = self.sock.recvfrom(4096)
            except OSError:
                return
            try:
                query = dns.message.from_wire(data)
            except Exception:  # noqa: BLE001 - junk datagram
                continue
            response = dns.message.make_response(query)
            question = query.question[0]
            name = question.name.to_text().rstrip(".").lower()
            self.queries.append(name)
            text = self.records.get(name)
            if text is None or question.rdtype != dns.rdatatype.TXT:
                response.set_rcode(dns.rcode.NXDOMAIN)
            else:
                chunks = " ".join(f'"{text[i:i + 250]}"' for i in range(0, len(text), 250))
                response.answer.append(dns.rrset.from_text(question.name, 60, "IN", "TXT", chunks))
            self.sock.sendto(response.to_wire(), peer)

    def close(self) -> None:
        self.sock.close()
