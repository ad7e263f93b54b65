"""Mail a machine sent never gets a số đến: our own mail come back (a loop) is quarantined, a bounce of our own
mail fails its outbox row and waits in auto/ with the auto-replies; forwards never go to our own addresses, mail
goes once per recipient, and only an authenticated sender gets a receipt (DKIM checked here by default)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from conftest import write_config
from dnsstub import StubDns, make_key, sign
from docgen import AUTHENTICATED, TRUSTED_MTA, make_message
from routing_helpers import write_rules
from smtp_sink import Sink

from gateway.cli import main
from gateway.core.config import load_config
from gateway.core.values import Envelope
from gateway.outbox.returnpath import return_path
from gateway.outbox.sender import OutboxSender
from gateway.register.models import AuditEvent, Document
from gateway.register.service import Register
from gateway.routing.router import open_router
from gateway.runtime.pipeline import process_one
from gateway.spool import Spool, quarantine

OURS = "vanthu@sct.example.gov.vn"
SENDER = "vanthu@hanoi.gov.vn"
FORWARD_AND_RECEIPT = """
[[rule]]
name = "thanh-tra"
[rule.when]
keywords_any = ["khiếu nại"]
[rule.then]
lead = "TTR"
cooperate = ["KHTC"]
forward = true
receipt = true
"""


def stack(tmp_path, rules: str = FORWARD_AND_RECEIPT, departments: str | None = None, **overrides):
    """config, spool, register and router of a gateway receiving at OURS behind a front MTA (TRUSTED_MTA)."""
    folder = write_rules(tmp_path / "rules", rules, **({"departments": departments} if departments else {}))
    values = {"paths.data_dir": str(tmp_path / "data"), "routing.rules_dir": str(folder),
              "smtp.accept_recipients": [OURS], "outbox.from_address": OURS,
              "outbox.receipt_domains": ["*.gov.vn"], "trust.trusted_authserv_ids": [TRUSTED_MTA]}
    config = load_config(None, {**values, **overrides})
    spool = Spool(config.spool_dir, config.workers.max_attempts)
    spool.ensure()
    register = Register(config)
    register.upgrade()
    return config, spool, register, open_router(config, register)


def deliver(stack_, raw: bytes, mail_from: str = SENDER, rcpt: tuple[str, ...] = (OURS,), released_by: str = ""):
    config, spool, register, router = stack_
    envelope = Envelope(source="smtp", received_at=dt.datetime.now(dt.timezone.utc), mail_from=mail_from,
                        rcpt_tos=rcpt, released_by=released_by)
    spool_id = spool.put(raw, envelope)
    return spool_id, process_one(spool.claim(spool_id), spool, register, config, router)


def documents(register) -> int:
    with register.engine.connect() as conn:
        return conn.scalar(sa.select(sa.func.count()).select_from(Document))


def audit_actions(register) -> list[str]:
    with register.engine.connect() as conn:
        return list(conn.execute(sa.select(AuditEvent.action).order_by(AuditEvent.id)).scalars())


def complaint(**headers) -> bytes:
    return make_message("Đơn khiếu nại", "V/v giải quyết đơn khiếu nại", sender=f"UBND <{SENDER}>", to=OURS,
                        headers={**AUTHENTICATED, **headers})


# -- loops ---------------------------------------------------------------------------------------------------


def test_our_own_loop_header_is_quarantined_as_a_loop(tmp_path) -> None:
    config, spool, register, router = stack_ = stack(tmp_path)
    _, outcome = deliver(stack_, complaint(**{"X-Gateway-Loop": OURS.upper()}))
    assert outcome.registration is None and outcome.quarantined.startswith("vòng lặp thư")
    assert "X-Gateway-Loop" in outcome.quarantined and documents(register) == 0
    register.close()


def test_loop_signs_hop_count_own_auto_mail_and_another_installation(tmp_path) -> None:
    config, spool, register, router = stack_ = stack(tmp_path, **{"loop.max_received": 5})
    many_hops = complaint().replace(b"From:", b"".join(b"Received: from hop%d by mx\r\n" % n for n in range(6))
                                    + b"From:", 1)
    _, outcome = deliver(stack_, many_hops)
    assert "6 dòng Received" in outcome.quarantined
    own_auto = make_message("Trả lời tự động", "Tôi đang nghỉ phép.", sender="vanphong@sct.example.gov.vn",
                            headers={"Auto-Submitted": "auto-replied"})
    _, outcome = deliver(stack_, own_auto, mail_from="vanphong@sct.example.gov.vn")
    assert "Auto-Submitted: auto-replied" in outcome.quarantined and "sct.example.gov.vn" in outcome.quarantined
    # another gateway's loop header is that gateway's business: the document is registered
    _, outcome = deliver(stack_, complaint(**{"X-Gateway-Loop": "vanthu@hanoi.gov.vn"}))
    assert outcome.registration is not None and outcome.registration.outcome == "registered"
    assert documents(register) == 1 and spool.counts()["quarantine"] == 2
    assert all(r["reason"].startswith("vòng lặp thư") for r in
               (quarantine.record_of(spool, e.spool_id) for e in spool.list("quarantine")))
    register.close()


def test_rules_check_refuses_a_mailbox_that_is_one_of_our_addresses(tmp_path) -> None:
    departments = '[[department]]\ncode = "VT"\nname = "Văn thư"\nmailbox = "VanThu@sct.example.gov.vn"\n' \
                  '[[department]]\ncode = "TTR"\nname = "Thanh tra"\nmailbox = "vanthu+ttr@localhost"\n' \
                  '[fallback]\nlead = "VT"\nforward = true\n'
    rules = write_rules(tmp_path / "rules", "", departments)
    config = write_config(tmp_path, 2525, extra=f'\n[outbox]\nfrom_address = "{OURS}"\n')
    result = CliRunner().invoke(main, ["--config", str(config), "rules", "check", str(rules)])
    assert result.exit_code == 1, result.output
    assert "10-departments.toml:4: đơn vị VT: hộp thư VanThu@sct.example.gov.vn là một địa chỉ của chính " \
           "gateway" in result.output and "vòng lặp thư" in result.output
    assert "đơn vị TTR: hộp thư vanthu+ttr@localhost là một địa chỉ" in result.output  # an extension of ours too


def test_plan_sends_once_per_recipient_and_never_to_ourselves(tmp_path) -> None:
    departments = '[[department]]\ncode = "VT"\nname = "Văn thư"\n' \
                  '[[department]]\ncode = "TTR"\nname = "Thanh tra"\nmailbox = "chung@sct.example.gov.vn"\n' \
                  '[[department]]\ncode = "KHTC"\nname = "KH-TC"\nmailbox = "Chung@sct.example.gov.vn"\n' \
                  f'[[department]]\ncode = "QLNL"\nname = "Năng lượng"\nmailbox = "{SENDER}"\n' \
                  '[fallback]\nlead = "VT"\n'
    rules = FORWARD_AND_RECEIPT.replace('cooperate = ["KHTC"]', 'cooperate = ["KHTC", "QLNL"]')
    config, spool, register, router = stack_ = stack(tmp_path, rules, departments)
    # the rule files are checked when loaded; a mailbox that became ours later (config changed) is still skipped
    router.config = load_config(None, {**_overrides(config), "smtp.accept_recipients": [OURS, SENDER]})
    _, outcome = deliver(stack_, complaint())
    mail = sorted((m.kind, m.recipient, m.unit_code) for m in register.outbox.list())
    assert mail == [("forward", "chung@sct.example.gov.vn", "TTR")]  # KHTC shares it; QLNL and the sender are ours
    events = {e.action: e.detail for e in register.get_document(outcome.registration.document_id).audit}
    assert events["receipt-withheld"]["reason"].startswith("sender is one of the gateway's own addresses")
    register.close()

    config, spool, register, router = stack_ = stack(tmp_path / "again", rules, departments)
    _, outcome = deliver(stack_, complaint())
    mail = sorted((m.kind, m.recipient) for m in register.outbox.list())
    assert mail == [("forward", "chung@sct.example.gov.vn"), ("forward", SENDER)]  # no receipt: it has a forward
    detail = {e.action: e.detail for e in register.get_document(outcome.registration.document_id).audit}
    assert detail["receipt-withheld"]["reason"] == "the sender already gets a forward of this document"
    assert detail["forward-skipped"] == {"units": ["KHTC"], "reason": "same mailbox as another unit: one forward"}
    register.close()


def _overrides(config) -> dict:
    return {"paths.data_dir": config.paths.data_dir, "routing.rules_dir": config.routing.rules_dir,
            "outbox.from_address": OURS, "outbox.receipt_domains": ["*.gov.vn"],
            "trust.trusted_authserv_ids": [TRUSTED_MTA]}


# -- forged senders: DKIM here by default, no reply to the unauthenticated ----------------------------------


def test_default_checks_dkim_quarantines_a_forged_gov_vn_sender_and_replies_only_to_the_authenticated(tmp_path):
    private, public = make_key(tmp_path)
    dns = StubDns({"sel._domainkey.hanoi.gov.vn": f"v=DKIM1; k=rsa; p={public}"})
    try:
        # no trusted Authentication-Results: the default (verify_dkim = "auto") verifies DKIM here
        config, spool, register, router = stack_ = stack(
            tmp_path, **{"trust.trusted_authserv_ids": [], "trust.dns_servers": [dns.address],
                         "trust.dns_timeout": 2.0})
        assert config.trust.verify_dkim == "auto"
        def raw() -> bytes:
            return make_message("Đơn khiếu nại", "V/v giải quyết đơn khiếu nại", sender=f"UBND <{SENDER}>", to=OURS)

        forged_id, forged = deliver(stack_, raw(), mail_from="attacker@evil.example")
        assert forged.registration is None and "dkim=none" in forged.quarantined
        _, signed = deliver(stack_, sign(raw(), "hanoi.gov.vn", private))
        assert signed.registration.outcome == "registered"
        receipts = [m for m in register.outbox.list() if m.kind == "receipt"]
        assert [(m.recipient, m.document_id) for m in receipts] == [(SENDER, signed.registration.document_id)]
        # the văn thư releases the forged one: registered, but no receipt goes to an unauthenticated sender
        quarantine.release(spool, forged_id, released_by="vanthu")
        released = process_one(spool.claim(forged_id), spool, register, config, router)
        assert released.registration.outcome == "registered"
        events = {e.action: e.detail for e in register.get_document(released.registration.document_id).audit}
        assert events["receipt-withheld"]["reason"].startswith("sender not authenticated")
        assert len([m for m in register.outbox.list() if m.kind == "receipt"]) == 1
        register.close()
    finally:
        dns.close()


# -- delivery reports and auto-replies -----------------------------------------------------------------------


def postfix_like_bounce(to: str, about: bytes, recipient: str, headers_only: bool = False) -> bytes:
    """A DSN laid out as Postfix writes one (RFC 3464), about the message ``about``."""
    returned = about.split(b"\r\n\r\n")[0] + b"\r\n" if headers_only else about
    kind = b"text/rfc822-headers" if headers_only else b"message/rfc822"
    return b"\r\n".join([
        b"From: MAILER-DAEMON@mx.sct.example.gov.vn (Mail Delivery System)",
        b"To: " + to.encode(),
        b"Subject: Undelivered Mail Returned to Sender",
        b"Auto-Submitted: auto-replied",
        b"MIME-Version: 1.0",
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="B1"',
        b"", b"--B1", b"Content-Type: text/plain; charset=us-ascii", b"",
        b"I'm sorry to have to inform you that your message could not be delivered.", b"",
        b"--B1", b"Content-Type: message/delivery-status", b"",
        b"Reporting-MTA: dns; mx.sct.example.gov.vn", b"",
        b"Final-Recipient: rfc822; " + recipient.encode(),
        b"Original-Recipient: rfc822;" + recipient.encode(),
        b"Action: failed", b"Status: 5.1.1",
        b"Diagnostic-Code: smtp; 550 5.1.1 <" + recipient.encode() + b">: Recipient address rejected: User unknown",
        b"", b"--B1", b"Content-Type: " + kind, b"", returned, b"--B1--", b""])


def test_a_bounce_of_our_forward_fails_its_row_and_is_kept_without_a_number(tmp_path) -> None:
    with Sink() as sink:
        config, spool, register, router = stack_ = stack(
            tmp_path, **{"outbox.relay_host": "127.0.0.1", "outbox.relay_port": sink.port})
        deliver(stack_, complaint())
        OutboxSender(config, register).send_due()
        rows = {m.recipient: m for m in register.outbox.list()}
        forward = rows["thanhtra@sct.example.gov.vn"]
        sent = {tuple(rcpts): (mail_from, raw) for mail_from, rcpts, raw in sink.accepted}
        bounce_to, forward_bytes = sent[("thanhtra@sct.example.gov.vn",)]
    assert bounce_to == return_path(OURS, forward.id, forward.message_id, "+")
    before = documents(register)
    bounce = postfix_like_bounce(bounce_to, forward_bytes, "thanhtra@sct.example.gov.vn")
    spool_id, outcome = deliver(stack_, bounce, mail_from="<>", rcpt=(bounce_to,))
    assert outcome.registration is None and outcome.automatic.startswith("thư báo lỗi gửi thư")
    row = register.outbox.get(forward.id)
    assert row.state == "failed" and row.last_error.startswith("bounced: 5.1.1 550 5.1.1 <thanhtra@")
    assert documents(register) == before and spool.counts()["auto"] == 1
    record = quarantine.record_of(spool, spool_id)
    assert record["detail"]["kind"] == "delivery-report" and record["detail"]["outbox_id"] == forward.id
    event = [e for e in register.get_document(forward.document_id).audit if e.action == "outbox-bounced"]
    assert event and event[0].detail["report_spool_id"] == spool_id and event[0].detail["previous_state"] == "sent"
    # the same report again (a crash before its spool file moved): no second event; the receipt is untouched
    deliver(stack_, bounce, mail_from="<>", rcpt=(bounce_to,))
    assert audit_actions(register).count("outbox-bounced") == 1
    assert rows[SENDER].state == register.outbox.get(rows[SENDER].id).state == "sent"
    register.close()


def test_a_report_found_by_message_id_and_a_forged_token_changes_nothing(tmp_path) -> None:
    config, spool, register, router = stack_ = stack(tmp_path)
    deliver(stack_, complaint())
    forward = next(m for m in register.outbox.list() if m.kind == "forward")
    about = f"Message-ID: <{forward.message_id}>\r\nSubject: x\r\n\r\nx\r\n".encode()
    forged_to = f"vanthu+ob-{forward.id}-000000000000@sct.example.gov.vn"
    _, outcome = deliver(stack_, postfix_like_bounce(forged_to, b"Subject: y\r\n\r\ny\r\n", "x@y"), mail_from="<>",
                         rcpt=(forged_to,))
    assert outcome.automatic and register.outbox.get(forward.id).state == "queued"  # wrong token: ignored
    _, outcome = deliver(stack_, postfix_like_bounce(OURS, about, forward.recipient, headers_only=True),
                         mail_from="<>")
    assert register.outbox.get(forward.id).state == "failed"  # headers returned: found by its Message-ID
    assert documents(register) == 1 and spool.counts()["auto"] == 2
    register.close()


@pytest.mark.parametrize("headers, mail_from, sender", [
    ({"Auto-Submitted": "auto-replied"}, SENDER, SENDER),
    ({"X-Autoreply": "yes"}, SENDER, SENDER),
    ({"Precedence": "auto_reply"}, SENDER, SENDER),
    ({"Precedence": "bulk"}, "noreply@hanoi.gov.vn", "noreply@hanoi.gov.vn"),
    ({}, "<>", "thongbao@hanoi.gov.vn"),
], ids=["auto-submitted", "x-autoreply", "precedence-auto-reply", "bulk-from-robot", "null-sender"])
def test_auto_replies_go_to_the_auto_list_with_no_number(tmp_path, headers, mail_from, sender) -> None:
    config, spool, register, router = stack_ = stack(tmp_path)
    raw = make_message("Trả lời tự động: Đơn khiếu nại", "Tôi đang đi công tác.", sender=sender, to=OURS,
                       headers={**AUTHENTICATED, **headers})
    spool_id, outcome = deliver(stack_, raw, mail_from=mail_from)
    assert outcome.registration is None and outcome.automatic.startswith("thư tự động")
    assert documents(register) == 0 and register.outbox.list() == [] and spool.counts()["auto"] == 1
    [entry] = spool.list("auto")
    assert entry.spool_id == spool_id and entry.reason.startswith("thư tự động")
    # the văn thư decides it is a document after all: released, it is registered like any other
    quarantine.release(spool, spool_id, released_by="vanthu")
    assert process_one(spool.claim(spool_id), spool, register, config, router).registration.outcome == "registered"
    register.close()


def test_bulk_from_a_person_is_a_document(tmp_path) -> None:
    stack_ = stack(tmp_path)
    _, outcome = deliver(stack_, complaint(Precedence="bulk"))
    assert outcome.registration.outcome == "registered"
    stack_[2].close()


def test_status_and_spool_list_show_the_auto_list(tmp_path) -> None:
    config_path = write_config(tmp_path, 2525, extra=f'\n[outbox]\nfrom_address = "{OURS}"\n')
    config = load_config(config_path)
    spool = Spool(config.spool_dir)
    spool.ensure()
    spool_id = spool.put(make_message("Out of office", "Away.", headers={"Auto-Submitted": "auto-replied"}),
                         Envelope(source="smtp", received_at=dt.datetime.now(dt.timezone.utc)))
    register = Register(config)
    register.upgrade()
    process_one(spool.claim(spool_id), spool, register, config)
    register.close()
    runner = CliRunner()
    listed = runner.invoke(main, ["--config", str(config_path), "spool", "list", "auto", "--json"])
    assert listed.exit_code == 0 and json.loads(listed.output)[0]["reason"] == "thư tự động: Auto-Submitted: " \
                                                                                 "auto-replied"
    status = runner.invoke(main, ["--config", str(config_path), "status"])
    assert "thư tự động (auto/) 1" in status.output


def test_importing_an_auto_reply_is_no_error(tmp_path) -> None:
    config_path = write_config(tmp_path, 2525)
    eml = tmp_path / "vacation.eml"
    eml.write_bytes(make_message("Out of office", "Away.", headers={"Auto-Submitted": "auto-replied"}))
    result = CliRunner().invoke(main, ["--config", str(config_path), "import", "--json", str(eml)])
    assert result.exit_code == 0, result.output
    line = next(x for x in result.output.splitlines() if x.startswith("{"))
    assert json.loads(line)["outcome"] == "automatic" and "1 thư tự động" in result.output
