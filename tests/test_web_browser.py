"""The main flows in Debian's Chromium driven by Playwright: log in, search, open, download, reassign, export, scope.

Screenshots of the main pages land in tests/artifacts/ (git-ignored) for a person to look at.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest
from conftest import free_port
from web_support import DOCS, PASSWORD, build_corpus, web_config

from gateway.web.server import WebServer

CHROMIUM = Path(os.environ.get("GATEWAY_TEST_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM} (apt-get install chromium)")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A corpus served over HTTP by the same WebServer `gateway serve` uses."""
    tmp = tmp_path_factory.mktemp("browser")
    corpus = build_corpus(web_config(tmp))
    config = dataclasses.replace(corpus.config, web=dataclasses.replace(corpus.config.web, listen=f"127.0.0.1:{free_port()}"))
    server = WebServer(config)
    server.start()
    yield f"http://{config.web.listen}", corpus
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


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def log_in(browser, base: str, name: str):
    context = browser.new_context(accept_downloads=True, viewport={"width": 1400, "height": 900}, locale="vi-VN")
    page = context.new_page()
    page.goto(f"{base}/register")
    assert "/login" in page.url
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/register")
    return context, page


def test_van_thu_searches_opens_downloads_reassigns_and_exports(site, browser, tmp_path) -> None:
    base, corpus = site
    context, page = log_in(browser, base, "vanthu")
    try:
        shot(page, "register")
        assert page.locator("#result-count").inner_text() == "5 văn bản"
        assert page.get_by_text("<script>alert('x')</script> Công văn lạ").count() == 1  # shown as text
        for text in ("kế hoạch", "ke hoach"):
            page.fill("input[name=q]", text)
            page.click("form.filters button[type=submit]")
            page.wait_for_load_state()
            assert page.locator("#result-count").inner_text() == "1 văn bản", text
            assert page.locator("table.register tbody tr").count() == 1
        shot(page, "register-search")
        page.click("a.subject")
        page.wait_for_url(f"{base}/documents/{corpus.ids['kt']}*")
        assert page.locator("#doc-subject").inner_text() == DOCS["kt"]["subject"]
        shot(page, "document")
        with page.expect_download() as info:
            page.click("#files a[download]")
        saved = tmp_path / "file.pdf"
        info.value.save_as(saved)
        assert saved.read_bytes().startswith(b"%PDF")
        page.select_option("#assign-form select[name=unit]", "VP")
        page.select_option("#assign-form select[name=role]", "cooperate")
        page.fill("#assign-form input[name=due_date]", "2030-01-31")
        page.click("#assign-form button[type=submit]")
        page.wait_for_load_state()
        row = page.locator("#assignments tr", has_text="Văn phòng")
        assert row.count() == 1 and "31/01/2030" in row.inner_text() and "Phối hợp" in row.inner_text()
        assert page.locator("#audit", has_text="assignment-set").count() == 1
        page.goto(f"{base}/export")
        page.select_option("#export-form select[name=format]", "xlsx")
        page.fill("#export-form input[name=date_from]", "2026-01-01")
        shot(page, "export")
        with page.expect_download() as info:
            page.click("#export-form button[type=submit]")
        assert info.value.suggested_filename.endswith(".xlsx")
        saved = tmp_path / "so.xlsx"
        info.value.save_as(saved)
        assert saved.read_bytes()[:2] == b"PK"
        page.goto(base + "/")
        shot(page, "dashboard")
        assert page.locator("#arrivals-today").inner_text() == "5"
    finally:
        context.close()


def test_unit_user_cannot_reach_another_units_document_by_url(site, browser) -> None:
    base, corpus = site
    context, page = log_in(browser, base, "cv_kt")
    try:
        assert page.locator("#result-count").inner_text() == "2 văn bản"
        response = page.goto(f"{base}/documents/{corpus.ids['tc']}")
        assert response.status == 404
        assert page.locator("h1").inner_text() == "Không tìm thấy"
        assert DOCS["tc"]["subject"] not in page.content()
        shot(page, "other-unit-404")
        response = page.goto(f"{base}/documents/{corpus.ids['tc']}/files/{corpus.attachments['tc']}")
        assert response.status == 404
        page.goto(f"{base}/documents/{corpus.ids['kt']}")
        page.select_option("#assignments select[name=status]", "in_progress")
        page.click("#assignments form button[type=submit]")
        page.wait_for_load_state()
        assert page.locator("[role=status]").inner_text() == "KT: Đang xử lý"
        shot(page, "document-chuyen-vien")
    finally:
        context.close()
