"""The daily follow-up (đôn đốc): each unit is mailed its overdue and soon-due work (not what it only has to
know), the văn thư a summary, through the outbox, never twice for the same day. On SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import email
from email import policy

import pytest
from test_register_support import make_arrival

from gateway.core.config import load_config
from gateway.ops.followup import send_daily
from gateway.register.changes import DirectionInput
from gateway.register.decisions import Unit
from gateway.register.service import Register
from gateway.routing.workdays import load_calendar

MONDAY = dt.date(2026, 12, 7)


@pytest.fixture(params=["sqlite", "postgresql"])
def register(request, tmp_path):
    url = request.getfixturevalue("postgres_url") if request.param == "postgresql" else ""
    config = load_config(None, {"paths.data_dir": str(tmp_path / "data"), "database.url": url,
                                "followup.send": True, "followup.due_within": 2,
                                "followup.summary_to": "vanthu@sct.example.gov.vn",
                                "register.agency_name": "Sở Công Thương",
                                "outbox.from_address": "gateway@sct.example.gov.vn"})
    reg = Register(config)
    reg.upgrade()
    reg.sync_departments([Unit("KT", "Phòng Kỹ thuật", "kt@sct.example.gov.vn"),
                          Unit("TC", "Phòng Tài chính", "tc@sct.example.gov.vn"), Unit("VP", "Văn phòng", "")])
    yield config, reg
    reg.close()


def _document(reg: Register, key: str, subject: str, lead: str, due: dt.date, inform: tuple[str, ...] = ()) -> int:
    doc = reg.register_arrival(make_arrival(key, subject=subject, fields={"subject": subject})).document_id
    reg.changes.direct(doc, DirectionInput("Giám đốc", "", lead, (), inform, due), "vanthu")
    return doc


def _mails(reg: Register) -> dict[str, str]:
    return {m.recipient: email.message_from_bytes(reg.blobs.get(m.body_sha256), policy=policy.default)
            .get_body(("plain",)).get_content() for m in reg.outbox.list() if m.kind == "digest"}


def test_each_unit_gets_its_due_work_once_a_day_and_the_van_thu_a_summary(register) -> None:
    config, reg = register
    _document(reg, "0001", "Báo cáo an toàn điện", "KT", MONDAY - dt.timedelta(days=3), inform=("TC",))
    _document(reg, "0002", "Kế hoạch kiểm tra", "KT", MONDAY + dt.timedelta(days=2))
    _document(reg, "0003", "Dự toán năm 2027", "TC", MONDAY + dt.timedelta(days=20))  # not due soon
    calendar = load_calendar("")
    assert send_daily(reg, config, calendar, MONDAY) == 2  # KT and the summary; TC has nothing due
    mails = _mails(reg)
    assert set(mails) == {"kt@sct.example.gov.vn", "vanthu@sct.example.gov.vn"}
    kt = mails["kt@sct.example.gov.vn"]
    assert "Quá hạn (1)" in kt and "Báo cáo an toàn điện" in kt and "quá 3 ngày" in kt
    assert "Sắp đến hạn (1)" in kt and "Kế hoạch kiểm tra" in kt and "Dự toán" not in kt
    assert "Phòng Kỹ thuật (KT)" in mails["vanthu@sct.example.gov.vn"]
    assert send_daily(reg, config, calendar, MONDAY) == 0, "never twice for the same day"
    assert send_daily(reg, config, calendar, dt.date(2026, 12, 12)) == 0, "Saturday is no working day"
    assert send_daily(reg, config, calendar, MONDAY + dt.timedelta(days=1)) == 2
