"""The bulk DATA reader keeps aiosmtpd's behaviour: dot-unstuffing, 552, 500 for long lines, state after errors."""

from __future__ import annotations

import smtplib
import socket
from pathlib import Path

import pytest

from gateway.core.config import Config, SmtpConfig
from gateway.intake.smtp import SmtpIntake
from gateway.intake.smtp_data import longest_line, unstuff
from gateway.spool import Spool

OURS = "vanthu@localhost"


@pytest.fixture
def intake(tmp_path: Path):
    spool = Spool(tmp_path / "spool")
    spool.ensure()
    config = Config(smtp=SmtpConfig(listen="127.0.0.1:0", hostname="gw.test", accept_recipients=(OURS,),
                                    max_message_size=20_000))
    server = SmtpIntake(config, spool)
    server.start()
    yield server, spool
    server.stop()


def spooled_bodies(spool: Spool) -> list[bytes]:
    return [spool.show(entry.spool_id)[2] for entry in spool.list("incoming")]


def test_unstuff_and_longest_line() -> None:
    assert unstuff(b"..a\r\n.b\r\nc.\r\n...\r\n") == b".a\r\nb\r\nc.\r\n..\r\n"
    assert unstuff(b"") == b""
    assert longest_line(b"abc\r\nde\r\n") == 5
    assert longest_line(b"") == 2


def test_dot_lines_round_trip_through_smtplib(intake) -> None:
    server, spool = intake
    raw = b"Subject: dots\r\n\r\n.\r\n..\r\n.leading dot\r\nend.\r\n.\r\nafter a lone dot line\r\n"
    with smtplib.SMTP("127.0.0.1", server.port) as client:
        client.sendmail("a@example.test", [OURS], raw)  # smtplib stuffs the dots; the server must unstuff
    assert spooled_bodies(spool) == [raw]


def test_blank_message_and_message_at_the_limit(intake) -> None:
    server, spool = intake
    at_limit = b"Subject: x\r\n\r\n" + (b"a" * 98 + b"\r\n") * 199
    at_limit += b"b" * (20_000 - len(at_limit) - 2) + b"\r\n"
    assert len(at_limit) == 20_000
    with smtplib.SMTP("127.0.0.1", server.port) as client:
        client.sendmail("a@example.test", [OURS], b"")
        client.sendmail("a@example.test", [OURS], at_limit)
    assert sorted(spooled_bodies(spool), key=len) == [b"\r\n", at_limit]  # smtplib ends data with CRLF


def test_oversize_gets_552_and_the_connection_goes_on(intake) -> None:
    server, spool = intake
    with smtplib.SMTP("127.0.0.1", server.port) as client:
        client.ehlo()
        client.esmtp_features.pop("size", None)  # do not announce SIZE, so the DATA phase must catch it
        with pytest.raises(smtplib.SMTPDataError) as refused:
            client.sendmail("a@example.test", [OURS], b"Subject: big\r\n\r\n" + (b"x" * 76 + b"\r\n") * 400)
        assert refused.value.smtp_code == 552
        client.sendmail("a@example.test", [OURS], b"Subject: small\r\n\r\nok\r\n")
    assert spooled_bodies(spool) == [b"Subject: small\r\n\r\nok\r\n"]


def test_line_too_long_gets_500_and_nothing_is_stored(intake) -> None:
    server, spool = intake
    with smtplib.SMTP("127.0.0.1", server.port) as client:
        with pytest.raises(smtplib.SMTPDataError) as refused:
            client.sendmail("a@example.test", [OURS], b"Subject: long\r\n\r\n" + b"y" * 1500 + b"\r\n")
        assert refused.value.smtp_code == 500
        client.sendmail("a@example.test", [OURS], b"Subject: fine\r\n\r\n" + b"y" * 998 + b"\r\n")
    assert len(spooled_bodies(spool)) == 1


def _reply(sock_file) -> bytes:
    lines = []
    while True:
        line = sock_file.readline()
        lines.append(line)
        if line[3:4] != b"-":
            return b"".join(lines)


def test_commands_sent_right_after_the_terminator_are_not_lost(intake) -> None:
    server, spool = intake
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        reader = sock.makefile("rb")
        assert _reply(reader).startswith(b"220")
        for command in (b"HELO client.test", b"MAIL FROM:<a@example.test>", f"RCPT TO:<{OURS}>".encode(), b"DATA"):
            sock.sendall(command + b"\r\n")
            assert _reply(reader)[:1] in (b"2", b"3")
        # The end of DATA and two more commands in one segment, as a pipelining client would send them.
        sock.sendall(b"Subject: p\r\n\r\nbody\r\n.\r\nNOOP\r\n")
        assert _reply(reader).startswith(b"250 2.0.0 Queued")
        assert _reply(reader).startswith(b"250")  # NOOP
        # A message with no bytes at all: the lone dot is the first line of DATA.
        for command in (b"MAIL FROM:<a@example.test>", f"RCPT TO:<{OURS}>".encode(), b"DATA"):
            sock.sendall(command + b"\r\n")
            assert _reply(reader)[:1] in (b"2", b"3")
        sock.sendall(b".\r\nQUIT\r\n")
        assert _reply(reader).startswith(b"250 2.0.0 Queued")
        assert _reply(reader).startswith(b"221")  # QUIT
    assert sorted(spooled_bodies(spool)) == [b"", b"Subject: p\r\n\r\nbody\r\n"]


def _open_data(sock, reader) -> None:
    assert _reply(reader).startswith(b"220")
    for command in (b"HELO client.test", b"MAIL FROM:<a@example.test>", f"RCPT TO:<{OURS}>".encode(), b"DATA"):
        sock.sendall(command + b"\r\n")
        assert _reply(reader)[:1] in (b"2", b"3")


def test_bare_lf_line_ends_are_accepted_and_stored_as_crlf(intake) -> None:
    """A file sent as it lies on disk (LF only, as smtplib sends bytes) is accepted, as Postfix accepts it; a long
    file is not taken for one long line, and a dot-stuffed line after a bare LF is unstuffed like any other."""
    server, spool = intake
    lines = [f"dòng {n}: nội dung công văn".encode() for n in range(300)]  # ~9 KB: longer than a line may be
    lines[7] = b".leading dot"
    raw = b"Subject: LF\n\n" + b"\n".join(lines) + b"\n"
    with smtplib.SMTP("127.0.0.1", server.port) as client:
        client.sendmail("a@example.test", [OURS], raw)  # stuffs the dot, ends with CRLF "." CRLF
    [stored] = spooled_bodies(spool)
    assert b"\n" not in stored.replace(b"\r\n", b"")  # every line ends in CRLF
    assert stored == raw.replace(b"\n", b"\r\n") + b"\r\n"  # smtplib adds a CRLF: the bytes did not end in one


@pytest.mark.parametrize("fake_end", [b"\n.\n", b"\r\n.\n", b"\n.\r\n"],
                         ids=["lf-dot-lf", "crlf-dot-lf", "lf-dot-crlf"])
def test_no_smuggling_past_a_lone_dot_with_bare_lf(intake, fake_end: bytes) -> None:
    """Only CRLF "." CRLF ends DATA: the commands after a bare-LF "dot line" stay inside the one message."""
    server, spool = intake
    smuggled = (b"MAIL FROM:<forged@ubnd.example.gov.vn>\r\nRCPT TO:<" + OURS.encode() + b">\r\nDATA\r\n"
                b"From: forged@ubnd.example.gov.vn\r\nSubject: smuggled\r\n\r\nforged\r\n")
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        reader = sock.makefile("rb")
        _open_data(sock, reader)
        sock.sendall(b"Subject: outer\r\n\r\nhello" + fake_end + smuggled + b".\r\nQUIT\r\n")
        replies = [_reply(reader), _reply(reader)]
    assert replies[0].startswith(b"250 2.0.0 Queued") and replies[1].startswith(b"221"), replies
    [stored] = spooled_bodies(spool)  # one message, not two
    assert stored.startswith(b"Subject: outer\r\n") and b"Subject: smuggled" in stored


def test_bare_lf_line_longer_than_the_limit_gets_500(intake) -> None:
    server, spool = intake
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        reader = sock.makefile("rb")
        _open_data(sock, reader)
        sock.sendall(b"Subject: long\n\n" + b"z" * 1200 + b"\nshort\r\n.\r\n")
        assert _reply(reader).startswith(b"500")
    assert spooled_bodies(spool) == []


def _refused(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except ConnectionRefusedError:
        return True
    except ConnectionResetError:
        return False  # the probe reached the backlog as the listener closed; the next one is refused
    return False


def test_drain_lets_data_finish_and_says_421_to_the_rest(tmp_path: Path) -> None:
    """On stop: no new connections; a transaction in DATA finishes with its 250, then 421; an idle session gets
    421 at once. A client never loses the connection between its final dot and our answer."""
    import threading

    from conftest import wait_for

    spool = Spool(tmp_path / "spool")
    spool.ensure()
    server = SmtpIntake(Config(smtp=SmtpConfig(listen="127.0.0.1:0", accept_recipients=(OURS,))), spool)
    server.start()
    sending = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    idle = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    sending_reader, idle_reader = sending.makefile("rb"), idle.makefile("rb")
    _open_data(sending, sending_reader)
    sending.sendall(b"Subject: in flight\r\n\r\nfirst half\r\n")
    assert _reply(idle_reader).startswith(b"220")
    stopper = threading.Thread(target=server.stop, kwargs={"drain_timeout": 20.0})
    stopper.start()
    wait_for(lambda: _refused(server.port), timeout=10, what="the listener to close")
    assert _reply(idle_reader).startswith(b"421")  # between transactions: told at once, then closed
    assert idle_reader.read() == b""
    sending.sendall(b"second half\r\n.\r\n")
    assert _reply(sending_reader).startswith(b"250 2.0.0 Queued")  # the transaction in DATA finishes
    assert _reply(sending_reader).startswith(b"421") and sending_reader.read() == b""
    stopper.join(30)
    assert not stopper.is_alive()
    assert spooled_bodies(spool) == [b"Subject: in flight\r\n\r\nfirst half\r\nsecond half\r\n"]
    sending.close()
    idle.close()


def test_drain_gives_up_on_a_stalled_data_after_the_timeout(tmp_path: Path) -> None:
    import time

    spool = Spool(tmp_path / "spool")
    spool.ensure()
    server = SmtpIntake(Config(smtp=SmtpConfig(listen="127.0.0.1:0", accept_recipients=(OURS,))), spool)
    server.start()
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as stalled:
        _open_data(stalled, stalled.makefile("rb"))
        stalled.sendall(b"Subject: never ends\r\n\r\n")
        started = time.monotonic()
        server.stop(drain_timeout=0.5)
        assert time.monotonic() - started < 5
    assert spooled_bodies(spool) == []
