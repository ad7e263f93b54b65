"""The outbox against a real SMTP sink on loopback: 4xx then 250, 5xx, the retry period, leases, receipts."""

from __future__ import annotations

import dataclasses
import datetime as dt
from email import message_from_bytes, policy

import pytest
import sqlalchemy as sa
from conftest import wait_for
from docgen import AUTHENTICATED, TRUSTED_MTA, make_edxml, make_message
from routing_helpers import write_rules
from smtp_sink import Sink

from gateway.core.config import load_config
from gateway.core.values import Envelope
from gateway.outbox.compose import ExtraAttachment, build_forward, build_receipt, header_safe
from gateway.outbox.returnpath import read_return_path, return_path, token_of
from gateway.outbox.sender import OutboxSender
from gateway.register.models import OutboxMessage
from gateway.register.outbox import OutboxItem
from gateway.register.service import Register
from gateway.routing.allow import receipt_allowed
from gateway.routing.router import open_router
from gateway.runtime.pipeline import process_one
from gateway.spool import Spool

RULES = """
[[rule]]
name = "bao-nhan"
[rule.when]
sender_domain = "*.gov.vn"
[rule.then]
lead = "TTR"
receipt = true
"""
SENDER_ID = "<cv-123@hanoi.gov.vn>"


def registered(tmp_path, port: int, database_url: str = "", attachments=None, **outbox):
    """A register holding one routed document whose receipt is queued; returns (config, register, document)."""
    rules = write_rules(tmp_path / "rules", RULES)
    overrides = {"paths.data_dir": str(tmp_path / "data"), "database.url": database_url,
                 "routing.rules_dir": str(rules),
                 "outbox.receipt_domains": ["*.gov.vn"], "outbox.relay_host": "127.0.0.1",
                 "outbox.relay_port": port, "outbox.from_address": "vanthu@sct.example.gov.vn",
                 "register.agency_name": "Sở Công Thương tỉnh Hà Nam", "register.organ_id": "000.00.12.H35",
                 "trust.trusted_authserv_ids": [TRUSTED_MTA],  # the front MTA vouches for the sender
                 **{f"outbox.{k}": v for k, v in outbox.items()}}
    config = load_config(None, overrides)
    spool = Spool(config.spool_dir)
    spool.ensure()
    register = Register(config)
    register.upgrade()
    router = open_router(config, register)
    raw = make_message("Công văn 123/UBND-KT", "V/v báo cáo", sender="UBND <vanthu@hanoi.gov.vn>",
                       message_id=SENDER_ID, attachments=attachments, headers=AUTHENTICATED)
    spool_id = spool.put(raw, Envelope(source="smtp", received_at=dt.datetime.now(dt.timezone.utc)))
    outcome = process_one(spool.claim(spool_id), spool, register, config, router)
    return config, register, outcome.registration


def only_row(register) -> OutboxItem:
    rows = register.outbox.list()
    assert len(rows) == 1
    return rows[0]


def test_4xx_is_retried_with_backoff_then_250_sends_once(tmp_path) -> None:
    with Sink(["451 4.3.0 try later"]) as sink:
        config, register, reg = registered(tmp_path, sink_port(sink), backoff_initial=0.3)
        sender = OutboxSender(config, register)
        assert sender.send_due() == 1
        row = only_row(register)
        assert row.state == "queued" and row.attempts == 1 and "451" in row.last_error
        assert (row.next_attempt_at - dt.datetime.now(dt.timezone.utc)).total_seconds() > 0.1
        assert sender.send_due() == 0  # not due yet: the backoff holds it back
        wait_for(lambda: sender.send_due(), timeout=10, what="the retry to come due")
        row = only_row(register)
        assert row.state == "sent" and row.attempts == 2 and row.last_error == ""
        assert sink.attempts == 2 and len(sink.accepted) == 1
        mail_from, rcpts, _ = sink.accepted[0]
        # VERP: the return path names the row, so a bounce finds the mail it is about
        assert mail_from == f"vanthu+ob-{row.id}-{token_of(row.message_id)}@sct.example.gov.vn"
        assert rcpts == ["vanthu@hanoi.gov.vn"]
        receipt = sink.messages()[0]
        assert receipt["Message-ID"] == f"<{row.message_id}>"
        assert receipt["X-Gateway-Loop"] == "vanthu@sct.example.gov.vn"  # config.loop_id: from_address
        assert receipt["In-Reply-To"] == SENDER_ID and receipt["References"] == SENDER_ID
        assert receipt["Auto-Submitted"] == "auto-generated"
        body = receipt.get_content()
        assert f"Số đến: {reg.arrival_number}/{reg.year}" in body and "Ngày đến:" in body
        assert "Sở Công Thương tỉnh Hà Nam xác nhận đã nhận" in body
        assert receipt["Subject"].startswith("Xác nhận đã nhận văn bản:")
        audit = register.get_document(reg.document_id).audit
        assert (audit[-1].action, audit[-1].detail["kind"]) == ("outbox-sent", "receipt")
        queued = next(e for e in audit if e.action == "outbox-queued")
        assert queued.detail["mail"] == [{"kind": "receipt", "unit": "", "to": "vanthu@hanoi.gov.vn",
                                          "message_id": row.message_id}]
        register.close()


def sink_port(handler) -> int:
    return handler.port


def test_5xx_fails_for_good_at_once(tmp_path) -> None:
    with Sink(["550 5.1.1 no such user"]) as sink:
        config, register, _ = registered(tmp_path, sink_port(sink))
        sender = OutboxSender(config, register)
        assert sender.send_due() == 1
        row = only_row(register)
        assert row.state == "failed" and row.attempts == 1 and "550" in row.last_error
        assert register.get_document(row.document_id).audit[-1].action == "outbox-failed"
        assert sender.send_due() == 0 and sink.attempts == 1 and sink.accepted == []
        assert register.outbox.retry() == 1  # `gateway outbox retry --all-failed`
        assert sender.send_due() == 1 and only_row(register).state == "sent"
        register.close()


def test_4xx_after_the_retry_period_fails(tmp_path) -> None:
    with Sink(["421 4.7.0 busy"]) as sink:
        config, register, _ = registered(tmp_path, sink_port(sink), retry_period=0.001)
        OutboxSender(config, register).send_due()
        row = only_row(register)
        assert row.state == "failed" and "retry period over" in row.last_error
        register.close()


def test_a_relay_that_does_not_answer_is_a_temporary_failure(tmp_path) -> None:
    from conftest import free_port

    config, register, _ = registered(tmp_path, free_port(), backoff_initial=60)
    OutboxSender(config, register).send_due()
    row = only_row(register)
    assert row.state == "queued" and "ConnectionRefusedError" in row.last_error
    register.close()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_claimed_row_is_leased_to_one_sender(tmp_path, backend, request) -> None:
    from conftest import free_port

    url = request.getfixturevalue("postgres_url") if backend == "postgresql" else ""
    config, register, _ = registered(tmp_path, free_port(), url)
    first = register.outbox.claim_next(lease_seconds=0.3)
    assert first is not None and first.state == "sending"
    assert register.outbox.claim_next(lease_seconds=0.3) is None  # leased
    second = wait_for(lambda: register.outbox.claim_next(lease_seconds=30), timeout=5,
                      what="the lease to run out")
    assert second.id == first.id and second.attempts == 2 and second.message_id == first.message_id
    assert not register.outbox.mark_sent(first)  # the first claimer lost its claim
    assert register.outbox.mark_sent(second)
    register.close()


def test_receipt_of_an_edxml_document_carries_status_package_01(tmp_path) -> None:
    package = make_edxml()
    with Sink([]) as sink:
        config, register, reg = registered(tmp_path, sink_port(sink),
                                           attachments=[("goi.edxml", package, "application/xml")])
        try:
            assert OutboxSender(config, register).send_due() == 1
            (receipt,) = sink.messages()
            files = {p.get_filename(): p.get_content() for p in receipt.iter_attachments()}
            status = files["status-01.edxml"]
            status = status.decode() if isinstance(status, bytes) else status
            assert "<edXML:StatusCode>01</edXML:StatusCode>" in status
            assert "000.00.12.H35" in status and "000.00.11.H53" in status and "2491" in status
        finally:
            register.close()
    with Sink([]) as sink:  # a document that came without edXML gets a receipt without a package
        config, register, reg = registered(tmp_path / "plain", sink_port(sink))
        try:
            assert OutboxSender(config, register).send_due() == 1
            assert [p.get_filename() for p in sink.messages()[0].iter_attachments()] == []
        finally:
            register.close()


def test_receipts_only_to_allowed_domains() -> None:
    allowed = ("*.gov.vn", "moit.gov.vn")
    assert receipt_allowed("vanthu@hanoi.gov.vn", allowed)
    assert receipt_allowed("VanThu@MOIT.gov.vn", allowed)
    assert not receipt_allowed("x@gov.vn.evil.example", allowed)
    assert not receipt_allowed("x@gmail.com", allowed)
    assert not receipt_allowed("x@hanoi.gov.vn\r\nBcc: y@evil.example", allowed)
    assert not receipt_allowed("", allowed)


def test_no_header_can_be_injected_through_document_fields(tmp_path) -> None:
    from conftest import free_port

    config, register, reg = registered(tmp_path, free_port())
    record = register.get_document(reg.document_id)
    record = dataclasses.replace(record, subject="Báo cáo\r\nBcc: evil@example.com", type_name="Công văn\n",
                                 message_id_header="x@y>\r\nBcc: evil@example.com")
    raw = build_receipt(record, sender="vanthu@sct.example.gov.vn", recipient="a@hanoi.gov.vn\nCc: b@evil",
                        message_id="r1@sct.example.gov.vn", agency="Sở", timezone="Asia/Ho_Chi_Minh",
                        when=dt.datetime.now(dt.timezone.utc), loop_id="vanthu@sct.example.gov.vn\r\nBcc: x@y",
                        extra=[ExtraAttachment("status\r\n.xml", "application/xml", b"<Status/>")])
    msg = message_from_bytes(raw, policy=policy.default)
    assert msg["Bcc"] is None and msg["Cc"] is None
    assert "\n" not in msg["Subject"] and " " not in msg["In-Reply-To"]
    head = raw.split(b"\r\n\r\n", 1)[0].decode()
    assert not any(line.lower().startswith(("bcc:", "cc:")) for line in head.split("\r\n"))
    assert [p.get_filename() for p in msg.iter_attachments()] == ["status .xml"]
    assert header_safe("a\r\nb\x00c\u2028d") == "a bc d"  # line breaks become spaces, NUL goes
    register.close()


LONG_SUBJECTS = [
    "Về việc báo cáo tình hình xăng dầu trên địa bàn tỉnh trong quý III năm 2025 và kế hoạch quý IV năm 2025",
    "V/v Ủy ban nhân dân tỉnh đề nghị các sở, ban, ngành báo cáo kết quả thực hiện Nghị định số 30/2020/NĐ-CP "
    "về công tác văn thư, trong đó có nội dung số hóa văn bản đến và lưu trữ hồ sơ điện tử",
    "Thông báo kết luận của Chủ tịch Ủy ban nhân dân tỉnh tại cuộc họp giao ban công tác quản lý thị trường",
] + [" ".join(["tình hình xăng dầu"] * n) for n in range(3, 14)]


@pytest.mark.parametrize("subject", LONG_SUBJECTS)
def test_long_vietnamese_subjects_survive_folding(tmp_path, subject) -> None:
    """The produced bytes, parsed back, give the subject exactly: no space lost at a fold ("tình hìnhxăng")."""
    record = dataclasses.replace(_record(tmp_path), subject=subject, type_name="", code_number="", code_notation="")
    now = dt.datetime.now(dt.timezone.utc)
    receipt = build_receipt(record, sender="vanthu@sct.example.gov.vn", recipient="a@hanoi.gov.vn",
                            message_id="r1@sct.example.gov.vn", agency="Sở", timezone="Asia/Ho_Chi_Minh", when=now,
                            loop_id="vanthu@sct.example.gov.vn")
    forward = build_forward(record, b"Subject: x\r\n\r\nx\r\n", sender="vanthu@sct.example.gov.vn",
                            recipient="thanhtra@sct.example.gov.vn", unit_name="Thanh tra", role="lead", due=None,
                            message_id="f1@sct.example.gov.vn", timezone="Asia/Ho_Chi_Minh", when=now,
                            loop_id="vanthu@sct.example.gov.vn")
    for raw, expected in ((receipt, f"Xác nhận đã nhận văn bản: {subject}"[:200]),
                          (forward, f"[Số đến {record.arrival_number}/{record.year}] {subject}"[:200])):
        head = raw.split(b"\r\n\r\n", 1)[0]
        assert all(len(line) <= 78 for line in head.split(b"\r\n")), head  # folded as RFC 5322 asks
        assert message_from_bytes(raw, policy=policy.default)["Subject"] == expected
        assert message_from_bytes(raw, policy=policy.compat32)["Auto-Submitted"] == "auto-generated"



def _record(tmp_path):
    """One registered document's record (the register is built once per test, closed at once)."""
    from conftest import free_port

    _, register, reg = registered(tmp_path, free_port())
    try:
        return register.get_document(reg.document_id)
    finally:
        register.close()


def test_return_path_names_the_row_and_its_token() -> None:
    address = return_path("VanThu@sct.example.gov.vn", 42, "forward.abc@sct.example.gov.vn", "+")
    assert address == f"VanThu+ob-42-{token_of('forward.abc@sct.example.gov.vn')}@sct.example.gov.vn"
    tag = read_return_path(address.lower(), "+")
    assert tag is not None and (tag.outbox_id, tag.token) == (42, token_of("<forward.abc@sct.example.gov.vn>"))
    assert read_return_path("vanthu@sct.example.gov.vn", "+") is None
    assert read_return_path("vanthu+ob-42-zz@sct.example.gov.vn", "+") is None
    assert return_path("vanthu@sct.example.gov.vn", 42, "m@x", "") == "vanthu@sct.example.gov.vn"


def test_outbox_rows_are_in_the_schema(tmp_path) -> None:
    from conftest import free_port

    _, register, reg = registered(tmp_path, free_port())
    with register.engine.connect() as conn:
        row = conn.execute(sa.select(OutboxMessage.kind, OutboxMessage.in_reply_to)).one()
    assert tuple(row) == ("receipt", SENDER_ID.strip("<>"))
    register.close()


def make_certificate(directory) -> tuple[str, str]:
    import shutil
    import subprocess

    if shutil.which("openssl") is None:
        pytest.skip("openssl is missing (Debian package openssl)")
    cert, key = directory / "relay.pem", directory / "relay.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
                    "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key),
                    "-out", str(cert)], check=True, capture_output=True, timeout=60)
    return str(cert), str(key)


def test_starttls_and_auth_with_the_relay(tmp_path) -> None:
    import ssl

    from aiosmtpd.smtp import AuthResult

    cert, key = make_certificate(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    logins = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        logins.append((auth_data.login, session.ssl is not None))
        return AuthResult(success=auth_data.login == b"gateway" and auth_data.password == b"s3cret")

    password = tmp_path / "relay.password"
    password.write_text("s3cret\n", encoding="utf-8")
    with Sink(tls_context=context, require_starttls=True, auth_required=True, auth_require_tls=True,
              authenticator=authenticator) as sink:
        config, register, _ = registered(tmp_path, sink.port, starttls=True, tls_ca_file=cert,
                                         username="gateway", password_file=str(password))
        sender = OutboxSender(config, register)
        assert sender.send_due() == 1
        assert only_row(register).state == "sent" and len(sink.accepted) == 1
        assert logins == [(b"gateway", True)]
        register.close()
