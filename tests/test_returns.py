"""Returning a document to its sender (ND30 Điều 21): from quarantine it takes no số đến, a registered one keeps
its number and is marked returned; the sender gets a Vietnamese notice with the original (and the edXML status
package 02 for an edXML package); never an unauthenticated sender."""

from __future__ import annotations

import datetime as dt
import email
from email import policy

import pytest
from docgen import make_edxml, make_message

from gateway.core.config import load_config
from gateway.core.values import Envelope
from gateway.ops.returns import ReturnError, return_quarantined, return_registered
from gateway.register.service import Register
from gateway.runtime.pipeline import process_one
from gateway.spool import Spool, quarantine

PASS = {"spf": "pass", "dkim": "pass", "dmarc": "pass"}


@pytest.fixture(params=["sqlite", "postgresql"])
def stack(request, tmp_path):
    url = request.getfixturevalue("postgres_url") if request.param == "postgresql" else ""
    config = load_config(None, {"paths.data_dir": str(tmp_path / "data"), "database.url": url,
                                "trust.other_action": "accept", "trust.verify_dkim": "never", "register.agency_name": "Sở Công Thương",
                                "register.organ_id": "000.00.12.H53",
                                "outbox.from_address": "vanthu@sct.example.gov.vn"})
    spool = Spool.from_config(config)
    spool.ensure()
    register = Register(config)
    register.upgrade()
    yield config, spool, register
    register.close()


def _quarantined(spool: Spool, raw: bytes, auth: dict) -> str:
    spool_id = spool.put(raw, Envelope(source="smtp", received_at=dt.datetime.now(dt.timezone.utc)))
    spool.claim(spool_id)
    quarantine.hold(spool, spool_id, "chữ ký số không hợp lệ", {"from": "vanthu@stc.tayninh.gov.vn", **auth})
    return spool_id


def _sent(register: Register, kind: str) -> email.message.EmailMessage:
    (item,) = [m for m in register.outbox.list() if m.kind == kind]
    return email.message_from_bytes(register.blobs.get(item.body_sha256), policy=policy.default)


def test_a_quarantined_edxml_package_goes_back_with_status_02_and_no_number(stack) -> None:
    config, spool, register = stack
    raw = make_message("Công văn 2491/STC-BCTC", "Kính gửi.", [("goi.edxml", make_edxml(), "application/xml")],
                       sender="Sở Tài chính <vanthu@stc.tayninh.gov.vn>", message_id="<goi-2491@tayninh.gov.vn>")
    spool_id = _quarantined(spool, raw, PASS)
    done = return_quarantined(spool, register, config, spool_id, "Văn bản gửi nhầm cơ quan", "vanthu")
    assert done.recipient == "vanthu@stc.tayninh.gov.vn" and done.edxml
    assert spool.counts()["quarantine"] == 0 and register.stats()["documents"] == []
    mail = _sent(register, "return")
    assert mail["In-Reply-To"] == "<goi-2491@tayninh.gov.vn>" and mail["Subject"].startswith("Trả lại văn bản")
    text = mail.get_body(("plain",)).get_content()
    assert "Lý do: Văn bản gửi nhầm cơ quan" in text
    names = [part.get_filename() for part in mail.iter_attachments()]
    assert names == ["van-ban-goc.eml", "status-02.edxml"]
    status = [part for part in mail.iter_attachments() if part.get_filename() == "status-02.edxml"][0]
    body = status.get_content()
    assert "<edXML:StatusCode>02</edXML:StatusCode>" in (body if isinstance(body, str) else body.decode())


def test_an_unauthenticated_sender_gets_nothing_back(stack) -> None:
    config, spool, register = stack
    raw = make_message("Công văn", "Kính gửi.", sender="Giả mạo <vanthu@stc.tayninh.gov.vn>")
    spool_id = _quarantined(spool, raw, {"spf": "fail", "dkim": "none", "dmarc": "fail"})
    with pytest.raises(ReturnError, match="chưa được xác thực"):
        return_quarantined(spool, register, config, spool_id, "Không rõ nguồn gốc", "vanthu")
    assert spool.counts()["quarantine"] == 1 and register.outbox.list() == []


def test_a_registered_document_keeps_its_number_and_is_marked_returned(stack, monkeypatch) -> None:
    config, spool, register = stack
    raw = make_message("Giấy mời họp", "Kính gửi.", sender="Sở X <vanthu@sx.hanoi.gov.vn>",
                       message_id="<gm@hanoi.gov.vn>")
    spool_id = spool.put(raw, Envelope(source="smtp", received_at=dt.datetime.now(dt.timezone.utc)))
    doc = process_one(spool.claim(spool_id), spool, register, config).registration
    with register.engine.begin() as conn:  # as the trusted MTA's Authentication-Results would have said
        conn.exec_driver_sql("UPDATE messages SET auth_dkim = 'pass'")
    with pytest.raises(ReturnError, match="lý do"):
        return_registered(register, config, doc.document_id, "  ", "vanthu")
    return_registered(register, config, doc.document_id, "Gửi nhầm: văn bản của Sở Y tế", "vanthu")
    record = register.get_document(doc.document_id)
    assert record.status == "returned" and record.arrival_number == 1
    event = [e for e in record.audit if e.action == "returned-to-sender"][0]
    assert event.actor == "vanthu" and event.detail["to"] == "vanthu@sx.hanoi.gov.vn"
    assert "Gửi nhầm" in _sent(register, "return").get_body(("plain",)).get_content()
    with pytest.raises(Exception, match="đã trả lại"):
        return_registered(register, config, doc.document_id, "lần nữa", "vanthu")
