"""The văn thư's desk in process: the review queue, confirming and correcting in place, the signature report, Kính
gửi and the reader's notes, one chủ trì per document, "để biết" that is no open work, a chuyên viên's list, and the
confirmations read back as labels for bench/fields.py."""

from __future__ import annotations

import datetime as dt
import json
import re
import warnings
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
from click.testing import CliRunner  # noqa: E402
from web_support import REVIEW_SUBJECT, add_review_document, api, build_corpus, client_for, login, web_config  # noqa: E402

from gateway.register.models import Assignment, AuditEvent, Document  # noqa: E402


@pytest.fixture
def fresh(tmp_path):
    c = build_corpus(web_config(tmp_path))
    yield c
    c.register.close()


def events(corpus, action: str) -> list:
    with corpus.register.engine.connect() as conn:
        return conn.execute(sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)).all()


def sources(corpus, doc: int) -> dict:
    with corpus.register.engine.connect() as conn:
        return conn.execute(sa.select(Document.field_sources).where(Document.id == doc)).scalar_one()


def marked(html: str) -> set[str]:
    """The fields the document page marks as waiting for a look."""
    return set(re.findall(r'<tr id="f-(\w+)" class="look', html))


def test_unsure_fields_are_marked_listed_confirmed_and_leave_the_queue(fresh) -> None:
    doc = add_review_document(fresh)
    client = client_for(fresh)
    csrf = login(client, "vanthu")
    page = client.get(f"/documents/{doc}").text
    assert marked(page) == {"code_number", "issued_date", "signer_name", "addressees"}
    assert "Cần xem lại: 4 trường" in page and "45%" in page and "nhận dạng ảnh (OCR)" in page
    queue = client.get("/register?review=1").text
    assert "1 văn bản" in queue and REVIEW_SUBJECT in queue and "Cần xem lại" in queue
    assert client.get("/api/v1/dashboard", headers=api(fresh, "vanthu")).json()["review"] == 1
    listed = client.get("/api/v1/documents?review=true", headers=api(fresh, "vanthu")).json()
    assert [i["id"] for i in listed["items"]] == [doc]

    done = client.post(f"/documents/{doc}/confirm", data={"field": "code_number", "csrf": csrf},
                       follow_redirects=False)
    assert done.status_code == 303
    kept = sources(fresh, doc)["code_number"]
    assert kept["confirmed_by"] == "vanthu" and kept["confidence"] == 0.45 and kept["source"] == "ocr"
    assert [e.detail for e in events(fresh, "field-confirmed")] == [{"field": "code_number", "value": "01"}]
    page = client.get(f"/documents/{doc}").text
    assert marked(page) == {"issued_date", "signer_name", "addressees"} and "Đã xác nhận" in page

    # a correction through a select list and a typed date settle their fields too
    client.post(f"/documents/{doc}/correct", data={"field": "signer_name", "value": "Trần Hoàng Tuấn", "csrf": csrf})
    client.post(f"/documents/{doc}/correct", data={"field": "issued_date", "value": "06/01/2025", "csrf": csrf})
    client.post(f"/documents/{doc}/correct", data={"field": "type_name", "value": "Kế hoạch", "csrf": csrf})
    client.post(f"/documents/{doc}/correct", data={"field": "urgency", "value": "2", "csrf": csrf})
    with fresh.register.engine.connect() as conn:
        row = conn.execute(sa.select(Document).where(Document.id == doc)).one()
    assert (row.signer_name, row.issued_date, row.type_name, row.urgency) == (
        "Trần Hoàng Tuấn", dt.date(2025, 1, 6), "Kế hoạch", 2)
    assert marked(client.get(f"/documents/{doc}").text) == {"addressees"}
    assert "1 văn bản" in client.get("/register?review=1").text

    api_done = client.post(f"/api/v1/documents/{doc}/confirm", json={"fields": ["addressees", "code_number"]},
                           headers=api(fresh, "vanthu"))
    assert api_done.status_code == 200 and api_done.json() == {"confirmed": ["addressees"]}  # code_number was done
    assert marked(client.get(f"/documents/{doc}").text) == set()
    assert "0 văn bản" in client.get("/register?review=1").text
    assert client.get("/api/v1/dashboard", headers=api(fresh, "vanthu")).json()["review"] == 0
    assert [e.detail["field"] for e in events(fresh, "field-confirmed")] == ["code_number", "issued_date", "addressees"]


def test_confirm_all_and_who_may_confirm(fresh) -> None:
    doc = add_review_document(fresh)
    client = client_for(fresh)
    csrf = login(client, "vanthu")
    page = client.get(f"/documents/{doc}").text
    form = page[page.index('class="reviewbar"'):]
    fields = re.findall(r'name="field" value="(\w+)"', form[:form.index("</form>")])
    assert set(fields) == {"code_number", "issued_date", "signer_name", "addressees"}
    client.post(f"/documents/{doc}/confirm", data={"field": fields, "csrf": csrf})
    assert marked(client.get(f"/documents/{doc}").text) == set()
    for user in ("lanhdao", "cv_kt"):
        refused = client_for(fresh).post(f"/api/v1/documents/{doc}/confirm", json={"fields": ["subject"]},
                                         headers=api(fresh, user))
        assert refused.status_code in (403, 404), user
    assert "subject" not in {e.detail["field"] for e in events(fresh, "field-confirmed")}
    bad = client_for(fresh).post(f"/api/v1/documents/{doc}/confirm", json={"fields": ["password"]},
                                 headers=api(fresh, "vanthu"))
    assert bad.status_code == 422


def test_document_page_shows_signatures_kinh_gui_noi_nhan_and_the_readers_notes(fresh) -> None:
    doc = add_review_document(fresh)
    client = client_for(fresh)
    login(client, "lanhdao")
    page = client.get(f"/documents/{doc}").text
    table = page[page.index('id="signature-table"'):page.index("</table>", page.index('id="signature-table"'))]
    assert table.count("<tr>") == 3  # the header and two signatures
    for text in ("Trần Hoàng Tuấn", "Ủy ban nhân dân tỉnh Quảng Ngãi", "CA phục vụ các cơ quan Đảng và Nhà nước",
                 "06/01/2025", "chứng thư không thuộc gốc tin cậy"):
        assert text in table, text
    assert "Không có báo cáo chữ ký số" not in page
    fields = page[page.index('id="field-table"'):]
    assert "Kính gửi" in fields and "Hội đồng nhân dân tỉnh" in fields
    assert "Nơi nhận" in fields and "Thường trực Tỉnh ủy" in fields
    notes = page[page.index('id="notes"'):page.index("</section>", page.index('id="notes"'))]
    assert "chứng thư ký số ghi" in notes and "Trần Hoàng Tuân" in notes
    assert "Ngày ban hành lấy theo thời điểm ký số đầu tiên" in notes and "the signing certificate" not in notes
    assert 'name="field"' not in page  # a lãnh đạo reads, and neither confirms nor corrects
    signatures = client.get(f"/api/v1/documents/{doc}", headers=api(fresh, "lanhdao")).json()["signatures"]
    assert [s["signer"] for s in signatures] == ["Trần Hoàng Tuấn", "Ủy ban nhân dân tỉnh Quảng Ngãi"]


def test_a_second_lead_is_refused_on_the_page_and_the_api_and_the_lead_can_be_moved(fresh) -> None:
    doc = fresh.ids["both"]  # KT leads, TC co-operates
    client = client_for(fresh)
    csrf = login(client, "vanthu")
    refused = client.post(f"/documents/{doc}/assign", data={"unit": "TC", "role": "lead", "due_date": "31/01/2030",
                                                            "csrf": csrf})
    assert refused.status_code == 400
    assert "Văn bản đã có đơn vị chủ trì: Phòng Kinh tế (KT)" in refused.text and 'id="assign-form"' in refused.text
    assert 'value="31/01/2030"' in refused.text  # what was typed is kept
    via_api = client.put(f"/api/v1/documents/{doc}/assignments/VP", json={"role": "lead"}, headers=api(fresh, "vanthu"))
    assert via_api.status_code == 400 and "đơn vị chủ trì" in via_api.json()["detail"]
    with fresh.register.engine.connect() as conn:
        roles = dict(conn.execute(sa.select(Assignment.unit_code, Assignment.role)
                                  .where(Assignment.document_id == doc)).all())
    assert roles == {"KT": "lead", "TC": "cooperate"}
    client.post(f"/documents/{doc}/assign", data={"unit": "KT", "role": "cooperate", "csrf": csrf})
    moved = client.post(f"/documents/{doc}/assign", data={"unit": "TC", "role": "lead", "csrf": csrf},
                        follow_redirects=False)
    assert moved.status_code == 303
    again = client.put(f"/api/v1/documents/{doc}/assignments/TC", json={"role": "lead", "due_date": "2030-02-01"},
                       headers=api(fresh, "vanthu"))
    assert again.status_code == 200  # the lead itself may change its deadline


def test_inform_is_not_open_work_and_a_chuyen_vien_sees_their_units_list_by_deadline(fresh) -> None:
    client = client_for(fresh)
    csrf = login(client, "vanthu")
    for key, role in (("kt", "inform"), ("tc", "inform")):
        client.post(f"/documents/{fresh.ids[key]}/assign", data={"unit": "VP", "role": role, "csrf": csrf})
    dash = client.get("/api/v1/dashboard", headers=api(fresh, "lanhdao")).json()
    assert "VP" not in {u["unit"] for u in dash["units"]}  # three "để biết", nothing to do
    assert all(item["unit"] != "VP" for item in dash["due"])
    cv = client_for(fresh)
    login(cv, "cv_kt")
    home = cv.get("/").text
    work = home[home.index('id="work"'):home.index("</table>", home.index('id="work"'))]
    rows = re.findall(r'<a href="/documents/(\d+)">\d+/\d+</a>', work)
    # KT's open work, earliest deadline first: kt (2 days ago), both (in 10 days); the secret one is not theirs to see
    assert [int(r) for r in rows] == [fresh.ids["kt"], fresh.ids["both"]]
    assert "late" in work.split("<tr")[2]
    cv_tc = client_for(fresh)
    login(cv_tc, "cv_tc")
    tc_home = cv_tc.get("/").text
    assert "Thông báo họp giao ban" in tc_home[tc_home.index('id="work"'):]


def test_date_inputs_are_dd_mm_yyyy_text_boxes_everywhere(fresh) -> None:
    client = client_for(fresh)
    login(client, "vanthu")
    for url in ("/register", "/export", f"/documents/{fresh.ids['kt']}"):
        html = client.get(url).text
        assert 'type="date"' not in html, url
        assert 'placeholder="dd/mm/yyyy" pattern="\\d{1,2}/\\d{1,2}/\\d{4}"' in html, url
    # the agency's today, not the machine's: from 17:00 UTC it is already tomorrow in Việt Nam
    today = dt.datetime.now(ZoneInfo(fresh.config.register.timezone)).strftime("%d/%m/%Y")
    assert f'name="date_to" value="{today}"' in client.get("/export").text
    wrong = client.get("/export?format=csv&date_from=31/02/2025&date_to=01/03/2025")
    assert wrong.status_code == 400 and "«31/02/2025» không phải một ngày có thật" in wrong.text
    assert 'id="export-form"' in wrong.text  # the form again, not a dead end


def test_register_marks_the_lead_and_shortens_agency_names_as_configured(tmp_path) -> None:
    corpus = build_corpus(web_config(tmp_path, short_names=("UBND tỉnh Bình Dương=UBND BD",)))
    try:
        add_review_document(corpus)
        client = client_for(corpus)
        login(client, "vanthu")
        html = client.get("/register").text
        assert 'title="UBND tỉnh Bình Dương"><span class="clamp">UBND BD</span></td>' in html
        assert 'title="ỦY BAN NHÂN DÂN TỈNH QUẢNG NGÃI"><span class="clamp">UBND tỉnh Quảng Ngãi</span>' in html
        assert re.search(r'class="unit lead new" translate="no" title="Phòng Kinh tế: Chủ trì[^"]*">KT<', html)
        assert re.search(r'class="unit cooperate new" translate="no" title="Phòng Tổ chức: Phối hợp', html)
    finally:
        corpus.register.close()


def test_cli_writes_confirmations_as_labels_bench_fields_reads(fresh, tmp_path) -> None:
    from gateway.cli import main

    doc = add_review_document(fresh)
    client = client_for(fresh)
    csrf = login(client, "vanthu")
    client.post(f"/documents/{doc}/confirm", data={"field": ["code_number", "code_notation", "place"], "csrf": csrf})
    client.post(f"/documents/{doc}/correct", data={"field": "signer_name", "value": "Trần Hoàng Tuấn", "csrf": csrf})
    client.post(f"/documents/{doc}/correct", data={"field": "issued_date", "value": "06/01/2025", "csrf": csrf})
    client.post(f"/documents/{doc}/confirm", data={"field": "addressees", "csrf": csrf})
    out = tmp_path / "labels"
    config = tmp_path / "gateway.toml"
    config.write_text(f'[paths]\ndata_dir = "{fresh.config.paths.data_dir}"\n'
                      f'[database]\nurl = "{fresh.config.database.url}"\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["--config", str(config), "labels", str(out)], catch_exceptions=False)
    assert result.exit_code == 0 and "Đã ghi 1 văn bản" in result.output, result.output
    lines = [json.loads(line) for line in (out / "labels.jsonl").read_text(encoding="utf-8").splitlines()]
    assert lines == [{"id": str(doc), "file": f"files/{doc}-review.pdf", "text_layer": True,
                      "so_ky_hieu": "01/TTr-UBND", "ngay_ban_hanh": "2025-01-06", "dia_danh": "Quảng Ngãi",
                      "nguoi_ky": "Trần Hoàng Tuấn", "kinh_gui": ["Hội đồng nhân dân tỉnh"]}]
    assert (out / lines[0]["file"]).read_bytes().startswith(b"%PDF")
    complete = CliRunner().invoke(main, ["--config", str(config), "labels", "--complete", str(tmp_path / "all")])
    assert complete.exit_code == 0 and (tmp_path / "all" / "labels.jsonl").read_text() == ""  # 5 of 9 checked
    # bench/fields.py reads this directory: its label keys, and the file it names
    from importlib import util
    from pathlib import Path

    spec = util.spec_from_file_location("bench_fields", Path(__file__).resolve().parents[1] / "bench" / "fields.py")
    bench = util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    assert set(lines[0]) - {"id", "file", "text_layer"} <= set(bench.FIELDS)
    assert [e.detail["documents"] for e in events(fresh, "labels-exported")] == [1, 0]
