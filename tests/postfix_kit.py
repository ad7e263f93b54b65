"""A standalone Postfix 3.7 on loopback for tests: its own config folder, queue and ports, the README's main.cf
lines and map files copied into it as written, mail to anything else refused; removed when the test ends."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import REPO, free_port, port_open, wait_for

README_SECTION = "### Postfix in front of the gateway"
# A README block belongs to the file named in backticks in the sentence before it: "`/etc/postfix/transport`:".
_FILE_BEFORE_BLOCK = re.compile(r"`(/etc/postfix/[\w.-]+)`[^`]*?:\n+```[a-z]*\n(.*?)```", re.DOTALL)

# Only what a test instance needs beside the README's lines: where it lives, loopback only, no DNS, nothing
# leaves the machine (default_transport), quick retries, a log file of its own.
BASE_MAIN_CF = """\
compatibility_level = 3.6
queue_directory = {root}/spool
data_directory = {root}/data
mail_owner = postfix
setgid_group = postdrop
myhostname = mx.sct.example.gov.vn
mydomain = sct.example.gov.vn
myorigin = $myhostname
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
default_transport = error:5.7.1 outbound mail disabled in this test instance
smtp_dns_support_level = disabled
alias_maps =
alias_database =
local_recipient_maps =
biff = no
maillog_file = {root}/maillog
maillog_file_prefixes = {root}
queue_run_delay = 2s
minimal_backoff_time = 2s
maximal_backoff_time = 10s
delay_warning_time = 0
"""

MASTER_CF = """\
127.0.0.1:{port} inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""


def readme_postfix_files() -> dict[str, str]:
    """The README's Postfix files as written there: {"/etc/postfix/main.cf": lines to add, ...}."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    start = text.index(README_SECTION)
    section = text[start: text.index("\n## ", start)]
    return {path: body for path, body in _FILE_BEFORE_BLOCK.findall(section)}


def need_postfix() -> None:
    """Skip (saying why) where this machine cannot run a Postfix instance."""
    if shutil.which("postfix") is None or shutil.which("smtp-source") is None:
        pytest.skip("Debian's postfix is not installed (scripts/setup --test installs it)")
    if os.geteuid() != 0:
        pytest.skip("a Postfix instance needs root to start its master process")


@dataclass
class PostfixInstance:
    """One Postfix with its config in ``root/etc``; ``gateway_port`` replaces the README's 2525."""

    root: Path
    gateway_port: int
    extra_transport: str = ""  # test-only lines after the README's (other mailboxes of the domain)
    extra_recipients: str = ""
    port: int = field(default_factory=free_port)

    @property
    def etc(self) -> Path:
        return self.root / "etc"

    @property
    def log(self) -> Path:
        return self.root / "maillog"

    def write(self) -> None:
        files = readme_postfix_files()
        self.etc.mkdir(parents=True)
        (self.root / "spool").mkdir()
        (self.root / "data").mkdir()
        shutil.chown(self.root / "data", "postfix")
        for path, body in files.items():
            body = body.replace("/etc/postfix/", f"{self.etc}/").replace("[127.0.0.1]:2525",
                                                                          f"[127.0.0.1]:{self.gateway_port}")
            name = Path(path).name
            if name == "main.cf":
                body = BASE_MAIN_CF.format(root=self.root) + body
            elif name == "transport":
                body += self.extra_transport
            elif name == "relay_recipients":
                body += self.extra_recipients
            (self.etc / name).write_text(body, encoding="utf-8")
        (self.etc / "master.cf").write_text(MASTER_CF.format(port=self.port), encoding="utf-8")

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        """A postfix/postqueue command on this instance (output under `script` would need a tty: not needed
        with maillog_file, where every error goes)."""
        result = subprocess.run([*args[:1], "-c", str(self.etc), *args[1:]], capture_output=True, text=True,
                                timeout=60)
        if check and result.returncode != 0:
            raise AssertionError(f"{' '.join(args)} failed ({result.returncode}): {result.stdout}{result.stderr}"
                                 f"\n{self.log_text()[-3000:]}")
        return result

    def start(self) -> None:
        self.run("postfix", "start")
        wait_for(lambda: port_open(self.port), timeout=30, what="Postfix to listen")

    def stop(self) -> None:
        self.run("postfix", "stop", check=False)
        pid_file = self.root / "spool" / "pid" / "master.pid"
        wait_for(lambda: not _alive(pid_file), timeout=30, what="Postfix to stop")

    def flush(self) -> None:
        self.run("postqueue", "-f")

    def queue_empty(self) -> bool:
        return "Mail queue is empty" in self.run("postqueue", "-p", check=False).stdout

    def log_text(self) -> str:
        try:
            return self.log.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    def delivered_to(self, port: int) -> set[str]:
        """Queue ids Postfix delivered (status=sent) to 127.0.0.1:port."""
        pattern = re.compile(rf" ([0-9A-F]+): to=<[^>]*>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:{port},.*status=sent")
        return set(pattern.findall(self.log_text()))


def _alive(pid_file: Path) -> bool:
    try:
        pid = int(pid_file.read_text().split()[0])
        os.kill(pid, 0)
    except (OSError, ValueError, IndexError):
        return False
    return True


def smtp_source(port: int, count: int, sessions: int, sender: str, recipient: str, size: int = 4000,
                timeout: float = 600) -> float:
    """Postfix's own load generator against 127.0.0.1:port; returns the seconds it took."""
    started = time.monotonic()
    subprocess.run(["smtp-source", "-m", str(count), "-s", str(sessions), "-l", str(size), "-f", sender,
                    "-t", recipient, "-M", "client.example.test", f"127.0.0.1:{port}"],
                   check=True, capture_output=True, timeout=timeout)
    return time.monotonic() - started
