"""The văn bản đến procedure in the web UI (issue 13), in Debian's Chromium driven by Playwright: a paper arrival
taking the next số đến, the leader's direction, the Phiếu giải quyết văn bản đến, a return to the sender and a recall.

Screenshots land in tests/artifacts/ (git-ignored) for a person to look at.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import multiprocessing
import re
from concurrent.futures import ProcessPoolExecutor
from zoneinfo import ZoneInfo

import httpx
import pytest
from conftest import free_port
from docgen import make_official_pdf
from test_web_browser import CHROMIUM, _render, browser, log_in, shot  # noqa: F401, F811 - the browser fixture
from web_support import DOCS, api, arrival, build_corpus, web_config

from gateway.core.values import AuthResults, Envelope
from gateway.register.arrivals import NewArrival
from gateway.register.service import Register
from gateway.runtime.importer import Importer
from gateway.spool import Spool, quarantine
from gateway.web.server import WebServer

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM} (apt-get install chromium)")


PASS = AuthResults("pass", "pass", "pass", "mx.test")


def _authenticated(key: str, subject: str, **kw) -> NewArrival:
    """An arrival from a sender that passed SPF/DKIM/DMARC: only such a sender is answered."""
    arrived = arrival(key, subject, **kw)
    return dataclasses.replace(arrived, extracted=dataclasses.replace(arrived.extracted, auth=PASS))


@pytest.fixture(scope="module")
def desk(tmp_path_factory):
    """The web_support corpus served over HTTP by the WebServer `gateway serve` runs, with three documents from an
    authenticated sender (to return, to recall, and one a recall notice in quarantine names)."""
    tmp = tmp_path_factory.mktemp("desk")
    corpus = build_corpus(web_config(tmp))
    for key, subject in (("ret", "Công văn gửi nhầm Sở Công Thương"), ("rec", "Kế hoạch kiểm tra đã bị huỷ"),
                         ("notice", "Quyết định ban hành nhầm, nơi gửi thu hồi")):
        corpus.ids[key] = corpus.register.register_arrival(
            _authenticated(key, subject, code=("77", "QĐ-UBND"), pdf_text=subject)).document_id
    config = dataclasses.replace(corpus.config, web=dataclasses.replace(corpus.config.web,
                                                                        listen=f"127.0.0.1:{free_port()}"))
    server = WebServer(config)
    server.start()
    yield f"http://{config.web.listen}", corpus
    server.stop()
    corpus.register.close()


def _registered(config, spool_id: str) -> tuple[int, int | None]:
    """In a worker process, as the daemon's workers do: take the spooled paper document and register it."""
    register = Register(config)
    try:
        done = Importer(config, Spool.from_config(config), register).process(spool_id)
    finally:
        register.close()
    assert done.registration is not None, done
    return done.registration.document_id, done.registration.arrival_number


def _worker(config, spool_id: str) -> tuple[int, int | None]:
    # A fresh process (spawn): a forked reader would keep the browser driver's pipes open.
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(_registered, config, spool_id).result(timeout=300)


def _scan(tmp_path):
    path = tmp_path / "cong-van-giay.pdf"
    path.write_bytes(make_official_pdf(
        organ=("UBND TỈNH QUẢNG NGÃI", "SỞ TÀI CHÍNH"), number="45", notation="STC-QLNS", place="Quảng Ngãi",
        day="20", month="11", year="2026", vv=("V/v quyết toán ngân sách năm 2026",), signer=("GIÁM ĐỐC",),
        signer_name="Lê Văn Hùng"))
    return path


def test_paper_arrival_proposed_corrected_and_numbered_next(desk, browser, tmp_path) -> None:
    base, corpus = desk
    register = corpus.register
    last = max(r["last_number"] for r in register.stats()["documents"] if not r["register"].endswith("mat"))
    context, page = log_in(browser, base, "vanthu", "/paper")
    try:
        page.set_input_files("#paper-upload input[type=file]", str(_scan(tmp_path)))
        shot(page, "paper-upload")
        page.click("#paper-upload button[type=submit]")
        page.wait_for_url(re.compile(r".*/paper/[A-Za-z0-9_-]{16,}$"))
        # the reader's proposals, to be confirmed or corrected
        assert page.locator("#in-code_number").input_value() == "45"
        assert page.locator("#in-code_notation").input_value() == "STC-QLNS"
        assert page.locator("#in-issued_date").input_value() == "20/11/2026"
        assert "quyết toán ngân sách" in page.locator("#in-subject").input_value()
        shot(page, "paper-proposed")
        page.select_option("#in-urgency", label="Hỏa tốc")
        page.select_option("#in-type_name", label="Công văn")
        page.fill("#in-description", "Bản gốc nhận qua bưu điện")
        page.fill("#in-issued_date", "31/02/2026")  # no such day: the form again, with the reason
        page.click("#paper-submit")
        page.wait_for_load_state()
        assert "không phải một ngày có thật" in page.locator("#form-error").inner_text()
        assert page.locator("#in-description").input_value() == "Bản gốc nhận qua bưu điện"
        page.fill("#in-issued_date", "20/11/2026")
        page.click("#paper-submit")
        page.wait_for_url(re.compile(r".*/paper/arrival/.+"))
        spool_id = page.url.rsplit("/", 1)[1]
        assert "Đang đọc và vào sổ" in page.locator("#paper-state").inner_text()
        shot(page, "paper-waiting")
        # the daemon's worker takes it from the spool, as it takes mail
        document_id, number = _worker(corpus.config, spool_id)
        assert number == last + 1
        page.wait_for_url(re.compile(rf".*/documents/{document_id}\?msg=.*"), timeout=15_000)
        assert page.locator("[role=status]").inner_text() == f"Đã vào sổ văn bản giấy: số đến {last + 1}/" \
            f"{dt.datetime.now(ZoneInfo(corpus.config.register.timezone)).year}"
        assert page.locator("#f-urgency .shown").inner_text() == "Hỏa tốc"
        assert page.locator("#f-description .shown").inner_text() == "Bản gốc nhận qua bưu điện"
        assert "văn bản giấy" in page.locator("#mail").inner_text()
        assert "vanthu" in page.locator("#mail").inner_text() and "cong-van-giay.pdf" in page.locator("#mail").inner_text()
        shot(page, "paper-registered")
        record = register.get_document(document_id)
        assert record.source == "paper" and record.code_notation == "STC-QLNS" and record.urgency == 3
        assert [a.filename for a in record.attachments] == ["cong-van-giay.pdf"]
    finally:
        context.close()


def test_paper_arrival_without_a_scan_and_no_chuyen_vien(desk, browser) -> None:
    base, corpus = desk
    context, page = log_in(browser, base, "vanthu", "/paper")
    try:
        page.click("#paper-upload button[type=submit]")
        page.wait_for_url(re.compile(r".*/paper/[A-Za-z0-9_-]{16,}$"))
        page.click("#paper-submit")  # no trích yếu
        page.wait_for_load_state()
        assert page.locator("#form-error").inner_text() == "Văn bản giấy cần có trích yếu."
        page.fill("#in-subject", "Giấy mời dự hội nghị tổng kết")
        page.fill("#in-organ_name", "Sở Nội vụ")
        page.click("#paper-submit")
        page.wait_for_url(re.compile(r".*/paper/arrival/.+"))
        spool_id = page.url.rsplit("/", 1)[1]
        _worker(corpus.config, spool_id)
        page.wait_for_url(re.compile(r".*/documents/\d+\?msg=.*"), timeout=15_000)
        assert page.locator("#doc-subject").inner_text().endswith("Giấy mời dự hội nghị tổng kết")
    finally:
        context.close()
    context, page = log_in(browser, base, "cv_kt", "/")
    try:
        page.goto(base + "/paper")
        assert "Chỉ văn thư và quản trị" in page.locator("body").inner_text()
    finally:
        context.close()


def _pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def _docx_text(data: bytes) -> str:
    from docx import Document

    return "\n".join(p.text for p in Document(io.BytesIO(data)).paragraphs)


def test_the_leaders_direction_on_the_page_in_the_audit_and_on_the_phieu(desk, browser, tmp_path) -> None:
    base, corpus = desk
    doc = corpus.ids["tc"]
    context, page = log_in(browser, base, "vanthu", f"/documents/{doc}")
    try:  # routing.direction_roles is lãnh đạo (and admin) by default: the văn thư does not get the form
        assert page.locator("#direction-form").count() == 0
        response = page.request.post(f"{base}/documents/{doc}/direction", form={"csrf": "x", "lead": "KT"})
        assert response.status == 403
    finally:
        context.close()
    context, page = log_in(browser, base, "lanhdao", f"/documents/{doc}")
    try:
        page.fill("#direction-form textarea[name=opinion]", "Giao Phòng Kinh tế chủ trì, báo cáo trước hạn.")
        page.check("#direction-form input[name=lead][value=KT]")
        page.check("#direction-form input[name=cooperate][value=TC]")
        page.check("#direction-form input[name=inform][value=VP]")
        page.fill("#direction-form input[name=due_date]", "31/12/2030")
        shot(page, "direction-form")
        page.click("#direction-form button[type=submit]")
        page.wait_for_load_state()
        assert page.locator("[role=status]").inner_text() == "Đã ghi ý kiến chỉ đạo của LANHDAO: chủ trì KT"
        assert page.locator("#direction-opinion").inner_text() == "Giao Phòng Kinh tế chủ trì, báo cáo trước hạn."
        assert page.locator("#direction-due").inner_text() == "31/12/2030"
        assert page.locator("#direction-lead").inner_text() == "Phòng Kinh tế (KT)"
        assert "ghi thay" not in page.locator("#direction-current").inner_text()
        lead = page.locator("#assignments tr", has_text="Phòng Kinh tế")
        assert "Chủ trì" in lead.inner_text() and "31/12/2030" in lead.inner_text()
        assert "Phối hợp" in page.locator("#assignments tr", has_text="Phòng Tổ chức").inner_text()
        assert "Để biết" in page.locator("#assignments tr", has_text="Văn phòng").inner_text()
        assert "Giao Phòng Kinh tế chủ trì" in page.locator("#audit tr", has_text="Ý kiến chỉ đạo").inner_text()
        shot(page, "direction-recorded")
        # a new direction: the form opens again under the one in force; a wrong date comes back with its reason
        page.click("#direction details.box summary")
        page.fill("#direction-form input[name=due_date]", "30/02/2030")
        page.click("#direction-form button[type=submit]")
        page.wait_for_load_state()
        assert "không phải một ngày có thật" in page.locator("#direction-error").inner_text()
        assert page.locator("#direction-form textarea[name=opinion]").count() == 1
        # the phiếu giải quyết văn bản đến, as PDF and DOCX
        record = corpus.register.get_document(doc)
        with page.expect_download() as info:
            page.click("#phieu-pdf")
        saved = tmp_path / "phieu.pdf"
        info.value.save_as(saved)
        assert _render(saved, "phieu-pdf") == 1  # one A4 page, rendered for a person to look at
        text = _pdf_text(saved.read_bytes())
        for wanted in (f"Số đến: {record.arrival_number}/{record.year}", DOCS["tc"]["subject"],
                       "Giao Phòng Kinh tế chủ trì", "PHIẾU GIẢI QUYẾT VĂN BẢN ĐẾN", "Phòng Kinh tế (KT)",
                       "31/12/2030"):
            assert wanted in " ".join(text.split()), (wanted, text)
        with page.expect_download() as info:
            page.click("#phieu-docx")
        saved = tmp_path / "phieu.docx"
        info.value.save_as(saved)
        text = _docx_text(saved.read_bytes())
        for wanted in (f"Số đến: {record.arrival_number}/{record.year}", DOCS["tc"]["subject"],
                       "Giao Phòng Kinh tế chủ trì"):
            assert wanted in text, (wanted, text)
    finally:
        context.close()
    # the API: a lãnh đạo's token records a direction too; unknown units are refused
    with httpx.Client(base_url=base + "/api/v1", headers=api(corpus, "lanhdao")) as client:
        done = client.post(f"/documents/{doc}/direction", json={"lead": "TC", "opinion": "Đổi chủ trì",
                                                                 "due_date": "2030-12-01"})
        assert done.status_code == 200, done.text
        assert client.post(f"/documents/{doc}/direction", json={"lead": "ZZ"}).status_code == 404
        phieu = client.get(f"/documents/{doc}/phieu", params={"format": "docx"})
        assert phieu.status_code == 200 and "Đổi chủ trì" in _docx_text(phieu.content)
    assert [d.lead for d in corpus.register.views.directions(doc)] == ["KT", "TC"]


def test_return_to_sender_from_the_document_page(desk, browser) -> None:
    base, corpus = desk
    doc = corpus.ids["ret"]
    number = corpus.register.get_document(doc).arrival_number
    context, page = log_in(browser, base, "vanthu", f"/documents/{doc}")
    try:
        page.fill("#return-form textarea[name=reason]", "Văn bản gửi nhầm cơ quan, đề nghị gửi Sở Tài chính")
        shot(page, "return-form")
        page.click("#return-form button[type=submit]")
        page.wait_for_load_state()
        assert page.locator("[role=status]").inner_text().startswith("Đã trả lại văn bản cho vanthu@ubnd.example.gov.vn")
        assert page.locator(".dochead .tag", has_text="Đã trả lại nơi gửi").count() == 1
        assert page.locator("#return-form").count() == 0
        assert "gửi nhầm cơ quan" in page.locator("#audit tr", has_text="Trả lại nơi gửi").inner_text()
        shot(page, "returned")
    finally:
        context.close()
    record = corpus.register.get_document(doc)
    assert record.status == "returned" and record.arrival_number == number  # it keeps its số đến
    assert [m.kind for m in corpus.register.outbox.list() if m.document_id == doc] == ["return"]


def test_recall_from_the_document_page_and_a_recall_notice_from_quarantine(desk, browser) -> None:
    base, corpus = desk
    doc, named = corpus.ids["rec"], corpus.ids["notice"]
    context, page = log_in(browser, base, "vanthu", f"/documents/{doc}")
    try:
        page.fill("#recall-form textarea[name=reason]", "Kế hoạch đã huỷ")
        page.select_option("#recall-form select[name=source]", label="điện thoại")
        page.click("#recall-form button[type=submit]")  # the confirmation box is required
        assert page.url.endswith(f"/documents/{doc}")
        page.check("#recall-form input[name=confirm]")
        page.click("#recall-form button[type=submit]")
        page.wait_for_load_state()
        assert page.locator("[role=status]").inner_text().startswith("Đã thu hồi văn bản")
        assert page.locator(".dochead .tag", has_text="Đã thu hồi").count() == 1
        assert "Kế hoạch đã huỷ" in page.locator("#recalls").inner_text()
        assert "điện thoại" in page.locator("#recalls").inner_text()
        for gone in ("#assign-form", "#review-tag", "#return-recall", "#phieu", ".fieldform"):
            assert page.locator(gone).count() == 0, gone  # nothing left to correct, assign or print
        shot(page, "recalled")
        record = corpus.register.get_document(doc)
        assert record.status == "recalled" and record.arrival_number and not record.attachments
        # a recall notice held in quarantine: the văn thư agrees, the document it names is recalled
        raw = (b"From: vanthu@ubnd.example.gov.vn\r\nTo: vanthu@localhost\r\nSubject: Thu hoi van ban 77\r\n"
               b"Message-ID: <thuhoi-77@test>\r\n\r\nDe nghi thu hoi.\r\n")
        held = corpus.spool.put(raw, Envelope(source="smtp", received_at=dt.datetime.now(dt.timezone.utc),
                                             mail_from="vanthu@ubnd.example.gov.vn", rcpt_tos=("vanthu@localhost",)))
        corpus.spool.claim(held)
        quarantine.hold(corpus.spool, held, "thông báo thu hồi văn bản 77/QĐ-UBND: chờ văn thư đồng ý hoặc từ chối",
                        {"kind": "recall", "document": named, "about": "77/QĐ-UBND", "reason": "Ban hành nhầm",
                         "from": "vanthu@ubnd.example.gov.vn", "spf": "pass", "dkim": "pass", "dmarc": "pass"})
        page.goto(f"{base}/spool/quarantine/{held}")
        assert page.locator("#q-recall-form input[name=document]").input_value() == str(named)
        shot(page, "quarantine-recall-notice")
        page.click("#q-recall-form button[type=submit]")
        page.wait_for_url(re.compile(rf".*/documents/{named}\?msg=.*"))
        assert page.locator("[role=status]").inner_text().startswith("Đã thu hồi văn bản")
        assert "Ban hành nhầm" in page.locator("#recalls").inner_text()
        assert corpus.spool.counts()["quarantine"] == 0
    finally:
        context.close()
    assert corpus.register.get_document(named).status == "recalled"


def test_the_van_thu_records_the_direction_for_the_leader_when_the_quy_che_allows(tmp_path) -> None:
    """routing.direction_roles with van_thu: she picks the lãnh đạo whose direction it is; without, 403."""
    from web_support import client_for, csrf_of, login

    corpus = build_corpus(web_config(tmp_path))
    try:
        allowed = dataclasses.replace(corpus, config=dataclasses.replace(corpus.config, routing=dataclasses.replace(
            corpus.config.routing, direction_roles=("admin", "lanh_dao", "van_thu"))))
        client = client_for(allowed)
        csrf = login(client, "vanthu")
        doc = corpus.ids["kt"]
        page = client.get(f"/documents/{doc}")
        assert 'name="leader"' in page.text and csrf_of(page.text) == csrf
        refused = client.post(f"/documents/{doc}/direction", data={"csrf": csrf, "lead": "KT", "opinion": "x"})
        assert refused.status_code == 400 and "Chọn lãnh đạo" in refused.text
        done = client.post(f"/documents/{doc}/direction", data={
            "csrf": csrf, "leader": "lanhdao", "lead": "TC", "cooperate": ["KT", "TC"], "inform": "VP",
            "due_date": "15/01/2031", "opinion": "Phòng Tổ chức chủ trì"})
        assert done.status_code == 200 and "Đã ghi ý kiến chỉ đạo của LANHDAO: chủ trì TC" in done.text
        assert 'ghi thay: <span class="v" translate="no">VANTHU</span>' in done.text
        (direction,) = corpus.register.views.directions(doc)
        assert (direction.directed_by, direction.recorded_by, direction.lead, direction.cooperate, direction.inform,
                direction.due_date) == ("LANHDAO", "vanthu", "TC", ("KT",), ("VP",), dt.date(2031, 1, 15))
        plain = client_for(corpus)
        csrf = login(plain, "vanthu")
        assert plain.post(f"/documents/{doc}/direction", data={"csrf": csrf, "lead": "KT"}).status_code == 403
        chuyen_vien = client_for(allowed)
        csrf = login(chuyen_vien, "cv_kt")
        assert chuyen_vien.post(f"/documents/{doc}/direction", data={"csrf": csrf, "lead": "KT"}).status_code == 403
    finally:
        corpus.register.close()


def test_the_procedure_on_postgresql(tmp_path, postgres_url) -> None:
    """The same edges on PostgreSQL, in process: a paper arrival found again by its spool id, a direction and the
    phiếu over the API, a return and a recall (each refused the second time with 409)."""
    from web_support import client_for, csrf_of, login

    corpus = build_corpus(web_config(tmp_path, postgres_url))
    try:
        for key in ("ret", "rec"):
            corpus.ids[key] = corpus.register.register_arrival(
                _authenticated(key, f"Công văn {key}", code=("88", "CV-UBND"))).document_id
        client = client_for(corpus)
        csrf = login(client, "vanthu")
        scan = _scan(tmp_path).read_bytes()
        draft = client.post("/paper", data={"csrf": csrf}, files={"scan": ("quet.pdf", scan, "application/pdf")})
        assert draft.status_code == 200 and 'value="STC-QLNS"' in draft.text
        fields = {"csrf": csrf_of(draft.text), "subject": "V/v quyết toán ngân sách năm 2026", "code_number": "45",
                  "code_notation": "STC-QLNS", "issued_date": "20/11/2026", "urgency": "1", "secrecy": "0"}
        taken = client.post(draft.url.path, data=fields, follow_redirects=False)
        assert taken.status_code == 303
        spool_id = taken.headers["location"].rsplit("/", 1)[1]
        assert "Đang đọc và vào sổ" in client.get(taken.headers["location"]).text
        document_id, _number = _worker(corpus.config, spool_id)
        assert corpus.register.documents_of_arrival(spool_id) == [document_id]
        landed = client.get(taken.headers["location"], follow_redirects=False)
        assert landed.headers["location"].startswith(f"/documents/{document_id}?")
        assert corpus.register.get_document(document_id).source == "paper"
        leader = api(corpus, "lanhdao")
        doc = corpus.ids["kt"]
        assert client.post(f"/api/v1/documents/{doc}/direction", headers=leader, json={
            "lead": "KT", "cooperate": ["TC"], "opinion": "Khẩn trương triển khai"}).status_code == 200
        phieu = client.get(f"/api/v1/documents/{doc}/phieu", headers=leader)
        assert phieu.headers["content-type"] == "application/pdf"
        assert "Khẩn trương triển khai" in _pdf_text(phieu.content)
        clerk = api(corpus, "vanthu")
        for key, path, body in (("ret", "return", {"reason": "Gửi nhầm cơ quan"}),
                                ("rec", "recall", {"reason": "Nơi gửi thu hồi", "source": "phone"})):
            first = client.post(f"/api/v1/documents/{corpus.ids[key]}/{path}", headers=clerk, json=body)
            assert first.status_code == 200, first.text
            again = client.post(f"/api/v1/documents/{corpus.ids[key]}/{path}", headers=clerk, json=body)
            assert again.status_code == 409, again.text
        assert corpus.register.get_document(corpus.ids["ret"]).status == "returned"
        assert corpus.register.get_document(corpus.ids["rec"]).status == "recalled"
    finally:
        corpus.register.close()


def test_a_quarantined_message_is_returned_from_its_page_without_a_number(tmp_path) -> None:
    """Điều 21 on a held message: returned to an authenticated sender, gone from quarantine, no số đến; an
    unauthenticated one is refused with the reason on the page."""
    from web_support import client_for, login

    corpus = build_corpus(web_config(tmp_path))
    try:
        spool = corpus.spool
        held = {}
        for key, auth in (("signed", "pass"), ("forged", "none")):
            raw = (f"From: vanthu@{key}.example.gov.vn\r\nTo: vanthu@localhost\r\nSubject: Cong van {key}\r\n"
                   f"Message-ID: <{key}@test>\r\n\r\nNoi dung.\r\n").encode()
            held[key] = spool.put(raw, Envelope(source="smtp", received_at=dt.datetime.now(dt.timezone.utc),
                                                mail_from=f"vanthu@{key}.example.gov.vn"))
            spool.claim(held[key])
            quarantine.hold(spool, held[key], "chữ ký số không hợp lệ", {
                "from": f"vanthu@{key}.example.gov.vn", "spf": auth, "dkim": auth, "dmarc": auth})
        numbers = corpus.register.stats()["documents"]
        client = client_for(corpus)
        csrf = login(client, "vanthu")
        page = client.post("/spool/quarantine/return", data={"csrf": csrf, "spool_id": held["forged"],
                                                            "reason": "Sai chữ ký"})
        assert page.status_code == 200 and "Chưa trả lại được: Không trả lại cho" in page.text
        page = client.post("/spool/quarantine/return", data={"csrf": csrf, "spool_id": held["signed"],
                                                            "reason": "Chữ ký số không hợp lệ"})
        assert "Đã trả lại thư" in page.text and "vanthu@signed.example.gov.vn" in page.text
        assert [e.spool_id for e in spool.list("quarantine")] == [held["forged"]]
        assert corpus.register.stats()["documents"] == numbers  # no số đến taken
        assert [m.kind for m in corpus.register.outbox.list()] == ["return"]
    finally:
        corpus.register.close()
