"""The real daemon: mail in by SMTP → registered → assignments → forward and receipt at the sink; reload with a
broken rule file keeps the old rules; a restart in the middle of a send sends no second distinct message."""

from __future__ import annotations

import re
import signal
import smtplib
import subprocess
import sys
import threading
from email import message_from_bytes, policy

import sqlalchemy as sa
from conftest import REPO, wait_for
from docgen import AUTHENTICATED, TRUSTED_MTA, make_message, make_pdf
from routing_helpers import write_rules
from smtp_sink import Sink

from gateway.core.config import load_config
from gateway.register.models import Assignment, OutboxMessage
from gateway.routing.router import Router


def outbox_extra(sink_port: int, rules_dir, lease: float = 300.0) -> str:
    return f"""
[routing]
rules_dir = "{rules_dir}"

[outbox]
relay_host = "127.0.0.1"
relay_port = {sink_port}
from_address = "vanthu@sct.example.gov.vn"
receipt_domains = ["*.gov.vn"]
poll_interval = 0.1
backoff_initial = 0.2
lease = {lease}

[trust]
other_action = "accept"
trusted_authserv_ids = ["{TRUSTED_MTA}"]
"""


def send(port: int, raw: bytes, sender: str = "vanthu@hanoi.gov.vn") -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        client.sendmail(sender, ["vanthu@sct.example.gov.vn"], raw)


def engine_of(tmp_path):
    return sa.create_engine(f"sqlite:///{tmp_path / 'data' / 'register.sqlite3'}")


def assignments(engine) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(
            sa.select(Assignment.document_id, Assignment.unit_code, Assignment.role).order_by(Assignment.id))]


def test_mail_in_by_smtp_is_routed_forwarded_and_acknowledged(tmp_path, gateway_factory) -> None:
    with Sink() as sink:
        gateway = gateway_factory(workers=1, extra=outbox_extra(sink.port, REPO / "rules"))
        gateway.start()
        raw = make_message("Chuyển đơn khiếu nại", "Kính gửi Sở Công Thương.",
                           sender="UBND huyện <vanthu@hanoi.gov.vn>", to="vanthu@sct.example.gov.vn",
                           message_id="<don-1@hanoi.gov.vn>", headers=AUTHENTICATED,
                           attachments=[("don.pdf", make_pdf(["V/v giải quyết đơn khiếu nại của công dân"]),
                                         "application/pdf")])
        send(gateway.port, raw)
        wait_for(lambda: len(sink.accepted) >= 3, timeout=60, what="forwards and receipt at the sink")
        got = {tuple(rcpts): msg for (_, rcpts, _), msg in zip(sink.accepted, sink.messages())}
        assert set(got) == {("thanhtra@sct.example.gov.vn",), ("vanphong@sct.example.gov.vn",),
                            ("vanthu@hanoi.gov.vn",)}
        receipt = got[("vanthu@hanoi.gov.vn",)]
        assert receipt["In-Reply-To"] == "<don-1@hanoi.gov.vn>" and "Số đến: 1/" in receipt.get_content()
        forward = got[("thanhtra@sct.example.gov.vn",)]
        assert forward["Subject"].startswith("[Số đến 1/")
        assert "Vai trò của đơn vị: Chủ trì" in forward.get_body(("plain",)).get_content()
        attached = [p.get_content() for p in forward.iter_attachments()]
        assert attached and b"don-1@hanoi.gov.vn" in attached[0]
        assert assignments(engine_of(tmp_path)) == [(1, "TTR", "lead"), (1, "VP", "cooperate")]
        assert gateway.stop() == 0


RULES_A = '[[rule]]\nname = "dien"\n[rule.when]\nkeywords_any = "điện"\n[rule.then]\nlead = "QLNL"\n'
RULES_B = '[[rule]]\nname = "dien"\n[rule.when]\nkeywords_any = "điện"\n[rule.then]\nlead = "KHTC"\n'


def test_reload_with_a_broken_file_keeps_the_old_rules(tmp_path, gateway_factory) -> None:
    rules = write_rules(tmp_path / "rules", RULES_A)
    gateway = gateway_factory(workers=1, extra=f'\n[routing]\nrules_dir = "{rules}"\n')
    gateway.start()
    engine = engine_of(tmp_path)
    send(gateway.port, make_message("Giá điện 1", "điện"))
    wait_for(lambda: assignments(engine) == [(1, "QLNL", "lead")], what="routing by the first rules")

    (rules / "20-rules.toml").write_text(RULES_B + '[[rule]]\nname = "broken"\n[rule.when]\ncolour = 1\n',
                                         encoding="utf-8")
    gateway.process.send_signal(signal.SIGHUP)
    wait_for(lambda: "rules reload failed, keeping rules" in gateway.log_text(), what="the reload to fail")
    assert "20-rules.toml:10: luật broken: không có điều kiện 'colour'" in gateway.log_text()
    # A worker started now (after a crash, say) loads the accepted rules, not the broken file.
    accepted = re.findall(r"worker \d+ ready with rules (\w+)", gateway.log_text())[0]
    assert Router.from_snapshot(load_config(gateway.config_path)).ruleset.version == accepted
    send(gateway.port, make_message("Giá điện 2", "điện"))
    wait_for(lambda: (2, "QLNL", "lead") in assignments(engine), what="routing by the old rules")

    (rules / "20-rules.toml").write_text(RULES_B, encoding="utf-8")
    config = str(gateway.config_path)
    result = subprocess.run([sys.executable, "-m", "gateway", "--config", config, "rules", "reload"],
                            capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 0, result.stderr
    wait_for(lambda: "reload: routing rules" in gateway.log_text(), what="the reload to be accepted")
    send(gateway.port, make_message("Giá điện 3", "điện"))
    wait_for(lambda: (3, "KHTC", "lead") in assignments(engine), what="routing by the new rules")
    assert gateway.stop() == 0


def test_a_restart_in_the_middle_of_a_send_sends_one_distinct_message(tmp_path, gateway_factory) -> None:
    rules = write_rules(tmp_path / "rules", RULES_A.replace('lead = "QLNL"', 'lead = "QLNL"\nreceipt = true'))
    with Sink() as sink:
        sink.hold = threading.Event()
        gateway = gateway_factory(workers=1, extra=outbox_extra(sink.port, rules, lease=1.0))
        gateway.start()
        send(gateway.port, make_message("Giá điện", "điện", sender="vanthu@hanoi.gov.vn", headers=AUTHENTICATED))
        assert sink.holding.wait(60), "the sender never reached DATA"
        gateway.kill9()  # the daemon dies while the relay has the message but has not answered
        sink.hold.set()
        gateway.start()
        wait_for(lambda: len(sink.accepted) == 1, timeout=60, what="the resend after the lease ran out")
        assert len(sink.received) == 2  # the relay may have kept the first copy: it had all of it
        ids = {message_from_bytes(raw, policy=policy.default)["Message-ID"] for raw in sink.received}
        assert len(ids) == 1  # the same Message-ID: the receiving side sees one message twice, not two
        engine = engine_of(tmp_path)
        wait_for(lambda: _states(engine) == [("sent", 2)], what="the row to be marked sent")
        assert gateway.stop() == 0
        gateway.start()  # a clean restart finds nothing to send again
        wait_for(lambda: gateway.log_text().count("outbox sender started") == 3, what="the third start")
        assert gateway.stop() == 0
        assert len(sink.received) == 2 and _states(engine) == [("sent", 2)]


def _states(engine) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.select(OutboxMessage.state, OutboxMessage.attempts))]
