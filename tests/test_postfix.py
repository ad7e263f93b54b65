"""The gateway behind Postfix as the README sets it up: Debian's Postfix 3.7 started on loopback with the README's
main.cf and map files copied as written; smtp-source through it with a gateway restart in the middle and the count
check; a real Postfix bounce of a forward; Authentication-Results from outside stripped; auto-replies kept apart."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa
from conftest import wait_for
from docgen import make_message
from postfix_kit import PostfixInstance, need_postfix, readme_postfix_files, smtp_source
from routing_helpers import complaint_rule, write_rules
from smtp_sink import Sink

from gateway.core.config import load_config
from gateway.register.models import Arrival, Document
from gateway.spool import Spool, quarantine

pytestmark = pytest.mark.slow
OURS = "vanthu@sct.example.gov.vn"
MORE_THAN_ONCE = "may be sent more than once"


@pytest.fixture
def postfix():
    """Builds Postfix instances; each is stopped and its folder removed after the test. The folder is not under
    pytest's tmp_path: that is private to root, and Postfix's own user must reach its data folder."""
    need_postfix()
    made: list[PostfixInstance] = []

    def make(gateway_port: int, extra_transport: str = "", extra_recipients: str = "") -> PostfixInstance:
        root = Path(tempfile.mkdtemp(prefix="gateway-postfix-"))
        root.chmod(0o755)
        instance = PostfixInstance(root / "instance", gateway_port, extra_transport, extra_recipients)
        made.append(instance)
        instance.write()
        check = instance.run("postfix", "check", check=False)
        assert check.returncode == 0 and not (check.stdout + check.stderr).strip(), check
        assert "warning" not in instance.log_text(), instance.log_text()  # postfix check is clean
        instance.start()
        return instance

    yield make
    for instance in made:
        instance.stop()
        shutil.rmtree(instance.root.parent, ignore_errors=True)


def counts(config) -> tuple[int, int]:
    """(documents, duplicate arrivals) in the gateway's register."""
    engine = sa.create_engine(config.database_url)
    try:
        with engine.connect() as conn:
            documents = conn.scalar(sa.select(sa.func.count()).select_from(Document))
            duplicates = conn.scalar(sa.select(sa.func.count()).select_from(Arrival).where(Arrival.kind == "duplicate"))
    finally:
        engine.dispose()
    return documents, duplicates


def test_readme_main_cf_has_no_comment_after_a_value() -> None:
    """main.cf takes "#" only at the start of a line; after a value it becomes part of the value."""
    for path, body in readme_postfix_files().items():
        for line in body.splitlines():
            assert line.lstrip().startswith("#") or "#" not in line, f"{path}: {line}"
    assert set(readme_postfix_files()) == {"/etc/postfix/main.cf", "/etc/postfix/relay_recipients",
                                           "/etc/postfix/transport", "/etc/postfix/header_checks"}


def test_smtp_source_through_postfix_with_a_gateway_restart_registers_each_once(gateway_factory, postfix) -> None:
    gateway = gateway_factory(workers=2)
    gateway.start()
    relay = postfix(gateway.port)
    config = load_config(gateway.config_path)
    total = 600
    source = threading.Thread(target=smtp_source, args=(relay.port, total, 6, "vanthu@so.example.test", OURS))
    source.start()
    wait_for(lambda: counts(config)[0] >= 100, timeout=120, what="the first hundred registrations")
    assert gateway.stop() == 0  # SIGTERM while Postfix is delivering
    stopped_at = counts(config)[0]
    drained = re.search(r"smtp intake drained in [\d.]+ s: (\d+) session\(s\) open", gateway.log_text())
    assert drained and int(drained.group(1)) > 0  # Postfix was connected, delivering, when the stop came
    gateway.start()
    source.join(600)
    assert not source.is_alive()
    relay.flush()  # `postqueue -f` after the downtime, as the README says
    wait_for(lambda: relay.queue_empty() and counts(config)[0] >= total, timeout=300,
             what=f"all {total} messages registered (Postfix queue empty)")
    documents, duplicates = counts(config)
    delivered = relay.delivered_to(gateway.port)
    log = relay.log_text()
    assert MORE_THAN_ONCE not in log, [line for line in log.splitlines() if MORE_THAN_ONCE in line]
    assert (documents, duplicates, len(delivered)) == (total, 0, total), (stopped_at, log[-3000:])
    spool = Spool(config.spool_dir)
    assert {k: v for k, v in spool.counts().items() if v} == {}
    assert gateway.stop() == 0


BOUNCE_RULES = complaint_rule(lead="TTR", forward=True)


def test_a_real_postfix_bounce_of_a_forward_fails_its_outbox_row(tmp_path, gateway_factory, postfix) -> None:
    """The unit's server refuses the forward after Postfix took it; Postfix's DSN comes back to the outbox's
    return path through the README's set-up: the row fails with the diagnostic, the register keeps one document."""
    with Sink(["550 5.1.1 <thanhtra@sct.example.gov.vn>: Recipient address rejected: User unknown"] * 5) as unit:
        rules = write_rules(tmp_path / "rules", BOUNCE_RULES)
        gateway = gateway_factory(workers=1)
        relay = postfix(gateway.port, extra_transport=f"thanhtra@sct.example.gov.vn    smtp:[127.0.0.1]:{unit.port}\n",
                        extra_recipients="thanhtra@sct.example.gov.vn    x\n")
        gateway.config_path.write_text(gateway.config_path.read_text() + f"""
[routing]
rules_dir = "{rules}"

[outbox]
relay_host = "127.0.0.1"
relay_port = {relay.port}
from_address = "{OURS}"
poll_interval = 0.1
""", encoding="utf-8")
        gateway.start()
        raw = make_message("Đơn khiếu nại", "V/v giải quyết đơn khiếu nại của công dân", to=OURS)
        with __import__("smtplib").SMTP("127.0.0.1", relay.port, timeout=30) as client:
            client.sendmail("vanthu@so.example.test", [OURS], raw)
        config = load_config(gateway.config_path)
        spool = Spool(config.spool_dir)
        wait_for(lambda: spool.counts()["auto"] == 1, timeout=120, what="Postfix's bounce to reach auto/")
        engine = sa.create_engine(config.database_url)
        with engine.connect() as conn:
            row = conn.execute(sa.text("select state, last_error, kind from outbox")).one()
        engine.dispose()
        assert row.state == "failed" and row.kind == "forward"
        assert row.last_error.startswith("bounced: 5.1.1") and "User unknown" in row.last_error
        assert counts(config) == (1, 0)
        [report] = spool.list("auto")
        assert report.mail_from == "<>" and report.reason.startswith("thư báo lỗi gửi thư")
        assert quarantine.record_of(spool, report.spool_id)["detail"]["outbox_id"] == 1
        assert re.search(r"to=<vanthu\+ob-1-[0-9a-f]{12}@sct\.example\.gov\.vn>.*status=sent", relay.log_text())
        assert gateway.stop() == 0


def test_outside_authentication_results_stripped_and_auto_replies_kept_apart(gateway_factory, postfix) -> None:
    gateway = gateway_factory(workers=1, extra='\n[trust]\nother_action = "accept"\nverify_dkim = "never"\n'
                                             'trusted_authserv_ids = ["mx.sct.example.gov.vn"]\n')
    gateway.start()
    relay = postfix(gateway.port)
    forged = make_message("Công văn giả", "Chuyển tiền gấp.", sender="Chủ tịch <ct@ubnd.example.gov.vn>", to=OURS,
                          headers={"Authentication-Results": "mx.sct.example.gov.vn; dkim=pass; spf=pass; "
                                                             "dmarc=pass"})
    vacation = make_message("Trả lời tự động: Công văn", "Tôi đang nghỉ phép.", sender="vanphong@hanoi.gov.vn",
                            to=OURS, headers={"Auto-Submitted": "auto-replied"})
    import smtplib

    with smtplib.SMTP("127.0.0.1", relay.port, timeout=30) as client:
        client.sendmail("ct@ubnd.example.gov.vn", [OURS], forged)
        client.sendmail("vanphong@hanoi.gov.vn", [OURS], vacation)
    config = load_config(gateway.config_path)
    spool = Spool(config.spool_dir)
    wait_for(lambda: spool.counts()["quarantine"] == 1 and spool.counts()["auto"] == 1, timeout=120,
             what="the forged message held and the auto-reply kept apart")
    [held] = spool.list("quarantine")
    _, _, raw, record = quarantine.show(spool, held.spool_id)
    assert b"Authentication-Results" not in raw  # Postfix removed the sender's own header
    assert "failed authentication: dkim=none spf=none dmarc=none" in record["reason"]
    assert spool.list("auto")[0].reason == "thư tự động: Auto-Submitted: auto-replied"
    assert counts(config) == (0, 0)
    assert gateway.stop() == 0
    assert subprocess.run(["postconf", "-c", str(relay.etc), "-h", "header_checks"], capture_output=True,
                          text=True).stdout.strip() == f"regexp:{relay.etc}/header_checks"
