"""The văn thư's, chuyên viên's and admin's work in Debian's Chromium driven by Playwright: search, open, download,
reassign, export; the review queue with a correction by select list; one chủ trì; a chuyên viên's list; disabling a
user (their token then gets 401); the register at 1366×768; the printable sổ rendered page by page.

Screenshots of every page, and the sổ's rendered pages, land in tests/artifacts/ (git-ignored) for a person to look at.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import re
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest
from conftest import free_port
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from web_support import DOCS, PASSWORD, REVIEW_SUBJECT, add_review_document, arrival, build_corpus, web_config

from gateway.core.values import Envelope
from gateway.spool import quarantine
from gateway.web.server import WebServer

CHROMIUM = Path(os.environ.get("GATEWAY_TEST_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
SCREEN = {"width": 1366, "height": 768}  # the văn thư's laptop

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM} (apt-get install chromium)")

# Documents as a provincial inbox receives them: long agency names in capitals, long trích yếu.
AGENCIES = ("ỦY BAN NHÂN DÂN TỈNH QUẢNG NGÃI", "SỞ TÀI CHÍNH TỈNH QUẢNG NGÃI", "BỘ THÔNG TIN VÀ TRUYỀN THÔNG",
            "VĂN PHÒNG CHÍNH PHỦ", "SỞ KẾ HOẠCH VÀ ĐẦU TƯ TỈNH QUẢNG NGÃI", "HỘI ĐỒNG NHÂN DÂN TỈNH QUẢNG NGÃI")
SUBJECTS = ("Về việc triển khai sử dụng hóa đơn điện tử trên địa bàn tỉnh và hướng dẫn các doanh nghiệp thực hiện",
            "Về việc báo cáo tình hình thực hiện kế hoạch phát triển kinh tế - xã hội quý IV năm 2026",
            "Về việc góp ý dự thảo Quyết định ban hành quy chế quản lý, sử dụng hộp thư điện tử công vụ",
            "Về việc tổ chức hội nghị tổng kết công tác văn thư, lưu trữ năm 2026")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A corpus served over HTTP by the same WebServer `gateway serve` uses: the five documents of web_support,
    an unsure tờ trình, sixteen ordinary documents, a quarantined and a failed message."""
    tmp = tmp_path_factory.mktemp("browser")
    corpus = build_corpus(web_config(tmp))
    review = add_review_document(corpus)
    for k in range(16):
        corpus.register.register_arrival(arrival(f"more{k}", SUBJECTS[k % len(SUBJECTS)], organ=AGENCIES[k % 6],
                                                 code=(f"{100 + k}", "UBND-KT")))
    spool = corpus.spool
    held = spool.put(b"From: ban@gmail.com\r\nSubject: Moi hop\r\n\r\nx\r\n",
                     Envelope(source="smtp", received_at=dt.datetime.now(dt.timezone.utc), mail_from="ban@gmail.com",
                              rcpt_tos=("vanthu@localhost",), peer="203.0.113.5:4000"))
    spool.claim(held)
    quarantine.hold(spool, held, "sender domain gmail.com is not allowed (policy: quarantine)",
                    {"from": "ban@gmail.com", "domain": "gmail.com", "spf": "none", "dkim": "none", "dmarc": "none",
                     "auth_source": ""})
    bad = spool.put(b"Subject: hong\r\n\r\nx\r\n", Envelope(source="imap", received_at=dt.datetime.now(dt.timezone.utc),
                                                           mail_from="a@b.gov.vn", rcpt_tos=("vanthu@localhost",)))
    spool.claim(bad)
    spool.fail(bad, "RegisterError: database is locked", "traceback", permanent=True)
    config = dataclasses.replace(corpus.config, web=dataclasses.replace(corpus.config.web,
                                                                        listen=f"127.0.0.1:{free_port()}"))
    server = WebServer(config)
    server.start()
    yield f"http://{config.web.listen}", corpus, {"review": review, "held": held, "bad": bad}
    server.stop()
    corpus.register.close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        # Chromium's own new headless mode: unlike the old one it has the PDF viewer the preview uses.
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), headless=False, args=["--headless=new"])
        yield chromium
        chromium.close()


def shot(page, name: str, full: bool = True) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=full)


def log_in(browser, base: str, name: str, landing: str = "/register"):
    context = browser.new_context(accept_downloads=True, viewport=SCREEN, locale="en-US")  # dates must not care
    page = context.new_page()
    page.goto(f"{base}{landing}")
    assert "/login" in page.url
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}{landing}")
    return context, page


def download(page, selector: str, tries: int = 3):
    """Clicks a download link until its download starts: a click while the PDF preview frame loads can be lost."""
    for attempt in range(1, tries + 1):
        try:
            with page.expect_download(timeout=30_000) as info:
                page.click(selector)
            return info.value
        except PlaywrightTimeout:
            if attempt == tries:
                raise
    raise AssertionError("unreachable")


def test_van_thu_searches_opens_downloads_reassigns_and_exports(site, browser, tmp_path) -> None:
    base, corpus, _ = site
    context, page = log_in(browser, base, "vanthu")
    try:
        assert page.locator("#result-count").inner_text() == "22 văn bản"
        assert page.get_by_text("<script>alert('x')</script> Công văn lạ").count() == 1  # shown as text
        for text in ("kế hoạch năm 2027", "ke hoach phat trien kinh te nam 2027"):
            page.fill("input[name=q]", text)
            page.click("form.filters button[type=submit]")
            page.wait_for_load_state()
            assert page.locator("#result-count").inner_text() == "1 văn bản", text
        shot(page, "register-search")
        page.click("a.subject")
        page.wait_for_url(f"{base}/documents/{corpus.ids['kt']}*")
        assert page.locator("#doc-subject").inner_text().endswith(DOCS["kt"]["subject"])
        page.wait_for_load_state("load")
        page.locator("#files a[download]").scroll_into_view_if_needed()  # on a long page the PDF viewer starts
        page.wait_for_load_state("networkidle")  # when scrolled to: let it settle
        saved = tmp_path / "file.pdf"
        download(page, "#files a[download]").save_as(saved)
        assert saved.read_bytes().startswith(b"%PDF")
        page.select_option("#assign-form select[name=unit]", "VP")
        page.select_option("#assign-form select[name=role]", "cooperate")
        page.fill("#assign-form input[name=due_date]", "31/01/2030")
        page.click("#assign-form button[type=submit]")
        page.wait_for_load_state()
        row = page.locator("#assignments tr", has_text="Văn phòng")
        assert row.count() == 1 and "31/01/2030" in row.inner_text() and "Phối hợp" in row.inner_text()
        assert page.locator("#audit tr", has_text="Giao xử lý").count() == 1
        page.goto(base + "/")
        shot(page, "dashboard-van-thu")
        assert page.locator("#arrivals-today").inner_text() == "22"
        assert page.locator("#review-count").inner_text() == "1"
    finally:
        context.close()


def test_register_shows_fifteen_rows_on_a_1366x768_screen_with_the_lead_marked(site, browser) -> None:
    base, _corpus, _ = site
    context, page = log_in(browser, base, "vanthu")
    try:
        rows = page.locator("table.register tbody tr")
        visible = [k for k in range(rows.count()) if rows.nth(k).bounding_box()["y"]
                   + rows.nth(k).bounding_box()["height"] <= SCREEN["height"]]
        assert len(visible) >= 15, len(visible)
        cell = page.locator("table.register td.organ", has_text="UBND tỉnh Quảng Ngãi").first
        assert cell.get_attribute("title") == "ỦY BAN NHÂN DÂN TỈNH QUẢNG NGÃI"
        organ = cell.locator("span")
        lines = organ.evaluate("e => { const r = document.createRange(); r.selectNodeContents(e); "
                               "return new Set([...r.getClientRects()].map(x => Math.round(x.top))).size }")
        assert lines == 1  # "UBND tỉnh Quảng Ngãi" on one line, not four
        longest = page.locator("table.register td.organ span", has_text="Sở Kế hoạch và Đầu tư tỉnh").first
        assert longest.evaluate("e => e.scrollHeight <= e.clientHeight + 1")  # two lines hold it whole
        lead = page.locator("table.register span.unit.lead").first
        assert lead.evaluate("e => getComputedStyle(e).fontWeight") == "700"
        shot(page, "register-1366x768", full=False)
        shot(page, "register")
    finally:
        context.close()


def test_review_queue_correction_by_select_list_and_confirmation(site, browser) -> None:
    base, corpus, ids = site
    context, page = log_in(browser, base, "vanthu", "/")
    try:
        page.click("a.card[href='/register?review=1']")
        page.wait_for_url(f"{base}/register?review=1")
        assert page.locator("#result-count").inner_text() == "1 văn bản"
        shot(page, "register-review")
        page.click(f"a.subject[href='/documents/{ids['review']}']")
        page.wait_for_url(f"{base}/documents/{ids['review']}")
        assert page.locator("table.fields tr.look").count() == 4
        fields = page.locator("#fields").bounding_box()
        preview = page.locator("#preview iframe").bounding_box()
        assert preview["y"] < fields["y"] + 100 and preview["x"] > fields["x"] + fields["width"]  # beside, not below
        page.wait_for_timeout(2500)  # the PDF viewer draws the page in its own process
        shot(page, "document-review", full=False)
        shot(page, "document-review-full")
        # độ khẩn from a select list, not a typed 0-3
        page.click("#f-urgency summary")
        page.select_option("#f-urgency select[name=value]", label="Thượng khẩn")
        page.click("#f-urgency button[type=submit]")
        page.wait_for_load_state()
        assert page.locator("#f-urgency .shown").inner_text() == "Thượng khẩn"
        assert page.locator("[role=status]").inner_text() == "Đã sửa độ khẩn"
        page.click("#f-type_name summary")
        assert page.locator("#f-type_name option").count() >= 30  # the 29 ND30 types, copies and legal types
        page.select_option("#f-type_name select[name=value]", label="Tờ trình")
        page.click("#f-type_name button[type=submit]")
        page.wait_for_load_state()
        # a wrong date: the same page, the reason beside the open form, what was typed kept
        page.click("#f-issued_date summary")
        page.fill("#f-issued_date input[name=value]", "31/02/2025")
        page.click("#f-issued_date button[type=submit]")
        page.wait_for_load_state()
        assert "không phải một ngày có thật" in page.locator("#f-issued_date .error").inner_text()
        assert page.locator("#f-issued_date input[name=value]").input_value() == "31/02/2025"
        shot(page, "document-correction-error", full=False)
        page.fill("#f-issued_date input[name=value]", "06/01/2025")
        page.click("#f-issued_date button[type=submit]")
        page.wait_for_load_state()
        page.click("#f-code_number td.act button")
        page.wait_for_load_state()
        assert page.locator("table.fields tr.look").count() == 2
        page.click("#confirm-all")
        page.wait_for_load_state()
        assert page.locator("table.fields tr.look").count() == 0 and page.locator("#review-tag").count() == 0
        # số by its button, ngày văn bản and tên loại saved unchanged, người ký and Kính gửi by «Xác nhận cả»
        assert page.locator("#audit tr", has_text="Xác nhận trường").count() == 5
        shot(page, "document-reviewed")
        page.goto(f"{base}/register?review=1")
        assert page.locator("#result-count").inner_text() == "0 văn bản"
    finally:
        context.close()


def test_a_second_chu_tri_is_refused(site, browser) -> None:
    base, corpus, _ = site
    context, page = log_in(browser, base, "vanthu")
    try:
        page.goto(f"{base}/documents/{corpus.ids['both']}")
        page.select_option("#assign-form select[name=unit]", "TC")
        page.select_option("#assign-form select[name=role]", "lead")
        page.fill("#assign-form input[name=due_date]", "15/01/2030")
        page.click("#assign-form button[type=submit]")
        page.wait_for_load_state()
        error = page.locator("#assign-error").inner_text()
        assert "Văn bản đã có đơn vị chủ trì: Phòng Kinh tế (KT)" in error and "phối hợp" in error
        assert page.locator("#assignments tr.role-lead").count() == 1
        assert page.locator("#assign-form input[name=due_date]").input_value() == "15/01/2030"
        page.locator("#assign-error").scroll_into_view_if_needed()
        shot(page, "document-second-lead-refused", full=False)
    finally:
        context.close()


def test_a_chuyen_vien_sees_their_units_documents_by_deadline_and_cannot_reach_others(site, browser) -> None:
    base, corpus, _ = site
    context, page = log_in(browser, base, "cv_kt", "/")
    try:
        links = page.locator("#work tbody tr td.num a")
        assert [links.nth(k).get_attribute("href") for k in range(links.count())] == [
            f"/documents/{corpus.ids['kt']}", f"/documents/{corpus.ids['both']}"]
        assert "late" in (page.locator("#work tbody tr").first.get_attribute("class") or "")
        shot(page, "dashboard-chuyen-vien")
        response = page.goto(f"{base}/documents/{corpus.ids['tc']}")
        assert response.status == 404
        assert page.locator("h1").inner_text() == "Không tìm thấy"
        assert DOCS["tc"]["subject"] not in page.content()
        shot(page, "other-unit-404")
        page.goto(f"{base}/documents/{corpus.ids['kt']}")
        page.select_option("#assignments select[name=status]", "in_progress")
        page.click("#assignments form button[type=submit]")
        page.wait_for_load_state()
        assert page.locator("[role=status]").inner_text() == "KT: Đang xử lý"
        assert page.locator("#correct-form, details.edit, #assign-form").count() == 0
        shot(page, "document-chuyen-vien")
    finally:
        context.close()


def test_an_admin_disables_a_user_whose_token_and_session_stop_at_once(site, browser) -> None:
    base, corpus, _ = site
    token = {"Authorization": f"Bearer {corpus.tokens['cv_tc']}"}
    assert httpx.get(f"{base}/api/v1/me", headers=token).status_code == 200
    victim, victim_page = log_in(browser, base, "cv_tc", "/")
    context, page = log_in(browser, base, "admin", "/admin/users")
    try:
        shot(page, "users")
        page.click("#user-cv_tc form[action='/admin/users/active'] button")
        page.wait_for_load_state()
        assert page.locator("[role=status]").inner_text() == "Đã khoá cv_tc"
        assert "Đã khoá" in page.locator("#user-cv_tc").inner_text()
        assert httpx.get(f"{base}/api/v1/me", headers=token).status_code == 401
        victim_page.goto(f"{base}/")
        assert "/login" in victim_page.url
        shot(page, "users-disabled")
        page.click("#user-cv_tc form[action='/admin/users/active'] button")  # enable again for the other tests
        page.wait_for_load_state()
        assert httpx.get(f"{base}/api/v1/me", headers=token).status_code == 200
    finally:
        victim.close()
        context.close()


def test_every_other_page_has_a_screenshot(site, browser) -> None:
    base, _corpus, ids = site
    context = browser.new_context(viewport=SCREEN, locale="vi-VN")
    page = context.new_page()
    page.goto(f"{base}/login")
    shot(page, "login")
    context.close()
    context, page = log_in(browser, base, "vanthu", "/spool/quarantine")
    try:
        assert "Tên miền người gửi gmail.com không nằm trong danh sách được nhận" in page.inner_text("#quarantine")
        shot(page, "quarantine")
        page.click(f"a[href='/spool/quarantine/{ids['held']}']")
        page.wait_for_load_state()
        assert "không có (không tin kết quả xác thực nào)" in page.inner_text("#q-detail")
        shot(page, "quarantined")
        page.goto(f"{base}/spool/bad")
        assert "Lỗi khi xử lý" in page.inner_text("#bad")
        shot(page, "bad")
        page.goto(f"{base}/export")
        shot(page, "export")
        page.goto(f"{base}/documents/99999")
        shot(page, "error-404")
    finally:
        context.close()


# -- the printable sổ ---------------------------------------------------------------------------------------------


def _pages_text(pdf: Path) -> list[str]:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(str(pdf))
    return [document[k].get_textpage().get_text_range() for k in range(len(document))]


def _render(pdf: Path, name: str) -> int:
    """Every page of ``pdf`` as PNG in tests/artifacts/ (what a person looks at); returns the page count."""
    import pypdfium2 as pdfium

    ARTIFACTS.mkdir(exist_ok=True)
    for old in ARTIFACTS.glob(f"{name}-page-*.png"):
        old.unlink()
    document = pdfium.PdfDocument(str(pdf))
    for k in range(len(document)):
        document[k].render(scale=1.4).to_pil().save(ARTIFACTS / f"{name}-page-{k + 1}.png")
    return len(document)


def _check_book(pages: list[str]) -> None:
    """Each page: the agency, the header row, "Trang k/n"; each register line whole on exactly one page."""
    flat = [re.sub(r"\s+", " ", text) for text in pages]
    for k, text in enumerate(flat, start=1):
        assert "Sở Công Thương (thử)" in text, k
        assert "Tên loại và trích yếu nội dung văn bản" in text, k  # the header row on every page
        assert f"Trang {k}/{len(flat)}" in text, k
    for subject in SUBJECTS[:2]:
        assert sum(text.count(subject) for text in flat) == sum(1 for k in range(16) if SUBJECTS[k % 4] == subject)


def test_the_printable_so_renders_the_same_in_libreoffice_and_as_pdf(site, browser, tmp_path) -> None:
    base, _corpus, _ = site
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("no LibreOffice (apt-get install libreoffice-writer-nogui)")
    context, page = log_in(browser, base, "vanthu", "/export")
    try:
        saved = {}
        for fmt in ("docx", "pdf"):
            page.select_option("#export-form select[name=format]", fmt)
            page.fill("#export-form input[name=date_from]", "01/01/2020")
            with page.expect_download() as info:
                page.click("#export-form button[type=submit]")
            saved[fmt] = tmp_path / info.value.suggested_filename
            info.value.save_as(saved[fmt])
    finally:
        context.close()
    subprocess.run([soffice, "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path / "lo"), str(saved["docx"])],
                   check=True, capture_output=True, timeout=180, env={**os.environ, "HOME": str(tmp_path)})
    from_word = tmp_path / "lo" / (saved["docx"].stem + ".pdf")
    for pdf, name in ((from_word, "so-docx"), (saved["pdf"], "so-pdf")):
        count = _render(pdf, name)
        pages = _pages_text(pdf)
        assert 2 <= count <= 5, (name, count)  # 22 lines, none split, on a few landscape pages
        _check_book(pages)
        assert REVIEW_SUBJECT[:40] in re.sub(r"\s+", " ", " ".join(pages))
        import pypdfium2 as pdfium

        width, height = pdfium.PdfDocument(str(pdf))[0].get_size()
        assert width > height and abs(width - 841.9) < 2  # A4 landscape, in points
