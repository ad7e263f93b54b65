"""Tests of the SMTP intake against a real listener on 127.0.0.1, with smtplib and swaks as clients."""

from __future__ import annotations

import dataclasses
import email
import email.policy
import shutil
import smtplib
import socket
import ssl
import subprocess
import time
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest

from gateway.core.config import Config, SmtpConfig, TrustConfig
from gateway.core.errors import ListenError
from gateway.intake.smtp import REPLY_TOO_MANY_RECIPIENTS, REPLY_TRY_LATER, SmtpIntake
from gateway.spool import Spool

OURS = "vanthu@sct.example.gov.vn"
SENDER = "vanphong@ubnd.example.gov.vn"
SUBJECT = "Công văn số 12/UBND-VP về việc triển khai Quyết định số 5/QĐ-UBND"
PDF = b"%PDF-1.4\n% fake but binary \xe2\xe3\xcf\xd3\n1 0 obj << >> endobj\n%%EOF\n" * 20
ATTACHMENT_NAME = "Quyết định số 5.pdf"
WAIT = 20.0


def wait_for(condition: Callable[[], bool], timeout: float = WAIT, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def make_config(tmp_path: Path, **smtp: object) -> Config:
    values: dict[str, object] = dict(
        listen="127.0.0.1:0",
        hostname="gateway.test",
        accept_recipients=(OURS,),
        accept_domains=("ubnd.example.gov.vn",),
    )
    values.update(smtp)
    return Config(smtp=SmtpConfig(**values))


@pytest.fixture
def spool(tmp_path: Path) -> Spool:
    s = Spool(tmp_path / "spool")
    s.ensure()
    return s


@pytest.fixture
def start(spool: Spool, tmp_path: Path) -> Iterator[Callable[..., SmtpIntake]]:
    started: list[SmtpIntake] = []

    def _start(on_spooled=None, **smtp: object) -> SmtpIntake:
        intake = SmtpIntake(make_config(tmp_path, **smtp), spool, on_spooled=on_spooled)
        intake.start()
        started.append(intake)
        return intake

    yield _start
    for intake in started:
        intake.stop()


def vietnamese_message(body_extra: str = "") -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = f"Văn phòng UBND <{SENDER}>"
    msg["To"] = f"Văn thư Sở Công Thương <{OURS}>"
    msg["Subject"] = SUBJECT
    msg["Message-ID"] = "<cv12@ubnd.example.gov.vn>"
    msg.set_content("Kính gửi Sở Công Thương,\n.\n. một dòng bắt đầu bằng dấu chấm\n" + body_extra)
    msg.add_attachment(PDF, maintype="application", subtype="pdf", filename=ATTACHMENT_NAME)
    return msg


def client(intake: SmtpIntake) -> smtplib.SMTP:
    smtp = smtplib.SMTP("127.0.0.1", intake.port, timeout=WAIT)
    smtp.ehlo("client.test")
    return smtp


def send_raw(intake: SmtpIntake, raw: bytes, rcpts: tuple[str, ...] = (OURS,)) -> tuple[int, bytes]:
    with client(intake) as smtp:
        assert smtp.mail(SENDER)[0] == 250
        for rcpt in rcpts:
            assert smtp.rcpt(rcpt)[0] == 250
        return smtp.data(raw)


def queued_id(reply: bytes) -> str:
    text = reply.decode()
    assert text.startswith("2.0.0 Queued as "), text
    return text.rsplit(" ", 1)[1]


def test_vietnamese_message_is_spooled_unchanged_with_envelope(start, spool: Spool, caplog) -> None:
    caplog.set_level("INFO", logger="gateway.intake.smtp")
    notified: list[str] = []
    intake = start(on_spooled=notified.append)
    raw = vietnamese_message().as_bytes(policy=email.policy.SMTP)
    code, reply = send_raw(intake, raw, rcpts=(OURS, "Lanh.Dao@UBND.Example.Gov.VN"))
    assert code == 250
    spool_id = queued_id(reply)
    assert notified == [spool_id]
    info, envelope, stored, _ = spool.show(spool_id)
    assert stored == raw
    parsed = email.message_from_bytes(stored, policy=email.policy.default)
    assert parsed["Subject"] == SUBJECT
    assert ". một dòng bắt đầu bằng dấu chấm" in parsed.get_body(("plain",)).get_content()
    (attachment,) = list(parsed.iter_attachments())
    assert attachment.get_filename() == ATTACHMENT_NAME
    assert attachment.get_content() == PDF
    assert envelope.source == "smtp"
    assert envelope.mail_from == SENDER
    assert envelope.rcpt_tos == (OURS, "Lanh.Dao@UBND.Example.Gov.VN")
    assert envelope.helo == "client.test"
    assert envelope.peer.startswith("127.0.0.1:")
    assert envelope.received_at.tzinfo is not None
    assert info.subject == SUBJECT
    assert any(spool_id in r.getMessage() and SENDER in r.getMessage() for r in caplog.records)


def test_smtputf8_envelope_address(start, spool: Spool) -> None:
    intake = start(accept_recipients=("văn.thư@sct.example.gov.vn",))
    raw = vietnamese_message().as_bytes(policy=email.policy.SMTP)
    with client(intake) as smtp:
        assert smtp.has_extn("smtputf8")
        smtp.sendmail("người.gửi@ubnd.example.gov.vn", ["VĂN.THƯ@sct.example.gov.vn"], raw, mail_options=["SMTPUTF8"])
    (info,) = spool.list("incoming")
    assert info.mail_from == "người.gửi@ubnd.example.gov.vn"


def test_unknown_recipient_gets_550_and_nothing_is_stored(start, spool: Spool) -> None:
    intake = start()
    with client(intake) as smtp:
        smtp.mail(SENDER)
        code, reply = smtp.rcpt("someone@elsewhere.example.com")
        assert code == 550 and reply.startswith(b"5.1.1")
        assert smtp.rcpt("vanthu@sct.example.gov.vn.evil.example")[0] == 550
        with pytest.raises(smtplib.SMTPDataError) as err:
            smtp.data(b"Subject: x\r\n\r\nx\r\n")
        assert err.value.smtp_code == 503  # no accepted recipient
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        with client(intake) as smtp:
            smtp.sendmail(SENDER, ["relay@gmail.example"], b"Subject: x\r\n\r\nx\r\n")
    assert spool.counts() == {"incoming": 0, "claimed": 0, "bad": 0, "deferred": 0, "quarantine": 0, "auto": 0}


def test_too_many_recipients_gets_452(start, spool: Spool) -> None:
    intake = start(max_recipients=2)
    with client(intake) as smtp:
        smtp.mail(SENDER)
        assert smtp.rcpt(OURS)[0] == 250
        assert smtp.rcpt("a@ubnd.example.gov.vn")[0] == 250
        code, reply = smtp.rcpt("b@ubnd.example.gov.vn")
        assert f"{code} {reply.decode()}" == REPLY_TOO_MANY_RECIPIENTS
        code, reply = smtp.data(b"Subject: two\r\n\r\nok\r\n")
        assert code == 250
    (info,) = spool.list("incoming")
    assert info.rcpt_tos == (OURS, "a@ubnd.example.gov.vn")


def test_oversize_declared_in_mail_from_gets_552(start, spool: Spool) -> None:
    intake = start(max_message_size=10_000)
    with client(intake) as smtp:
        assert smtp.has_extn("size") and smtp.esmtp_features["size"] == "10000"
        assert smtp.mail(SENDER, options=["SIZE=20000"])[0] == 552
    big = vietnamese_message("x" * 30_000).as_bytes(policy=email.policy.SMTP)
    with pytest.raises(smtplib.SMTPSenderRefused) as err:
        with client(intake) as smtp:
            smtp.sendmail(SENDER, [OURS], big)  # smtplib announces SIZE itself
    assert err.value.smtp_code == 552
    assert spool.counts()["incoming"] == 0


def test_oversize_data_without_size_gets_552(start, spool: Spool) -> None:
    intake = start(max_message_size=10_000)
    big = vietnamese_message("x" * 30_000).as_bytes(policy=email.policy.SMTP)
    code, _ = send_raw(intake, big)
    assert code == 552
    assert spool.counts()["incoming"] == 0
    assert list(spool.tmp_dir.iterdir()) == []


def test_spool_failure_gets_451_and_a_later_retry_succeeds(start, spool: Spool) -> None:
    intake = start()
    raw = vietnamese_message().as_bytes(policy=email.policy.SMTP)
    shutil.rmtree(spool.tmp_dir)
    spool.tmp_dir.write_bytes(b"")  # works as root too, unlike chmod
    code, reply = send_raw(intake, raw)
    assert f"{code} {reply.decode()}" == REPLY_TRY_LATER
    assert spool.counts()["incoming"] == 0
    spool.tmp_dir.unlink()
    spool.ensure()
    code, reply = send_raw(intake, raw)
    assert code == 250
    assert spool.show(queued_id(reply))[2] == raw


def make_certificate(directory: Path) -> tuple[Path, Path]:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is not installed, cannot make a test certificate")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )
    return cert, key


def test_starttls_required_refuses_plaintext_then_accepts_after_tls(start, spool: Spool, tmp_path: Path) -> None:
    cert, key = make_certificate(tmp_path)
    intake = start(tls_cert=str(cert), tls_key=str(key), require_tls=True)
    with client(intake) as smtp:
        assert smtp.has_extn("starttls")
        code, _ = smtp.mail(SENDER)
        assert code == 530
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    raw = vietnamese_message().as_bytes(policy=email.policy.SMTP)
    with client(intake) as smtp:
        smtp.starttls(context=context)
        smtp.ehlo("client.test")
        assert smtp.sendmail(SENDER, [OURS], raw) == {}
    assert spool.counts()["incoming"] == 1


def test_idle_connection_is_closed(start) -> None:
    intake = start(idle_timeout=1)
    with socket.create_connection(("127.0.0.1", intake.port), timeout=WAIT) as sock:
        received = b""
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            chunk = sock.recv(4096)
            if not chunk:
                break
            received += chunk
        else:
            pytest.fail("the server kept a silent connection open")
    assert received.startswith(b"220 ")


def test_port_in_use_is_a_clear_error(start, spool: Spool, tmp_path: Path) -> None:
    first = start()
    second = SmtpIntake(make_config(tmp_path, listen=f"127.0.0.1:{first.port}"), spool)
    with pytest.raises(ListenError, match=rf"cannot listen on 127\.0\.0\.1:{first.port} \(smtp.listen\): the address "
                                          "is in use by another program") as caught:
        second.start()
    assert f"sport = :{first.port}" in caught.value.hint and "smtp.listen" in caught.value.hint


def test_swaks_with_vietnamese_attachment_name(start, spool: Spool, tmp_path: Path) -> None:
    swaks = shutil.which("swaks") or ("/usr/bin/swaks" if Path("/usr/bin/swaks").exists() else None)
    if swaks is None:
        pytest.skip("swaks is not installed (apt-get install swaks)")
    intake = start()
    pdf = tmp_path / "sample.pdf"
    pdf.write_bytes(PDF)
    result = subprocess.run(
        [swaks, "--server", "127.0.0.1", "--port", str(intake.port), "--helo", "client.test",
         "--from", SENDER, "--to", OURS, "--header", f"Subject: {SUBJECT}",
         "--body", "Kính gửi Sở Công Thương, xin gửi kèm Quyết định.",
         "--attach-type", "application/pdf", "--attach-name", ATTACHMENT_NAME, "--attach", f"@{pdf}",
         "--suppress-data"],
        capture_output=True, timeout=60,
    )
    assert result.returncode == 0, result.stdout.decode(errors="replace") + result.stderr.decode(errors="replace")
    assert b"Queued as" in result.stdout
    (info,) = spool.list("incoming")
    _, envelope, raw, _ = spool.show(info.spool_id)
    assert envelope.helo == "client.test" and envelope.rcpt_tos == (OURS,)
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    (attachment,) = list(parsed.iter_attachments())
    assert attachment.get_filename() == ATTACHMENT_NAME
    assert attachment.get_content() == PDF
    assert "Kính gửi".encode() in raw


def test_reject_policy_refuses_at_data_but_never_a_bounce(spool: Spool, tmp_path: Path) -> None:
    """trust.other_action = "reject" answers 550 at the end of DATA; a null-sender report is taken all the same."""
    config = dataclasses.replace(make_config(tmp_path), trust=TrustConfig(other_action="reject"))
    intake = SmtpIntake(config, spool)
    intake.start()
    try:
        spam = b"From: a@evil.example\r\nSubject: spam\r\n\r\nx\r\n"
        bounce = b"From: MAILER-DAEMON@evil.example\r\nSubject: Undelivered Mail\r\n\r\nx\r\n"
        with client(intake) as smtp:
            with pytest.raises(smtplib.SMTPDataError) as refused:
                smtp.sendmail("a@evil.example", [OURS], spam)
            assert refused.value.smtp_code == 550
            smtp.sendmail("<>", [OURS], bounce)
        assert [e.mail_from for e in spool.list("incoming")] == ["<>"]
    finally:
        intake.stop()
