"""Registering arrivals on SQLite and PostgreSQL: numbers, duplicates, idempotence, blobs, reads, schema check."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from pathlib import Path

import pytest
from test_register_support import database_url, make_arrival, make_config, register  # noqa: F401 (fixtures)

from gateway.core.errors import NotFound, RegisterError
from gateway.register import db
from gateway.register.blobs import BlobStore
from gateway.register.decisions import RoutingRecord, Unit, UnitShare
from gateway.register.numbering import allocate_arrival_number
from gateway.register.outbox import QueuedMail
from gateway.register.service import Register

VN = dt.timezone(dt.timedelta(hours=7))


def test_registers_with_consecutive_numbers(register: Register) -> None:
    first = register.register_arrival(make_arrival("s1"))
    second = register.register_arrival(make_arrival("s2"))
    assert (first.outcome, first.register_code, first.year, first.arrival_number) == ("registered", "den", 2026, 1)
    assert (second.outcome, second.arrival_number) == ("registered", 2)
    assert first.document_id != second.document_id


def test_duplicate_by_sha256(register: Register) -> None:
    raw = b"Subject: x\r\n\r\nsame bytes\r\n"
    first = register.register_arrival(make_arrival("s1", raw=raw, message_id="one@x"))
    dup = register.register_arrival(make_arrival("s2", raw=raw, message_id="one@x"))
    assert dup.outcome == "duplicate"
    assert dup.reason == "sha256"
    assert dup.document_id is None
    assert dup.duplicate_of_document_id == first.document_id
    record = register.get_document(first.document_id)
    assert [(a.spool_id, a.kind) for a in record.arrivals] == [("s1", "original"), ("s2", "duplicate")]
    assert "duplicate-arrival" in [e.action for e in record.audit]
    assert register.stats()["duplicates"] == 1


def test_duplicate_by_message_id(register: Register) -> None:
    first = register.register_arrival(make_arrival("s1", raw=b"a", message_id="same@agency.gov.vn"))
    dup = register.register_arrival(make_arrival("s2", raw=b"b", message_id="same@agency.gov.vn"))
    assert (dup.outcome, dup.reason, dup.duplicate_of_document_id) == ("duplicate", "message-id", first.document_id)
    nxt = register.register_arrival(make_arrival("s3"))
    assert nxt.arrival_number == 2  # a duplicate takes no number


def test_a_reused_message_id_is_no_duplicate_unless_sender_and_files_are_the_same(register: Register) -> None:
    """Senders' software reuses Message-IDs: only the same sender with the same files is the same message."""
    mid = "reused@mail.example.gov.vn"
    first = register.register_arrival(make_arrival("s1", raw=b"a", message_id=mid, attachment_text="Công văn A"))
    other_sender = register.register_arrival(make_arrival("s2", raw=b"b", message_id=mid, attachment_text="Công văn A",
                                                          from_addr="vanthu@stc.quangngai.gov.vn"))
    other_files = register.register_arrival(make_arrival("s3", raw=b"c", message_id=mid, attachment_text="Công văn B"))
    resent = register.register_arrival(make_arrival("s4", raw=b"d", message_id=mid, attachment_text="Công văn A"))
    assert [r.outcome for r in (first, other_sender, other_files, resent)] == [
        "registered", "registered", "registered", "duplicate"]
    assert resent.duplicate_of_document_id == first.document_id
    for registered in (other_sender, other_files):
        record = register.get_document(registered.document_id)
        assert f"cùng Message-ID với văn bản {first.document_id}" in record.field_sources["notes"]["value"]
        assert "same-message-id" in [e.action for e in record.audit]


def test_empty_message_id_is_not_a_key(register: Register) -> None:
    a = register.register_arrival(make_arrival("s1", raw=b"a", message_id=""))
    b = register.register_arrival(make_arrival("s2", raw=b"b", message_id=""))
    assert (a.outcome, b.outcome) == ("registered", "registered")
    assert register.get_document(a.document_id).message_id_header is None


def test_same_spool_id_is_idempotent(register: Register) -> None:
    first = register.register_arrival(make_arrival("s1"))
    again = register.register_arrival(make_arrival("s1"))
    assert again.outcome == "already-registered"
    assert (again.document_id, again.arrival_number) == (first.document_id, first.arrival_number)
    assert register.stats()["arrivals"] == 1


def test_secret_register_has_its_own_sequence(register: Register) -> None:
    register.register_arrival(make_arrival("s1"))
    register.register_arrival(make_arrival("s2"))
    secret = register.register_arrival(make_arrival("s3", secrecy=1))
    assert (secret.register_code, secret.arrival_number) == ("den-mat", 1)
    assert register.register_arrival(make_arrival("s4")).arrival_number == 3
    assert register.get_document(secret.document_id).register_code == "den-mat"


def test_counter_restarts_each_year_in_local_time(register: Register) -> None:
    late = dt.datetime(2025, 12, 31, 16, 59, tzinfo=dt.timezone.utc)  # 23:59 in Hà Nội
    new_year = dt.datetime(2025, 12, 31, 17, 0, tzinfo=dt.timezone.utc)  # 00:00 on 1 Jan 2026 in Hà Nội
    a = register.register_arrival(make_arrival("s1", received_at=late))
    b = register.register_arrival(make_arrival("s2", received_at=new_year))
    c = register.register_arrival(make_arrival("s3", received_at=new_year))
    assert (a.year, a.arrival_number) == (2025, 1)
    assert (b.year, b.arrival_number, c.arrival_number) == (2026, 1, 2)
    assert register.get_document(a.document_id).arrival_date == dt.date(2025, 12, 31)
    assert register.get_document(b.document_id).arrival_date == dt.date(2026, 1, 1)


def _routing(unit: str) -> RoutingRecord:
    """A routing decision that gives ``unit`` the lead and queues a forward to it."""
    return RoutingRecord(rules_version="v1", matched=({"rule": "r", "actions": ["lead"]},), lead=unit, cooperate=(),
                         inform=(), priority="normal", tags=(), due=dt.date(2026, 12, 1),
                         units=(UnitShare(unit, "lead", dt.date(2026, 12, 1)),),
                         mail=(QueuedMail.new("forward", "kt@agency.gov.vn", "agency.gov.vn", unit_code=unit),))


def test_rolled_back_allocation_leaves_no_gap(register: Register) -> None:
    register.register_arrival(make_arrival("s1"))
    broken = dataclasses.replace(make_arrival("s2"), routing=_routing("NO-SUCH-UNIT"))  # assignments need the unit
    with pytest.raises(RegisterError):
        register.register_arrival(broken)
    assert register.register_arrival(make_arrival("s3")).arrival_number == 2
    assert register.stats()["messages"] == 2


def test_routing_commits_with_the_registration(register: Register) -> None:
    register.sync_departments([Unit("KT", "Phòng Kinh tế", "kt@agency.gov.vn")])
    reg = register.register_arrival(dataclasses.replace(make_arrival("s1"), routing=_routing("KT")))
    routing = register.views.routing(reg.document_id)
    assert [(a.unit_code, a.role) for a in routing.assignments] == [("KT", "lead")]
    assert [(m.kind, m.recipient, m.state) for m in routing.outbox] == [("forward", "kt@agency.gov.vn", "queued")]
    assert register.get_document(reg.document_id).due_date == dt.date(2026, 12, 1)


def test_allocate_directly(register: Register) -> None:
    from sqlalchemy.orm import Session

    with Session(register.engine) as session, session.begin():
        numbers = [allocate_arrival_number(session, 1, 2030) for _ in range(3)]
    assert numbers == [1, 2, 3]


def test_get_document_has_everything(register: Register) -> None:
    fields = {
        "code_number": "123", "code_notation": "QĐ-UBND", "issued_date": "2026-03-01", "organ_name": "UBND tỉnh Bình Dương",
        "type_name": "Quyết định", "subject": "Về việc giao đất", "signer_name": "Nguyễn Văn A", "page_amount": "3",
    }
    reg = register.register_arrival(make_arrival("s1", attachment_text="Nội dung quyết định", fields=fields))
    record = register.get_document(reg.document_id)
    assert (record.code_number, record.code_notation, record.issued_date) == ("123", "QĐ-UBND", dt.date(2026, 3, 1))
    assert (record.subject, record.email_subject, record.page_amount) == ("Về việc giao đất", "Công văn", 3)
    assert record.field_sources["organ_name"] == {"value": "UBND tỉnh Bình Dương", "confidence": 0.9, "source": "text"}
    assert record.arrived_at.tzinfo is not None and record.arrival_date == dt.date(2026, 3, 10)
    assert record.rcpt_tos == ("vanthu@localhost",) and record.mail_from == "vanthu@sct.binhduong.gov.vn"
    (att,) = record.attachments
    assert (att.filename, att.extract_status, att.page_count) == ("congvan.txt", "ok", 1)
    assert register.blobs.get(att.sha256) == "Nội dung quyết định".encode()
    assert register.blobs.verify(record.message_sha256)
    assert [e.action for e in record.audit] == ["registered"]
    assert record.possible_duplicate_of is None


def test_subject_falls_back_to_email_subject(register: Register) -> None:
    reg = register.register_arrival(make_arrival("s1", subject="Giấy mời họp"))
    record = register.get_document(reg.document_id)
    assert record.subject == "Giấy mời họp"
    assert record.field_sources["subject"]["source"] == "email"


def test_possible_duplicate_is_flagged_not_refused(register: Register) -> None:
    fields = {"code_number": "45", "code_notation": "CV-SCT", "organ_name": "Sở Công Thương", "issued_date": "2026-02-02"}
    first = register.register_arrival(make_arrival("s1", fields=fields))
    second = register.register_arrival(make_arrival("s2", fields=fields))
    assert second.outcome == "registered" and second.arrival_number == 2
    record = register.get_document(second.document_id)
    assert record.possible_duplicate_of == first.document_id
    assert "possible-duplicate" in [e.action for e in record.audit]


def test_possible_duplicate_whatever_the_case_of_the_ky_hieu(register: Register) -> None:
    """A born-digital "UBND-TTr" and a scan OCR'd as "UBND-TTR" are the same document; another number is not."""
    fields = {"code_number": "12", "code_notation": "UBND-TTr", "organ_name": "UBND tỉnh Nam Định",
              "issued_date": "2026-02-02"}
    first = register.register_arrival(make_arrival("s1", fields=fields))
    scan = register.register_arrival(make_arrival("s2", fields={**fields, "code_notation": "UBND-TTR"}))
    other = register.register_arrival(make_arrival("s3", fields={**fields, "code_number": "13"}))
    assert register.get_document(scan.document_id).possible_duplicate_of == first.document_id
    assert register.get_document(other.document_id).possible_duplicate_of is None


def test_a_recall_finds_its_document_by_so_and_ky_hieu_with_d_stroke(register: Register) -> None:
    """A ký hiệu with "Đ" is found whatever its case (SQLite's lower() leaves "Đ" as it is)."""
    fields = {"code_number": "45", "code_notation": "QĐ-UBND", "organ_name": "UBND tỉnh Nam Định"}
    first = register.register_arrival(make_arrival("s1", fields=fields))
    assert register.recalls.find_by_code("", "45", "QĐ-UBND") == first.document_id
    assert register.recalls.find_by_code("", "45", "QĐ-Ubnd") == first.document_id
    assert register.recalls.find_by_code("", "46", "QĐ-UBND") is None


def test_not_found(register: Register) -> None:
    with pytest.raises(NotFound):
        register.get_document(999)


def test_stats(register: Register) -> None:
    register.register_arrival(make_arrival("s1"))
    register.register_arrival(make_arrival("s2", secrecy=2))
    stats = register.stats()
    assert {(d["register"], d["year"], d["count"]) for d in stats["documents"]} == {("den", 2026, 1), ("den-mat", 2026, 1)}


def test_schema_not_at_head(database_url: str, tmp_path: Path) -> None:
    engine = db.make_engine(database_url)
    try:
        assert db.current_revision(engine) is None
        with pytest.raises(RegisterError, match="gateway db upgrade"):
            Register.open(make_config(tmp_path, database_url))
        db.upgrade(engine)
        assert db.current_revision(engine) == db.head_revision()
        Register.open(make_config(tmp_path, database_url)).close()
    finally:
        engine.dispose()


def test_bad_url_is_a_register_error() -> None:
    with pytest.raises(RegisterError):
        db.make_engine("mysql://nobody@127.0.0.1/x")


def test_sqlite_pragmas(tmp_path: Path) -> None:
    engine = db.make_engine(f"sqlite:///{tmp_path / 'r.sqlite3'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
    engine.dispose()


def test_blob_store(tmp_path: Path) -> None:
    store = BlobStore(tmp_path / "blobs")
    data = "thư điện tử".encode()
    sha = store.put(data)
    assert sha == hashlib.sha256(data).hexdigest()
    assert store.path(sha) == tmp_path / "blobs" / sha[:2] / sha[2:4] / sha
    assert store.put(data) == sha and store.get(sha) == data and store.verify(sha)
    assert not list(store.path(sha).parent.glob(".tmp-*"))
    store.path(sha).write_bytes(b"tampered")
    assert not store.verify(sha)
    with pytest.raises(NotFound):
        store.get("0" * 64)
    with pytest.raises(RegisterError):
        store.path("../etc/passwd")


def test_sqlite_reads_do_not_wait_for_a_writer(tmp_path: Path) -> None:
    reg = Register(make_config(tmp_path, f"sqlite:///{tmp_path / 'r.sqlite3'}"))
    reg.upgrade()
    try:
        done = reg.register_arrival(make_arrival("s1"))
        with reg.engine.begin() as writer:  # holds the write lock (BEGIN IMMEDIATE)
            writer.exec_driver_sql("UPDATE registers SET name = name")
            assert reg.get_document(done.document_id).arrival_number == 1
            assert reg.count_search(sa_query()) == 1
    finally:
        reg.close()


def sa_query():
    from gateway.register.query import SearchQuery

    return SearchQuery()


def test_numbers_follow_the_order_of_receipt_not_of_registration(register: Register) -> None:
    """A document received later but registered first waits; the earlier ones, registered together, go first."""
    late = register.register_arrival(make_arrival("0003-late"), number_before="0001-a")
    assert late.arrival_number is None
    early = register.register_batch([make_arrival("0002-b"), make_arrival("0001-a")], number_before="0004")
    assert [r.arrival_number for r in early] == [2, 1]
    assert register.get_document(late.document_id).arrival_number == 3
    assert [e.action for e in register.get_document(late.document_id).audit] == ["registered", "numbered"]


def test_waiting_documents_are_numbered_when_nothing_earlier_is_unsettled(register: Register) -> None:
    first = register.register_arrival(make_arrival("0005"), number_before="0002")
    second = register.register_arrival(make_arrival("0006"), number_before="0002")
    assert first.arrival_number is second.arrival_number is None
    assert register.number_waiting("0006") == 1  # the one received before 0006
    assert register.number_waiting(None) == 1
    assert [register.get_document(r.document_id).arrival_number for r in (first, second)] == [1, 2]
    assert register.number_waiting(None) == 0
