"""The leader's direction (ND30 Điều 24): rules propose, a lãnh đạo (or the văn thư for the leader) records ý kiến
chỉ đạo, exactly one chủ trì, phối hợp, để biết and thời hạn; the units are assigned and forwarded, and the
direction is kept with the document and in the audit trail. On SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from docgen import make_message
from routing_helpers import complaint_rule, write_rules

from gateway.core.config import load_config
from gateway.core.errors import NotFound
from gateway.core.values import Envelope
from gateway.register.changes import DirectionInput, EditError
from gateway.register.service import Register
from gateway.routing.router import open_router
from gateway.runtime.pipeline import process_one
from gateway.spool import Spool

RULES = complaint_rule(lead="TTR", cooperate=["KHTC"], due_days=10, forward=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def stack(request, tmp_path):
    def make(decision: str):
        url = request.getfixturevalue("postgres_url") if request.param == "postgresql" else ""
        rules = write_rules(tmp_path / "rules", RULES)
        config = load_config(None, {"paths.data_dir": str(tmp_path / "data"), "database.url": url,
                                    "routing.rules_dir": str(rules), "routing.decision": decision,
                                    "outbox.from_address": "vanthu@sct.example.gov.vn",
                                    "trust.other_action": "accept", "trust.verify_dkim": "never"})
        spool = Spool.from_config(config)
        spool.ensure()
        register = Register(config)
        register.upgrade()
        made.append(register)
        return config, spool, register, open_router(config, register)

    made: list[Register] = []
    yield make
    for register in made:
        register.close()


def _registered(config, spool, register, router) -> int:
    raw = make_message("Đơn khiếu nại", "V/v giải quyết đơn khiếu nại", message_id="<kn@hanoi.gov.vn>")
    spool_id = spool.put(raw, Envelope(source="smtp", received_at=dt.datetime.now(dt.timezone.utc)))
    return process_one(spool.claim(spool_id), spool, register, config, router).registration.document_id


def test_rules_propose_and_the_direction_assigns_and_forwards(stack) -> None:
    config, spool, register, router = stack("proposal")
    doc = _registered(config, spool, register, router)
    proposed = register.views.assignments(doc)
    assert [(a.unit_code, a.role, a.status) for a in proposed] == [("TTR", "lead", "proposed"),
                                                                   ("KHTC", "cooperate", "proposed")]
    assert register.outbox.list() == [], "proposals are not forwarded before the leader's direction"
    register.changes.direct(doc, DirectionInput(
        directed_by="Giám đốc Nguyễn Văn A", opinion="Thanh tra chủ trì, báo cáo trước 20/12.", lead="TTR",
        cooperate=("QLNL",), inform=("VT",), due_date=dt.date(2026, 12, 20)), recorded_by="vanthu")
    assigned = {(a.unit_code, a.role, a.status, a.due_date) for a in register.views.assignments(doc)}
    due = dt.date(2026, 12, 20)
    assert assigned == {("TTR", "lead", "new", due), ("QLNL", "cooperate", "new", due), ("VT", "inform", "new", None)}, \
        "KHTC, which the direction left out, is taken off"
    assert sorted((m.kind, m.unit_code) for m in register.outbox.list()) == [
        ("forward", "QLNL"), ("forward", "TTR")], "VT has no mailbox: assigned, not mailed"
    record = register.get_document(doc)
    assert record.due_date == dt.date(2026, 12, 20)
    event = [e for e in record.audit if e.action == "direction-recorded"][0]
    assert event.actor == "vanthu" and event.detail["directed_by"] == "Giám đốc Nguyễn Văn A"
    assert event.detail["removed"] == ["KHTC"]
    (direction,) = register.views.directions(doc)
    assert direction.opinion.startswith("Thanh tra chủ trì") and direction.lead == "TTR"


def test_a_second_direction_keeps_the_history_and_forwards_only_new_units(stack) -> None:
    config, spool, register, router = stack("final")
    doc = _registered(config, spool, register, router)
    assert sorted(m.unit_code for m in register.outbox.list()) == ["KHTC", "TTR"]  # the rules were final
    register.changes.direct(doc, DirectionInput("Phó giám đốc B", "Giao QLNL chủ trì.", "QLNL", ("TTR",)), "pgd")
    assert sorted(m.unit_code for m in register.outbox.list()) == ["KHTC", "QLNL", "TTR"]
    register.changes.direct(doc, DirectionInput("Giám đốc A", "Giữ nguyên.", "QLNL", ("TTR",)), "gd")
    assert len(register.views.directions(doc)) == 2 and len(register.outbox.list()) == 3
    assert [a.unit_code for a in register.views.assignments(doc) if a.role == "lead"] == ["QLNL"]


def test_a_direction_never_forwards_to_the_gateways_own_address(stack) -> None:
    config, spool, register, router = stack("proposal")
    doc = _registered(config, spool, register, router)
    with register.engine.begin() as conn:  # a department whose mailbox is the văn thư's own: mail would loop back
        conn.exec_driver_sql("UPDATE departments SET mailbox = 'vanthu@sct.example.gov.vn' WHERE code = 'QLNL'")
    register.changes.direct(doc, DirectionInput("GĐ", "QLNL phối hợp.", "TTR", ("QLNL",)), "vt")
    assert [m.unit_code for m in register.outbox.list()] == ["TTR"]
    event = [e for e in register.get_document(doc).audit if e.action == "direction-recorded"][0]
    assert event.detail["not_forwarded_own_address"] == ["QLNL"]


def test_a_direction_needs_one_lead_known_units_and_distinct_roles(stack) -> None:
    config, spool, register, router = stack("proposal")
    doc = _registered(config, spool, register, router)
    with pytest.raises(EditError, match="chủ trì"):
        register.changes.direct(doc, DirectionInput("GĐ", "", ""), "vt")
    with pytest.raises(EditError, match="một vai trò"):
        register.changes.direct(doc, DirectionInput("GĐ", "", "TTR", ("TTR",)), "vt")
    with pytest.raises(NotFound, match="NOPE"):
        register.changes.direct(doc, DirectionInput("GĐ", "", "NOPE"), "vt")
    assert register.views.directions(doc) == ()


@pytest.mark.parametrize("fmt", ["pdf", "docx"])
def test_the_phieu_giai_quyet_prints_the_direction(stack, tmp_path, fmt) -> None:
    """`gateway phieu ID --format docx|pdf -o FILE`: Phụ lục IV's phiếu with the số đến, trích yếu and direction."""
    import io

    from click.testing import CliRunner
    from conftest import write_config

    from gateway.cli import main

    config, spool, register, router = stack("proposal")
    doc = _registered(config, spool, register, router)
    register.changes.direct(doc, DirectionInput(directed_by="Giám đốc Nguyễn Văn An", opinion="Thanh tra chủ trì, "
                                                "báo cáo kết quả trước hạn", lead="TTR", cooperate=("KHTC",),
                                                due_date=dt.date(2030, 12, 31)), recorded_by="vanthu")
    record = register.get_document(doc)
    settings = write_config(tmp_path, 2525, database_url=config.database.url, data_dir=config.data_dir)
    out = tmp_path / f"phieu.{fmt}"
    result = CliRunner().invoke(main, ["--config", str(settings), "phieu", str(doc), "--format", fmt, "-o", str(out)],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    if fmt == "pdf":
        from pypdf import PdfReader

        text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(out.read_bytes())).pages).split())
    else:
        from docx import Document

        text = "\n".join(p.text for p in Document(io.BytesIO(out.read_bytes())).paragraphs)
    for wanted in (f"Số đến: {record.arrival_number}/{record.year}", record.subject, "PHIẾU GIẢI QUYẾT VĂN BẢN ĐẾN",
                   "Thanh tra chủ trì, báo cáo kết quả trước hạn", "31/12/2030", "Giám đốc Nguyễn Văn An", "(TTR)"):
        assert wanted in text, (wanted, text)
    assert any(e.action == "phieu-printed" for e in register.get_document(doc).audit)
