"""The register operations behind the văn thư's desk, on SQLite and PostgreSQL: confirming fields (the review
queue), one chủ trì per document, "để biết" that is no open work, secrecy found after registering, users and
tokens disabled, deleted and revoked, failed logins counted; and the migration that fills the review column."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from test_register_support import database_url, make_arrival, make_config, register  # noqa: F401

from gateway.core.errors import NotFound
from gateway.register import db
from gateway.register.accounts import LoginLimits
from gateway.register.changes import EditError
from gateway.register.models import Assignment, AuditEvent, Department, Document, WebSession
from gateway.register.query import SearchQuery
from gateway.register.scope import Scope
from gateway.register.service import Register

FIELDS = {"code_number": "12", "code_notation": "KH-UBND", "issued_date": "2026-03-01", "organ_name": "UBND tỉnh",
          "subject": "Kế hoạch năm 2027", "signer_name": "Nguyễn Văn A"}


def _arrival(spool_id: str, confidences: dict[str, float] | None = None, **kw):
    arrival = make_arrival(spool_id, fields=FIELDS, **kw)
    fields = dict(arrival.meta.fields)
    for name, confidence in (confidences or {}).items():
        fields[name] = type(fields[name])(fields[name].value, confidence, "ocr")
    import dataclasses

    return dataclasses.replace(arrival, meta=dataclasses.replace(arrival.meta, fields=fields))


def _row(register: Register, doc: int):
    with register.engine.connect() as conn:
        return conn.execute(sa.select(Document).where(Document.id == doc)).one()


def _events(register: Register, action: str) -> list:
    with register.engine.connect() as conn:
        return conn.execute(sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)).all()


def _departments(register: Register) -> None:
    with register.engine.begin() as conn:
        conn.execute(sa.insert(Department.__table__), [dict(code=c, name=n, mailbox="", active=True)
                                                       for c, n in (("KT", "Phòng Kinh tế"), ("TC", "Phòng Tổ chức"))])


def test_review_confidence_is_the_lowest_unsettled_one_and_confirming_writes_only_its_row_and_event(register) -> None:
    unsure = register.register_arrival(_arrival("a", {"code_number": 0.4, "signer_name": 0.6})).document_id
    sure = register.register_arrival(_arrival("b")).document_id
    missing = register.register_arrival(make_arrival("c", fields={"subject": "Chỉ có trích yếu"})).document_id
    assert _row(register, unsure).review_confidence == 0.4
    assert _row(register, sure).review_confidence == 0.9
    assert _row(register, missing).review_confidence == 0.0  # no số, date or agency found at all
    before = _row(register, unsure)
    events_before = len(_events(register, "field-confirmed"))
    assert register.changes.confirm(unsure, ["code_number"], "vanthu") == ["code_number"]
    after = _row(register, unsure)
    assert after.review_confidence == 0.6
    assert after.field_sources["code_number"]["confirmed_by"] == "vanthu"
    assert after.field_sources["code_number"]["confidence"] == 0.4  # the reader's own confidence stays
    assert {c: getattr(after, c) for c in ("code_number", "subject", "status", "urgency")} == \
           {c: getattr(before, c) for c in ("code_number", "subject", "status", "urgency")}
    assert register.changes.confirm(unsure, ["code_number"], "other") == []  # already settled: no second event
    assert len(_events(register, "field-confirmed")) == events_before + 1
    register.changes.correct(unsure, {"signer_name": "Nguyễn Văn B"}, "vanthu")
    assert _row(register, unsure).review_confidence == 0.9
    below = SearchQuery(review_below=0.9)
    assert {h.document_id for h in register.search(below)} == {missing}
    assert register.count_search(SearchQuery(review_below=0.95)) == 3
    with pytest.raises(EditError):
        register.changes.confirm(unsure, ["review_confidence"], "vanthu")
    with pytest.raises(NotFound):
        register.changes.confirm(999_999, ["subject"], "vanthu")


def test_one_lead_per_document(register) -> None:
    _departments(register)
    doc = register.register_arrival(_arrival("a")).document_id
    register.changes.assign(doc, "KT", "lead", None, "vanthu")
    with pytest.raises(EditError, match="đã có đơn vị chủ trì: Phòng Kinh tế"):
        register.changes.assign(doc, "TC", "lead", dt.date(2030, 1, 1), "vanthu")
    register.changes.assign(doc, "KT", "lead", dt.date(2030, 1, 2), "vanthu")  # the lead's own deadline
    register.changes.assign(doc, "TC", "cooperate", None, "vanthu")
    register.changes.assign(doc, "KT", "cooperate", None, "vanthu")
    register.changes.assign(doc, "TC", "lead", None, "vanthu")
    with register.engine.connect() as conn:
        leads = conn.execute(sa.select(Assignment.unit_code).where(Assignment.document_id == doc,
                                                                   Assignment.role == "lead")).scalars().all()
    assert leads == ["TC"]


def test_inform_is_no_open_work_and_the_work_list_goes_by_deadline(register) -> None:
    _departments(register)
    today = dt.date(2026, 3, 10)
    docs = [register.register_arrival(_arrival(f"d{k}")).document_id for k in range(4)]
    register.changes.assign(docs[0], "KT", "lead", today + dt.timedelta(days=5), "vanthu")
    register.changes.assign(docs[1], "KT", "cooperate", today - dt.timedelta(days=1), "vanthu")
    register.changes.assign(docs[2], "KT", "inform", today - dt.timedelta(days=3), "vanthu")
    register.changes.assign(docs[3], "KT", "lead", None, "vanthu")
    units = register.views.deadlines(Scope(), today, 3)
    assert units == [dict(unit="KT", name="Phòng Kinh tế", open=3, overdue=1, due_soon=0)]
    assert [a["document_id"] for a in register.views.overdue_list(Scope(), today, 7)] == [docs[1], docs[0]]
    work = register.views.work_list(Scope(("KT",)), ("KT",), today)
    assert [(w.document_id, w.role) for w in work] == [(docs[1], "cooperate"), (docs[0], "lead"), (docs[3], "lead"),
                                                       (docs[2], "inform")]


def test_a_document_found_secret_after_registering_leaves_the_ordinary_scope(register) -> None:
    _departments(register)
    doc = register.register_arrival(_arrival("a")).document_id
    register.changes.assign(doc, "KT", "lead", dt.date(2026, 3, 12), "vanthu")
    ordinary = Scope(None, include_secret=False)
    register.views.check_visible(ordinary, doc)
    register.changes.correct(doc, {"secrecy": 1}, "vanthu")
    with pytest.raises(NotFound):
        register.views.check_visible(ordinary, doc)
    register.views.check_visible(Scope(None, include_secret=True), doc)
    assert register.count_search(SearchQuery(text="kế hoạch", include_secret=False)) == 0
    assert register.count_search(SearchQuery(include_secret=False)) == 0
    assert register.views.deadlines(ordinary, dt.date(2026, 3, 10), 3) == []
    with pytest.raises(EditError):
        register.changes.correct(doc, {"secrecy": 4}, "vanthu")


def test_disabled_deleted_users_and_revoked_tokens_stop_at_once_and_every_change_is_audited(register) -> None:
    accounts = register.accounts
    accounts.add_user("vanthu", "van_thu", "mật khẩu dài lắm", actor="root")
    token = accounts.new_token("vanthu", "máy A", actor="root")
    principal = accounts.principal("vanthu")
    cookie, _ = accounts.new_session(principal, 60, "10.0.0.1")
    assert accounts.session(cookie) is not None and accounts.token_principal(token) is not None
    accounts.set_active("vanthu", False, actor="admin")
    assert accounts.session(cookie) is None and accounts.token_principal(token) is None
    assert accounts.authenticate("vanthu", "mật khẩu dài lắm") is None
    with register.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(WebSession)).scalar() == 0
    accounts.set_active("vanthu", True, actor="admin")
    assert accounts.token_principal(token) is not None
    [info] = accounts.list_tokens("vanthu")
    assert info.label == "máy A" and accounts.list_users()[0]["token_ids"] == [info.id]
    assert accounts.revoke_token(info.id, actor="admin") == "vanthu"
    assert accounts.token_principal(token) is None
    with pytest.raises(NotFound):
        accounts.revoke_token(info.id, actor="admin")
    second = accounts.new_token("vanthu", actor="root")
    accounts.delete_user("vanthu", actor="admin")
    assert accounts.token_principal(second) is None and accounts.principal("vanthu") is None
    with pytest.raises(NotFound):
        accounts.set_active("vanthu", False)
    with register.engine.connect() as conn:
        trail = conn.execute(sa.select(AuditEvent.action, AuditEvent.actor).order_by(AuditEvent.id)).all()
    assert [tuple(e) for e in trail] == [
        ("user-added", "root"), ("token-created", "root"), ("web-login", "vanthu"), ("user-disabled", "admin"),
        ("user-enabled", "admin"), ("token-revoked", "admin"), ("token-created", "root"), ("user-deleted", "admin")]


def test_failed_logins_are_counted_per_user_and_per_address(register) -> None:
    accounts = register.accounts
    accounts.add_user("vanthu", "van_thu", "mật khẩu dài lắm")
    limits = LoginLimits(dt.timedelta(minutes=15), per_user=3, per_address=5)
    for _ in range(3):
        assert not accounts.login_blocked("vanthu", "10.0.0.1", limits)
        accounts.login_failed("vanthu", "10.0.0.1", limits)
    assert accounts.login_blocked("vanthu", "10.0.0.9", limits)  # the name, from anywhere
    assert not accounts.login_blocked("khac", "10.0.0.9", limits)
    accounts.login_failed("vanthu", "10.0.0.1", limits, blocked=True)  # audited, not counted
    for name in ("a", "b"):
        accounts.login_failed(name, "10.0.0.1", limits)
    assert accounts.login_blocked("khac", "10.0.0.1", limits)  # the address, for any name
    assert len(_events(register, "web-login-failed")) == 5 and len(_events(register, "web-login-throttled")) == 1
    accounts.new_session(accounts.principal("vanthu"), 60, "10.0.0.9")
    assert not accounts.login_blocked("vanthu", "10.0.0.9", limits)  # a good login clears the name's count
    short = LoginLimits(dt.timedelta(seconds=0), per_user=3, per_address=5)
    assert not accounts.login_blocked("khac", "10.0.0.1", short)  # old failures stop counting


def test_the_migration_fills_review_confidence_of_documents_already_registered(database_url, tmp_path) -> None:  # noqa: F811
    engine = db.make_engine(database_url)
    try:
        db.upgrade(engine, "0010")
        reg = Register(make_config(tmp_path, database_url), engine=engine)
        with engine.begin() as conn:
            conn.execute(sa.text("ALTER TABLE documents ADD COLUMN review_confidence FLOAT"))  # as 0011 will
            if conn.dialect.name == "sqlite":  # registering writes the sender index too, as 0017 makes it
                conn.execute(sa.text("CREATE VIRTUAL TABLE sender_index USING fts5(from_addr, mail_from, tokenize = 'trigram')"))
        reg.register_arrival(_arrival("old", {"subject": 0.5}))
        reg.register_arrival(_arrival("settled"))
        with engine.begin() as conn:
            conn.execute(sa.text("ALTER TABLE documents DROP COLUMN review_confidence"))  # the 0010 schema again
            conn.execute(sa.text("DROP TABLE IF EXISTS sender_index"))
            conn.execute(sa.text("UPDATE documents SET field_sources = :s WHERE id = 2"),
                         {"s": '{"code_number": {"source": "manual", "confidence": 1.0}, "issued_date": '
                               '{"confidence": 0.2, "confirmed_by": "vanthu"}, "organ_name": {"source": "manual"}, '
                               '"subject": {"source": "manual"}}'})
        db.upgrade(engine)
        with engine.connect() as conn:
            values = dict(conn.execute(sa.text("SELECT id, review_confidence FROM documents")).all())
        assert values == {1: 0.5, 2: None}
    finally:
        engine.dispose()
