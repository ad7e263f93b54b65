"""Sender policy and authentication, the quarantine commands, the audit hash chain and `gateway audit verify`."""

from __future__ import annotations

import json
import sqlite3

import pytest
from click.testing import CliRunner
from conftest import write_config
from dnsstub import StubDns, make_key, sign
from docgen import make_message, make_pdf

from gateway.cli import main
from gateway.core.config import TrustConfig, load_config
from gateway.register.service import Register
from gateway.runtime.pipeline import process_one
from gateway.spool import Spool
from gateway.trust.authres import results_from_headers
from gateway.trust.dkimcheck import verify_dkim
from gateway.trust.policy import domain_action

GOV = "ubnd.example.gov.vn"


def test_authentication_results_only_from_the_topmost_trusted_header():
    trusted = ("mx.sct.example.gov.vn",)
    ours = ("Authentication-Results", "mx.sct.example.gov.vn; spf=pass smtp.mailfrom=a@x.gov.vn; "
                                      "dkim=pass (good) header.d=x.gov.vn; dmarc=pass header.from=x.gov.vn")
    forged = ("Authentication-Results", "mx.sct.example.gov.vn; dkim=pass; dmarc=pass")
    theirs = ("Authentication-Results", "evil.example; dkim=pass; spf=pass; dmarc=pass")
    got = results_from_headers((ours, ("Received", "x"), theirs), trusted)
    assert (got.spf, got.dkim, got.dmarc, got.source) == ("pass", "pass", "pass", "mx.sct.example.gov.vn")
    # the sender's own header above ours is not believed, nor is a copy of our id lower down
    got = results_from_headers((theirs, forged), trusted)
    assert (got.spf, got.dkim, got.dmarc) == ("none", "none", "none") and "untrusted" in got.source
    got = results_from_headers((("Authentication-Results", "(c) MX.SCT.example.gov.vn 1; none"),), trusted)
    assert (got.dkim, got.source) == ("none", "mx.sct.example.gov.vn")


def test_domain_policy_with_wildcards_and_overrides():
    trust = TrustConfig(domain_overrides=("spam.gov.vn=reject", "partner.example.com=accept"))
    assert domain_action("gov.vn", trust) == "accept"
    assert domain_action("ubnd.hanoi.gov.vn", trust) == "accept"
    assert domain_action("evilgov.vn", trust) == "quarantine"
    assert domain_action("gov.vn.evil.example", trust) == "quarantine"
    assert domain_action("spam.gov.vn", trust) == "reject"
    assert domain_action("partner.example.com", trust) == "accept"
    assert domain_action("", trust) == "quarantine"


def test_dkim_verification_through_a_configured_resolver(tmp_path):
    private, public = make_key(tmp_path)
    dns = StubDns({f"sel._domainkey.{GOV}": f"v=DKIM1; k=rsa; p={public}"})
    try:
        trust = TrustConfig(verify_dkim=True, dns_servers=(dns.address,), dns_timeout=2.0)
        raw = make_message("Công văn", "Nội dung.", sender=f"Văn thư <vt@{GOV}>")
        signed = sign(raw, GOV, private)
        assert verify_dkim(signed, GOV, trust) == "pass"
        assert f"sel._domainkey.{GOV}" in dns.queries
        assert verify_dkim(signed.replace("Nội dung".encode(), b"Noi dung sua"), GOV, trust) == "fail"
        assert verify_dkim(raw, GOV, trust) == "none"
        assert verify_dkim(signed, "other.gov.vn", trust) == "fail"  # signature not of the From domain
    finally:
        dns.close()


@pytest.fixture
def gateway_cli(tmp_path):
    """Runs `gateway` commands on a config whose [trust] section the test chooses."""

    def make(trust: str):
        config = write_config(tmp_path, 2525, extra=f"[trust]\n{trust}\n")
        runner = CliRunner()

        def run(*args: str, code: int = 0):
            result = runner.invoke(main, ["--config", str(config), *args], catch_exceptions=False)
            assert result.exit_code == code, f"exit {result.exit_code}: {result.output}"
            return result

        return run, load_config(config)

    return make


def _imported_json(run, path) -> dict:
    output = run("import", "--json", str(path)).output
    return json.loads(next(line for line in output.splitlines() if line.startswith("{")))


def test_forged_gov_vn_sender_is_quarantined_and_signed_one_registered_with_results(gateway_cli, tmp_path):
    private, public = make_key(tmp_path)
    attacker, _ = make_key(_sub(tmp_path))  # the forger signs with a key of their own
    dns = StubDns({f"sel._domainkey.{GOV}": f"v=DKIM1; k=rsa; p={public}"})
    try:
        run, _ = gateway_cli(f'verify_dkim = true\ndns_servers = ["{dns.address}"]\ndns_timeout = 2.0')
        good = tmp_path / "good.eml"
        good.write_bytes(sign(make_message("Công văn thật", "Nội dung.", sender=f"Văn thư <vt@{GOV}>"), GOV, private))
        forged = tmp_path / "forged.eml"
        forged.write_bytes(sign(make_message("Công văn giả", "Chuyển tiền.", sender=f"Chủ tịch <ct@{GOV}>"),
                                GOV, attacker))
        registered = _imported_json(run, good)
        assert registered["outcome"] == "registered"
        shown = run("show", str(registered["document_id"])).output
        assert "DKIM đạt" in shown and "local-dkim" in shown
        assert _json(run("show", "--json", str(registered["document_id"])).output)["message"][
            "authentication"]["dkim"] == "pass"
        held = _imported_json(run, forged)
        assert held["outcome"] == "quarantined" and "dkim=fail" in held["error"]
        listing = run("quarantine", "list").output
        assert held["spool_id"] in listing and "không xác thực được" in listing
        assert "Công văn giả" not in run("search", "giả").output
    finally:
        dns.close()


def _json(output: str):
    return json.loads(output[output.index("{"):output.rindex("}") + 1])


def _sub(tmp_path):
    other = tmp_path / "attacker"
    other.mkdir()
    return other


def test_quarantine_release_registers_and_delete_leaves_an_audit_record(gateway_cli, tmp_path):
    run, config = gateway_cli('other_action = "quarantine"')
    for number in (1, 2):
        path = tmp_path / f"m{number}.eml"
        path.write_bytes(make_message(f"Thư quảng cáo {number}", "Mua ngay.", sender=f"shop{number}@ads.example.com"))
        assert _imported_json(run, path)["outcome"] == "quarantined"
    spool = Spool(config.spool_dir)
    first, second = [entry.spool_id for entry in spool.list("quarantine")]
    assert "Tên miền người gửi ads.example.com không nằm trong danh sách" in run("quarantine", "show", first).output

    assert f"Đã cho {first} vào sổ" in run("quarantine", "release", first).output
    claimed = spool.claim_next()
    assert claimed is not None and claimed.spool_id == first and claimed.envelope.released_by
    register = Register.open(config)
    try:
        outcome = process_one(claimed, spool, register, config)
        assert outcome.registration is not None and outcome.registration.outcome == "registered"
    finally:
        register.close()

    run("quarantine", "delete", "--yes", second)
    assert spool.list("quarantine") == []
    run("quarantine", "show", second, code=4)
    with sqlite3.connect(config.data_dir / "register.sqlite3") as db:
        rows = db.execute("SELECT action, message_id, detail FROM audit_events WHERE action LIKE 'quarantine-%' "
                          "ORDER BY id").fetchall()
    assert [row[0] for row in rows] == ["quarantine-released", "quarantine-deleted"]
    deleted = json.loads(rows[1][2])
    assert rows[1][1] is None and deleted["spool_id"] == second
    assert deleted["mail_from"] == "" and deleted["subject"] == "Thư quảng cáo 2" and "ads.example.com" in deleted["reason"]
    run("audit", "verify")


def test_audit_chain_verify_finds_edits_removals_and_corrupt_blobs(gateway_cli, tmp_path):
    run, config = gateway_cli('other_action = "accept"')
    for number in (1, 2, 3):
        path = tmp_path / f"m{number}.eml"
        path.write_bytes(make_message(f"Công văn số {number}", "Nội dung.",
                                      [(f"cv{number}.pdf", make_pdf([f"Văn bản {number}"]), "application/pdf")]))
        assert _imported_json(run, path)["outcome"] == "registered"
    assert "3 sự kiện nối chuỗi đúng" in run("audit", "verify").output

    register = Register.open(config)
    try:
        register.changes.correct(2, {"subject": "Trích yếu sửa", "due_date": None}, actor="nguyenvana")
    finally:
        register.close()
    verified = run("audit", "verify").output
    assert "4 sự kiện nối chuỗi đúng" in verified
    shown = _json(run("show", "--json", "2").output)
    change = [e for e in shown["audit"] if e["action"] == "field-corrected"]
    assert len(change) == 1, "an unchanged field (due_date) writes no event"
    assert change[0]["actor"] == "nguyenvana" and change[0]["detail"]["field"] == "subject"
    assert change[0]["detail"]["new"] == "Trích yếu sửa" and change[0]["detail"]["old"] != "Trích yếu sửa"

    database = config.data_dir / "register.sqlite3"
    with sqlite3.connect(database) as db:
        db.execute("UPDATE audit_events SET actor = 'someone-else' WHERE id = 2")
    failed = run("audit", "verify", code=1).output
    assert "sự kiện nhật ký 2" in failed and "đã bị sửa" in failed
    with sqlite3.connect(database) as db:
        db.execute("UPDATE audit_events SET actor = 'gateway' WHERE id = 2")
    run("audit", "verify")
    with sqlite3.connect(database) as db:
        db.execute("DELETE FROM audit_events WHERE id = 3")
    assert "sự kiện nhật ký 4" in run("audit", "verify", code=1).output
    with sqlite3.connect(database) as db:
        db.execute("DELETE FROM audit_events")

    blob = next(p for p in (config.data_dir / "blobs").rglob("*") if p.is_file())
    blob.write_bytes(blob.read_bytes() + b"x")
    assert f"tệp lưu {blob.name}" in run("audit", "verify", code=1).output
    assert "tệp lưu" not in run("audit", "verify", "--no-blobs").output.replace("0 tệp lưu", "")


def test_audit_chain_does_not_fork_under_concurrent_writers_on_postgres(postgres_url, tmp_path):
    import threading

    config = load_config(write_config(tmp_path, 2525, database_url=postgres_url))
    register = Register(config)
    register.upgrade()
    try:
        def write(n: int) -> None:
            for i in range(15):
                register.record_event("test-event", f"writer-{n}", {"i": i})

        threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        report = register.verify_audit(blobs=False)
        assert report.ok, report.first_break
        assert report.events == 60
    finally:
        register.close()


def test_migration_chains_the_events_written_before_it(tmp_path):
    import datetime as dt

    import sqlalchemy as sa

    from gateway.register import db
    from gateway.register.audit import verify_chain

    engine = db.make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    try:
        db.upgrade(engine, "0003")
        with engine.begin() as conn:
            for n in range(3):
                conn.execute(sa.text("INSERT INTO audit_events (at, actor, action, detail) VALUES (:at, 'gateway', "
                                     ":action, :detail)"),
                             {"at": dt.datetime(2026, 1, 1, 8, n, 0, 123456), "action": f"old-{n}",
                              "detail": json.dumps({"n": n, "tên": "Văn thư"})})
        db.upgrade(engine)
        with engine.connect() as conn:
            report = verify_chain(conn)
            assert report.ok and report.events == 3, report.first_break
            conn.execute(sa.text("UPDATE audit_events SET action = 'changed' WHERE action = 'old-1'"))
            assert "sự kiện nhật ký 2" in verify_chain(conn).first_break
    finally:
        engine.dispose()
