"""Recall, update and replace (ND30 Điều 18.4.b; edXML BusinessDocType 1, 2, 3): a recall notice takes no số đến and
waits for the văn thư; agreed, the recalled document's files, fields and search text are gone, its số đến stays
"đã thu hồi" and the sender gets status 15 (16 when refused); an update or a replacement is linked to the earlier
version."""

from __future__ import annotations

import datetime as dt
import email
import json
from email import policy

import pytest
from click.testing import CliRunner
from docgen import AUTHENTICATED, TRUSTED_MTA, make_edxml, make_message

from gateway.cli import main
from gateway.core.config import load_config
from gateway.core.values import Envelope
from gateway.ops.recalls import RecallNoticeError, recall_document, recall_from_notice
from gateway.register.changes import EditError
from gateway.register.query import SearchQuery
from gateway.register.recalls import RecallError
from gateway.register.service import Register
from gateway.runtime.pipeline import process_one
from gateway.spool import Spool

SENDER = "Sở Tài chính <vanthu@stc.tayninh.gov.vn>"
ORIGINAL_ID = "000.00.11.H53,2019/01/16,2491/STC-BCTC"


@pytest.fixture(params=["sqlite", "postgresql"])
def stack(request, tmp_path):
    url = request.getfixturevalue("postgres_url") if request.param == "postgresql" else ""
    config_file = tmp_path / "gateway.toml"
    config_file.write_text(
        f'[paths]\ndata_dir = "{tmp_path / "data"}"\n[database]\nurl = "{url}"\n'
        f'[register]\nagency_name = "Sở Công Thương"\norgan_id = "000.00.12.H53"\n'
        f'[outbox]\nfrom_address = "vanthu@sct.example.gov.vn"\n'
        f'[trust]\nother_action = "accept"\nverify_dkim = "never"\ntrusted_authserv_ids = ["{TRUSTED_MTA}"]\n',
        encoding="utf-8")
    config = load_config(config_file)
    spool = Spool.from_config(config)
    spool.ensure()
    register = Register(config)
    register.upgrade()
    yield config, spool, register, config_file
    register.close()


def _arrive(config, spool, register, raw: bytes):
    spool_id = spool.put(raw, Envelope(source="smtp", received_at=dt.datetime.now(dt.timezone.utc)))
    return spool_id, process_one(spool.claim(spool_id), spool, register, config)


def _package(name: str, package: bytes, message_id: str, headers=AUTHENTICATED) -> bytes:
    return make_message("Gói tin văn bản", "Kính gửi.", [(name, package, "application/xml")], sender=SENDER,
                        message_id=message_id, headers=headers)


def _answer(register: Register) -> email.message.EmailMessage:
    (item,) = [m for m in register.outbox.list() if m.kind == "status"]
    return email.message_from_bytes(register.blobs.get(item.body_sha256), policy=policy.default)


def _status_code(mail: email.message.EmailMessage) -> str:
    (part,) = [p for p in mail.iter_attachments() if (p.get_filename() or "").endswith(".edxml")]
    body = part.get_content()
    text = body if isinstance(body, str) else body.decode()
    return text.split("<edXML:StatusCode>")[1][:2]


def test_an_edxml_recall_waits_then_removes_the_document_and_answers_15(stack) -> None:
    config, spool, register, _ = stack
    _, first = _arrive(config, spool, register, _package("cv.edxml", make_edxml(), "<cv-2491@stc.gov.vn>"))
    doc = first.registration.document_id
    _, other = _arrive(config, spool, register, make_message("Giấy mời", "Kính gửi.", sender=SENDER,
                                                              message_id="<gm@stc.gov.vn>", headers=AUTHENTICATED))
    record = register.get_document(doc)
    files = [record.message_sha256] + [a.sha256 for a in record.attachments]
    assert all(register.blobs.exists(sha) for sha in files)
    assert [h.document_id for h in register.search(SearchQuery(text="kết nối phần mềm"))] == [doc]

    notice_id, held = _arrive(config, spool, register, _package(
        "thu-hoi.edxml", make_edxml(doc_type="1", about=ORIGINAL_ID, reason="Ban hành nhầm đối tượng"),
        "<thu-hoi-2491@stc.gov.vn>"))
    assert held.registration is None and "thông báo thu hồi" in held.quarantined, "a recall notice takes no số đến"
    assert f"văn bản mã {doc} trong sổ" in held.quarantined
    assert [d["last_number"] for d in register.stats()["documents"]] == [2]

    done = recall_from_notice(spool, register, config, notice_id, "vanthu")
    assert done.accepted and done.answered_to == "vanthu@stc.tayninh.gov.vn" and done.edxml
    assert spool.counts()["quarantine"] == 0
    recalled = register.get_document(doc)
    assert recalled.status == "recalled" and recalled.arrival_number == 1, "the số đến stays"
    assert (recalled.subject, recalled.code_number, recalled.organ_name, recalled.attachments) == ("", "", "", ())
    assert register.search(SearchQuery(text="kết nối phần mềm")) == []
    assert not any(register.blobs.exists(sha) for sha in files), "the files are removed for good"
    assert register.get_document(other.registration.document_id).subject  # the other document is untouched
    (recall,) = register.recalls.recalls_of(doc)
    assert (recall.arrival_number, recall.code, recall.decision, recall.source) == (1, "2491/STC-BCTC", "accepted",
                                                                                    "edxml")
    assert recall.reason == "Ban hành nhầm đối tượng" and recall.requested_by == "Sở Tài chính Tây Ninh"
    assert register.blobs.exists(recall.notice_sha256), "the notice is kept with the record of the recall"
    answer = _answer(register)
    assert answer["In-Reply-To"] == "<thu-hoi-2491@stc.gov.vn>" and answer["Subject"].startswith("Đồng ý thu hồi")
    assert _status_code(answer) == "15"
    event = [e for e in recalled.audit if e.action == "document-recalled"][0]
    assert event.actor == "vanthu" and event.detail["number"] == 1 and event.detail["reason"]
    assert register.verify_audit().ok, "the trail and the files still there check out"
    with pytest.raises(EditError, match="thu hồi"):
        register.changes.correct(doc, {"subject": "Nội dung mới"}, "vanthu")
    with pytest.raises(RecallNoticeError, match="đã thu hồi"):
        recall_document(register, config, doc, "lần nữa", "vanthu")


def test_a_refused_recall_keeps_everything_and_answers_16(stack) -> None:
    config, spool, register, _ = stack
    _, first = _arrive(config, spool, register, _package("cv.edxml", make_edxml(), "<cv@stc.gov.vn>"))
    doc = first.registration.document_id
    notice_id, _ = _arrive(config, spool, register, _package(
        "thu-hoi.edxml", make_edxml(doc_type="1", about=ORIGINAL_ID), "<th@stc.gov.vn>"))
    done = recall_from_notice(spool, register, config, notice_id, "vanthu", refuse=True,
                              reason="Văn bản đã được xử lý xong")
    assert not done.accepted
    record = register.get_document(doc)
    assert record.status == "registered" and record.subject and record.attachments
    assert _status_code(_answer(register)) == "16"
    assert register.recalls.recalls_of(doc)[0].decision == "refused"


def test_an_email_recall_by_the_van_thu_and_no_answer_to_an_unauthenticated_sender(stack) -> None:
    config, spool, register, config_file = stack
    _, signed = _arrive(config, spool, register, make_message(
        "Công văn 15/UBND", "V/v lịch tiếp công dân tháng 12", sender=SENDER, message_id="<a@stc.gov.vn>",
        headers=AUTHENTICATED))
    _, unsigned = _arrive(config, spool, register, make_message(
        "Công văn 16/UBND", "V/v kế hoạch năm", sender="Không rõ <ai@example.org>", message_id="<b@example.org>"))
    result = CliRunner().invoke(main, ["--config", str(config_file), "recall", str(signed.registration.document_id),
                                       "--reason", "Nơi gửi gọi điện đề nghị thu hồi", "--source", "phone", "--yes"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "đã thu hồi" in result.output and "vanthu@stc.tayninh.gov.vn" in result.output
    answer = _answer(register)
    assert not list(answer.iter_attachments()) and "Lý do thu hồi: Nơi gửi gọi điện" in answer.get_body(
        ("plain",)).get_content()
    done = recall_document(register, config, unsigned.registration.document_id, "Gửi nhầm", "vanthu")
    assert done.accepted and not done.answered_to and "chưa được xác thực" in done.not_answered
    shown = CliRunner().invoke(main, ["--config", str(config_file), "show", "--json",
                                      str(signed.registration.document_id)], catch_exceptions=False)
    data = json.loads(shown.output)
    assert data["status"] == "recalled" and data["recalls"][0]["source"] == "phone"
    text = CliRunner().invoke(main, ["--config", str(config_file), "show", str(signed.registration.document_id)],
                              catch_exceptions=False).output
    assert "ĐÃ THU HỒI" in text and "Thu hồi (vanthu@stc.tayninh.gov.vn, điện thoại): đồng ý thu hồi" in text


def test_an_edxml_update_and_a_replacement_link_to_the_earlier_version(stack) -> None:
    config, spool, register, config_file = stack
    _, first = _arrive(config, spool, register, _package("cv.edxml", make_edxml(), "<v1@stc.gov.vn>"))
    _, update = _arrive(config, spool, register, _package(
        "cap-nhat.edxml", make_edxml(doc_type="2", about=ORIGINAL_ID, number="2492"), "<v2@stc.gov.vn>"))
    _, replacement = _arrive(config, spool, register, _package(
        "thay-the.edxml", make_edxml(doc_type="3", about=ORIGINAL_ID, number="2493"), "<v3@stc.gov.vn>"))
    old = first.registration.document_id
    numbers = [r.registration.arrival_number for r in (first, update, replacement)]
    assert numbers == [1, 2, 3], "updates and replacements are registered with their own số đến"
    links = register.recalls.links_of(old)
    assert [(link.kind, link.other_id, link.newer) for link in links] == [
        ("update", update.registration.document_id, True), ("replace", replacement.registration.document_id, True)]
    (back,) = register.recalls.links_of(update.registration.document_id)
    assert (back.kind, back.other_id, back.newer, back.source) == ("update", old, False, "edxml")
    # An e-mail carries no BusinessDocType: the văn thư links it.
    _, mailed = _arrive(config, spool, register, make_message("Công văn thay thế", "Thay thế công văn 2491",
                                                               sender=SENDER, message_id="<v4@stc.gov.vn>",
                                                               headers=AUTHENTICATED))
    result = CliRunner().invoke(main, ["--config", str(config_file), "link", str(mailed.registration.document_id),
                                       "--replaces", str(old)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert len(register.recalls.links_of(old)) == 3
    with pytest.raises(RecallError, match="chính nó"):
        register.recalls.link(old, old, "update", "vanthu")
    text = CliRunner().invoke(main, ["--config", str(config_file), "show", str(old)], catch_exceptions=False).output
    assert f"Được cập nhật bởi văn bản số đến 2/{first.registration.year}" in text
