"""Routing inside the registering transaction: decision, assignments, outbox rows and audit commit together;
quarantine happens before anything is registered; `gateway show` prints the routing."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import pytest
import sqlalchemy as sa
from docgen import AUTHENTICATED, TRUSTED_MTA, make_message, make_pdf
from routing_helpers import write_rules

from gateway.core.config import load_config
from gateway.core.values import Envelope
from gateway.register.models import Assignment, AuditEvent, Department, Document, RoutingDecision
from gateway.register.service import Register
from gateway.routing.router import open_router
from gateway.runtime.pipeline import process_batch, process_one
from gateway.spool import Spool, quarantine

RULES = """
[[rule]]
name = "khieu-nai"
[rule.when]
keywords_any = ["khiếu nại"]
[rule.then]
lead = "TTR"
cooperate = ["KHTC"]
inform = ["BGD"]
due_days = 1
tag = "don-thu"
forward = true
receipt = true

[[rule]]
name = "mat"
[rule.when]
secrecy_at_least = "mật"
[rule.then]
quarantine = "văn bản mật qua thư điện tử"

[[rule]]
name = "lua-dao"
[rule.when]
keywords_all = ["mật khẩu", "tài khoản"]
[rule.then]
quarantine = "thư lừa đảo"
stop = true
"""


def stack_for(tmp_path, database_url: str = ""):
    rules = write_rules(tmp_path / "rules", RULES)
    config = load_config(None, {"paths.data_dir": str(tmp_path / "data"), "database.url": database_url,
                                "routing.rules_dir": str(rules), "outbox.receipt_domains": ["*.gov.vn"],
                                "outbox.from_address": "vanthu@sct.example.gov.vn",
                                "trust.other_action": "accept",  # this test is about routing, not sender policy
                                "trust.trusted_authserv_ids": [TRUSTED_MTA]})  # AUTHENTICATED mail may get receipts
    spool = Spool(config.spool_dir, config.workers.max_attempts)
    spool.ensure()
    register = Register(config)
    register.upgrade()
    return config, spool, register, open_router(config, register)


def put(spool: Spool, raw: bytes, when: dt.datetime) -> str:
    return spool.put(raw, Envelope(source="smtp", received_at=when, rcpt_tos=("vanthu@sct.example.gov.vn",)))


FRIDAY_BEFORE_TET = dt.datetime(2026, 2, 13, 3, 0, tzinfo=dt.timezone.utc)  # 10:00 in Hà Nội


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_decision_assignments_outbox_and_audit_commit_with_the_document(tmp_path, backend, request) -> None:
    url = request.getfixturevalue("postgres_url") if backend == "postgresql" else ""
    config, spool, register, router = stack_for(tmp_path, url)
    try:
        raws = [make_message("Đơn khiếu nại", "V/v giải quyết đơn khiếu nại của công dân", sender=sender,
                             message_id=f"<k{n}@hanoi.gov.vn>", headers=AUTHENTICATED,
                             attachments=[("don.pdf", make_pdf(["Đơn khiếu nại"]), "application/pdf")])
                for n, sender in enumerate(["Sở X <vanthu@hanoi.gov.vn>", "spam <x@evil.example.com>"])]
        for raw in raws:
            put(spool, raw, FRIDAY_BEFORE_TET)
        outcomes = process_batch(spool.claim_batch(8), spool, register, config, router)
        doc_ids = [o.registration.document_id for o in outcomes]
        with register.engine.connect() as conn:
            decision = conn.execute(sa.select(RoutingDecision).where(RoutingDecision.document_id == doc_ids[0])).one()
            assert [m["rule"] for m in decision.matched] == ["khieu-nai"] and decision.tags == ["don-thu"]
            assignments = conn.execute(sa.select(Assignment.unit_code, Assignment.role, Assignment.due_date)
                                       .where(Assignment.document_id == doc_ids[0])
                                       .order_by(Assignment.id)).all()
            assert [tuple(a) for a in assignments] == [
                ("TTR", "lead", dt.date(2026, 2, 23)), ("KHTC", "cooperate", dt.date(2026, 2, 23)),
                ("BGD", "inform", None)]  # one working day after Friday 13/2/2026 is Monday 23/2 (Tết)
            assert conn.scalar(sa.select(Document.due_date).where(Document.id == doc_ids[0])) == dt.date(2026, 2, 23)
            actions = conn.execute(sa.select(AuditEvent.action, AuditEvent.document_id)
                                   .where(AuditEvent.document_id.in_(doc_ids))).all()
            departments = dict(conn.execute(sa.select(Department.code, Department.active)).all())
        assert departments["TTR"] is True and len(departments) == 5
        assert ("routed", doc_ids[0]) in actions and ("receipt-withheld", doc_ids[1]) in actions
        mail = register.outbox.list()
        first = sorted((m.kind, m.recipient) for m in mail if m.document_id == doc_ids[0])
        # BGD has no mailbox (forward-skipped); a receipt only to the allowed domain.
        assert first == [("forward", "khtc@sct.example.gov.vn"), ("forward", "thanhtra@sct.example.gov.vn"),
                         ("receipt", "vanthu@hanoi.gov.vn")]
        assert not any(m.kind == "receipt" for m in mail if m.document_id == doc_ids[1])
        assert len({m.message_id for m in mail}) == len(mail)
    finally:
        register.close()


def test_a_failing_routing_write_rolls_back_the_registration(tmp_path) -> None:
    config, spool, register, router = stack_for(tmp_path)
    try:
        with register.engine.begin() as conn:  # a department the rules need disappears from the table
            conn.execute(sa.delete(Department).where(Department.code == "KHTC"))
        spool_id = put(spool, make_message("Đơn khiếu nại", "khiếu nại"), FRIDAY_BEFORE_TET)
        outcome = process_one(spool.claim(spool_id), spool, register, config, router)
        assert outcome.registration is None and "refused" in outcome.error
        with register.engine.connect() as conn:
            assert conn.scalar(sa.select(sa.func.count()).select_from(Document)) == 0
            assert conn.scalar(sa.select(sa.func.count()).select_from(RoutingDecision)) == 0
        assert register.outbox.list() == []
    finally:
        register.close()


def test_quarantine_happens_before_registering(tmp_path) -> None:
    config, spool, register, router = stack_for(tmp_path)
    raw = make_message("Xác minh tài khoản", "Vui lòng cung cấp mật khẩu tài khoản thư công vụ.")
    spool_id = put(spool, raw, FRIDAY_BEFORE_TET)
    try:
        outcome = process_one(spool.claim(spool_id), spool, register, config, router)
        assert outcome.quarantined == "thư lừa đảo" and outcome.registration is None
        assert (config.spool_dir / "quarantine" / f"{spool_id}.msg").exists()
        assert "thư lừa đảo" in quarantine.record_of(spool, spool_id)["reason"]
        assert spool.counts()["claimed"] == 0
        with register.engine.connect() as conn:
            assert conn.scalar(sa.select(sa.func.count()).select_from(Document)) == 0
    finally:
        register.close()


def test_show_prints_the_routing_and_the_audit_trail(tmp_path) -> None:
    config, spool, register, router = stack_for(tmp_path)
    try:
        spool_id = put(spool, make_message("Đơn khiếu nại", "khiếu nại", sender="a@hanoi.gov.vn",
                                           headers=AUTHENTICATED), FRIDAY_BEFORE_TET)
        document_id = process_one(spool.claim(spool_id), spool, register, config, router).registration.document_id
    finally:
        register.close()
    config_file = tmp_path / "gateway.toml"
    config_file.write_text(f'[paths]\ndata_dir = "{tmp_path / "data"}"\n[routing]\nrules_dir = "{tmp_path / "rules"}"\n',
                           encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "gateway", "--config", str(config_file), "show",
                             str(document_id)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    out = " ".join(result.stdout.split())
    assert "chủ trì TTR — Thanh tra, hạn 23/02/2026 [chưa xử lý]" in out
    assert "phối hợp KHTC" in out and "để biết BGD" in out
    assert "luật khieu-nai: chủ trì TTR" in out
    assert "thư chuyển tiếp → thanhtra@sct.example.gov.vn: đang chờ gửi" in out
    assert "Định tuyến Chủ trì TTR; phối hợp KHTC; để biết BGD; hạn 23/02/2026; theo luật khieu-nai" in out
    explained = subprocess.run([sys.executable, "-m", "gateway", "--config", str(config_file), "rules", "explain",
                                str(document_id)], capture_output=True, text=True)
    assert explained.returncode == 0, explained.stderr
    assert "KHỚP     khieu-nai" in explained.stdout and "không    mat" in explained.stdout


EXPLAIN_RULES = """
[[rule]]
name = "khieu-nai"
[rule.when]
keywords_any = ["khiếu nại"]
search_in = ["text"]
[rule.then]
lead = "TTR"

[[rule]]
name = "nha-o-xa-hoi"
[rule.when]
keywords_any = ["nhà ở xã hội"]
[rule.then]
lead = "QLNL"

[[rule]]
name = "so-tai-chinh"
[rule.when]
organ_id = "000.00.11.H53"
[rule.then]
lead = "KHTC"
"""


def test_explain_of_a_registered_document_reads_its_files_pdf_scan_and_edxml(tmp_path) -> None:
    """`rules explain ID` on documents with attachments gives the decision made when they were registered."""
    from click.testing import CliRunner
    from docgen import make_edxml, make_official_pdf, scan_of

    from gateway.cli import main
    from gateway.understand import ocr

    rules = write_rules(tmp_path / "rules", EXPLAIN_RULES)
    config_file = tmp_path / "gateway.toml"
    config_file.write_text(f'[paths]\ndata_dir = "{tmp_path / "data"}"\n[routing]\nrules_dir = "{rules}"\n'
                           '[trust]\nother_action = "accept"\nverify_dkim = "never"\n', encoding="utf-8")
    config = load_config(config_file)
    spool = Spool(config.spool_dir, config.workers.max_attempts)
    spool.ensure()
    register = Register(config)
    register.upgrade()
    pdf = make_pdf(["Chuyển đơn khiếu nại của công dân về đất đai"])  # the keyword is in the file only
    files = {"pdf": [("don.pdf", pdf, "application/pdf")], "edxml": [("goi.edxml", make_edxml(), "application/xml")]}
    expected = {"pdf": "TTR", "edxml": "KHTC"}
    if ocr.available():
        files["scan"] = [("31.pdf", scan_of(make_official_pdf(
            organ=("SỞ XÂY DỰNG",), number="31", notation="SXD-QLN", place="Huế", day="09", month="02",
            year="2025", vv=("V/v nhà ở xã hội",), signer=("GIÁM ĐỐC",), signer_name="Võ Văn Dũng"),
            angle=0.5, speckle=4000), "application/pdf")]
        expected["scan"] = "QLNL"
    documents = {}
    try:
        router = open_router(config, register)
        for kind, attachments in files.items():
            spool_id = put(spool, make_message("Chuyển văn bản", "Kính gửi văn thư.", attachments,
                                               sender="vt@hanoi.gov.vn", message_id=f"<{kind}@hanoi.gov.vn>"),
                           FRIDAY_BEFORE_TET)
            outcome = process_one(spool.claim(spool_id), spool, register, config, router)
            documents[kind] = outcome.registration.document_id
        routed = {kind: register.views.routing(doc) for kind, doc in documents.items()}
    finally:
        register.close()
    for kind, document_id in documents.items():
        result = CliRunner().invoke(main, ["--config", str(config_file), "rules", "explain", str(document_id)])
        assert result.exit_code == 0, f"{kind}: {result.output}"
        out = result.output
        lead = next(a.unit_code for a in routed[kind].assignments if a.role == "lead")
        assert lead == expected[kind], kind
        assert f"chủ trì  {lead} " in out, f"{kind}: {out}"
        matched = [m["rule"] for m in routed[kind].matched]
        assert [line.split()[1] for line in out.splitlines() if line.strip().startswith("KHỚP")] == matched
        assert "tệp " in out and ("pdf" in out or "xml" in out)
