"""Web UI and JSON API in process: every route, every role's scope, CSRF, escaping, sessions, audit, exports."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import warnings

import pytest
import sqlalchemy as sa

warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
from fastapi.testclient import TestClient  # noqa: E402
from web_support import DOCS, PASSWORD, USERS, build_corpus, csrf_of, login, web_config, with_web  # noqa: E402

from gateway.register.models import Assignment, AuditEvent, Document, WebSession  # noqa: E402
from gateway.web.app import create_app  # noqa: E402

# Which documents each user may see (everything else must look absent: 404).
VISIBLE = {
    "admin": {"kt", "tc", "both", "secret", "xss"},
    "vanthu": {"kt", "tc", "both", "secret", "xss"},
    "lanhdao": {"kt", "tc", "both", "xss"},
    "lanhdaomat": {"kt", "tc", "both", "secret", "xss"},
    "cv_kt": {"kt", "both"},
    "cv_tc": {"tc", "both"},
}
EDITORS = {"admin", "vanthu"}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    c = build_corpus(web_config(tmp_path_factory.mktemp("web")))
    yield c
    c.register.close()


@pytest.fixture
def fresh(tmp_path):
    """A corpus of its own for tests that change things."""
    c = build_corpus(web_config(tmp_path))
    yield c
    c.register.close()


def client_for(corpus, **kw) -> TestClient:
    return TestClient(create_app(corpus.config, corpus.register, corpus.spool), **kw)


@pytest.fixture(scope="module")
def clients(corpus):
    """A logged-in client and its CSRF token per user."""
    out = {}
    for name in USERS:
        client = client_for(corpus)
        out[name] = (client, login(client, name))
    return out


def api(corpus, user: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {corpus.tokens[user]}"}


def audit_rows(corpus, action: str, actor: str | None = None) -> list:
    query = sa.select(AuditEvent).where(AuditEvent.action == action)
    if actor:
        query = query.where(AuditEvent.actor == actor)
    with corpus.register.engine.connect() as conn:
        return conn.execute(query.order_by(AuditEvent.id)).all()


# -- reading: the scope matrix ----------------------------------------------------------------------------


@pytest.mark.parametrize("user", list(USERS))
def test_each_user_sees_exactly_their_documents_on_every_read_route(corpus, clients, user) -> None:
    client, _csrf = clients[user]
    for key, doc_id in corpus.ids.items():
        expected = 200 if key in VISIBLE[user] else 404
        assert client.get(f"/documents/{doc_id}").status_code == expected, (user, key)
        assert client.get(f"/api/v1/documents/{doc_id}", headers=api(corpus, user)).status_code == expected
        if key in corpus.attachments:
            att = corpus.attachments[key]
            assert client.get(f"/documents/{doc_id}/files/{att}").status_code == expected, (user, key)
            assert client.get(f"/documents/{doc_id}/files/{att}/preview").status_code == expected
            assert client.get(f"/api/v1/documents/{doc_id}/files/{att}", headers=api(corpus, user)).status_code == expected
    listed = client.get("/api/v1/documents?limit=100", headers=api(corpus, user)).json()
    by_id = {v: k for k, v in corpus.ids.items()}
    assert {by_id[item["id"]] for item in listed["items"]} == VISIBLE[user]
    assert listed["total"] == len(VISIBLE[user])
    page = client.get("/register?per_page=100").text
    assert f"{len(VISIBLE[user])} văn bản" in page
    for key, doc_id in corpus.ids.items():
        assert (f'href="/documents/{doc_id}"' in page) == (key in VISIBLE[user]), (user, key)


@pytest.mark.parametrize("user", list(USERS))
def test_exports_hold_only_visible_documents(corpus, clients, user) -> None:
    client, _ = clients[user]
    today = dt.date.today()
    span = f"date_from={(today - dt.timedelta(days=2)).isoformat()}&date_to={(today + dt.timedelta(days=2)).isoformat()}"
    body = client.get(f"/export?format=csv&{span}").content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0][:3] == ["Ngày đến", "Số đến", "Tác giả"]
    subjects = {r[5] for r in rows[1:]}
    assert {f"Công văn {DOCS[k]['subject']}" for k in VISIBLE[user]} == subjects
    via_api = client.get(f"/api/v1/export?format=csv&{span}", headers=api(corpus, user))
    assert via_api.status_code == 200 and via_api.headers["x-export-rows"] == str(len(VISIBLE[user]))


def test_a_chuyen_vien_reaching_another_units_file_by_url_gets_404_and_no_bytes(corpus, clients) -> None:
    client, _ = clients["cv_kt"]
    doc, att = corpus.ids["tc"], corpus.attachments["tc"]
    for url in (f"/documents/{doc}", f"/documents/{doc}/files/{att}", f"/documents/{doc}/files/{att}/preview",
                f"/documents/{corpus.ids['kt']}/files/{att}"):  # own document, other document's file id
        response = client.get(url)
        assert response.status_code == 404
        assert b"%PDF" not in response.content


def test_search_is_accent_insensitive_and_exact_accents_rank_first(corpus, clients) -> None:
    client, _ = clients["vanthu"]
    for text in ("kế hoạch", "ke hoach", "KE HOACH"):
        items = client.get("/api/v1/documents", params={"q": text}, headers=api(corpus, "vanthu")).json()["items"]
        assert [i["id"] for i in items] == [corpus.ids["kt"]], text
    page = client.get("/register", params={"q": "bo nhiem"}).text
    assert "1 văn bản" in page and "Quyết định bổ nhiệm cán bộ" in page


def test_register_sorts_and_pages(corpus, clients) -> None:
    client, _ = clients["vanthu"]
    numbers = [i["arrival_number"] for i in client.get(
        "/api/v1/documents?sort=number&limit=100", headers=api(corpus, "vanthu")).json()["items"]
        if i["register_code"] == "den"]
    assert numbers == sorted(numbers) and len(numbers) == 4
    down = [i["arrival_number"] for i in client.get(
        "/api/v1/documents?sort=-number&limit=100", headers=api(corpus, "vanthu")).json()["items"]
        if i["register_code"] == "den"]
    assert down == sorted(numbers, reverse=True)
    first = client.get("/register?per_page=20&sort=number").text
    assert "Trang 1 / 1" in first
    paged = client.get("/api/v1/documents?sort=number&limit=2&offset=2", headers=api(corpus, "vanthu")).json()
    assert paged["total"] == 5 and len(paged["items"]) == 2
    assert client.get("/register?sort=;drop table documents").status_code == 200  # unknown sorts are ignored


def test_a_script_in_a_subject_is_shown_as_text(corpus, clients) -> None:
    client, _ = clients["vanthu"]
    for url in ("/register", f"/documents/{corpus.ids['xss']}"):
        html = client.get(url).text
        assert "<script>alert" not in html
        assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
        assert "script-src 'self'" in client.get(url).headers["content-security-policy"]


def test_document_page_shows_fields_with_sources_headers_files_assignments_and_audit(corpus, clients) -> None:
    client, _ = clients["vanthu"]
    html = client.get(f"/documents/{corpus.ids['both']}").text
    for text in ("Thông báo họp giao ban", "TB-VP", "lớp chữ của tệp", "90%", "vanthu@ubnd.example.gov.vn",
                 "Phòng Kinh tế", "Chủ trì", "Phối hợp", "Vào sổ", "Xem văn bản"):
        assert text in html, text
    for stored in (">registered<", ">web-view<", ">text<"):  # stored names are shown in Vietnamese
        assert stored not in html, stored
    pdf_page = client.get(f"/documents/{corpus.ids['kt']}").text
    assert f'src="/documents/{corpus.ids["kt"]}/files/{corpus.attachments["kt"]}/preview#navpanes=0&amp;view=FitH' in pdf_page


def test_downloads_are_never_rendered_and_previews_are_locked_down(corpus, clients) -> None:
    client, _ = clients["vanthu"]
    doc, att = corpus.ids["kt"], corpus.attachments["kt"]
    download = client.get(f"/documents/{doc}/files/{att}")
    assert download.headers["content-type"] == "application/octet-stream"
    assert download.headers["content-disposition"].startswith("attachment;")
    assert "sandbox" in download.headers["content-security-policy"]
    assert download.headers["x-content-type-options"] == "nosniff"
    assert download.content.startswith(b"%PDF")
    preview = client.get(f"/documents/{doc}/files/{att}/preview")
    assert preview.headers["content-type"] == "application/pdf"
    assert preview.headers["content-disposition"].startswith("inline;")
    assert preview.headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'self'"


def test_views_downloads_searches_and_exports_are_audited_with_the_user_name(corpus, clients) -> None:
    client, _ = clients["lanhdao"]
    doc, att = corpus.ids["tc"], corpus.attachments["tc"]
    before = len(audit_rows(corpus, "web-view", "lanhdao"))
    client.get(f"/documents/{doc}")
    client.get(f"/documents/{doc}/files/{att}")
    client.get("/register?q=giao+ban")
    client.get("/export?format=xlsx&date_from=2026-01-01&date_to=2030-01-01")
    views = audit_rows(corpus, "web-view", "lanhdao")
    assert len(views) == before + 1 and views[-1].document_id == doc
    assert audit_rows(corpus, "web-download", "lanhdao")[-1].detail["attachment_id"] == att
    assert audit_rows(corpus, "web-search", "lanhdao")[-1].detail["text"] == "giao ban"
    assert audit_rows(corpus, "web-export", "lanhdao")[-1].detail["format"] == "xlsx"


def test_dashboard_counts_arrivals_and_deadlines_within_scope(corpus, clients) -> None:
    dash = client_for(corpus).get("/api/v1/dashboard", headers=api(corpus, "vanthu")).json()
    assert dash["arrivals_today"] == 5 and dash["bad"] == 0
    units = {u["unit"]: u for u in dash["units"]}
    assert units["KT"]["overdue"] == 1 and units["TC"]["due_soon"] == 1 and units["KT"]["open"] == 3
    leader = client_for(corpus).get("/api/v1/dashboard", headers=api(corpus, "lanhdao")).json()
    assert {u["unit"]: u["open"] for u in leader["units"]}["KT"] == 2  # the secret document's share is not shown
    assert leader["arrivals_today"] == 4
    mine = client_for(corpus).get("/api/v1/dashboard", headers=api(corpus, "cv_tc")).json()
    assert [u["unit"] for u in mine["units"]] == ["TC"] and mine["arrivals_today"] == 2
    html = clients["cv_kt"][0].get("/").text
    assert "Phòng Kinh tế" in html and "Phòng Tổ chức" not in html and "thư lỗi" not in html


# -- authentication ---------------------------------------------------------------------------------------


PAGES = ["/", "/register", "/export", "/spool/bad", "/spool/quarantine", "/documents/1", "/documents/1/files/1",
         "/documents/1/files/1/preview"]
API_GETS = ["/api/v1/me", "/api/v1/documents", "/api/v1/documents/1", "/api/v1/dashboard", "/api/v1/departments",
            "/api/v1/spool/bad", "/api/v1/spool/quarantine", "/api/v1/documents/1/files/1", "/api/v1/export?date_from=2026-01-01&date_to=2026-02-01"]


def test_without_login_pages_redirect_and_the_api_answers_401(corpus) -> None:
    client = client_for(corpus)
    for url in PAGES:
        response = client.get(url, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith("/login?next="), url
    for url in API_GETS:
        assert client.get(url).status_code == 401, url
        assert client.get(url, headers={"Authorization": "Bearer gw_not-a-token"}).status_code == 401, url
    cookie_only = client_for(corpus)
    login(cookie_only, "admin")
    assert cookie_only.get("/api/v1/me").status_code == 401  # the API takes tokens, not browser cookies


def test_login_rejects_bad_passwords_and_foreign_forms_and_never_redirects_off_site(corpus) -> None:
    client = client_for(corpus)
    token = csrf_of(client.get("/login").text)
    wrong = client.post("/login", data={"username": "vanthu", "password": "sai", "csrf": token})
    assert wrong.status_code == 401 and "không đúng" in wrong.text
    foreign = client_for(corpus).post("/login", data={"username": "vanthu", "password": PASSWORD, "csrf": "x"})
    assert foreign.status_code == 403
    ok = client.post("/login", data={"username": "vanthu", "password": PASSWORD, "csrf": token,
                                     "next": "//evil.example/"}, follow_redirects=False)
    assert ok.status_code == 303 and ok.headers["location"] == "/"
    cookie = ok.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax")
    assert audit_rows(corpus, "web-login-failed", "vanthu")


def test_sessions_expire_and_logout_ends_them(fresh) -> None:
    client = client_for(fresh)
    csrf = login(client, "vanthu")
    with fresh.register.engine.begin() as conn:
        conn.execute(sa.update(WebSession).values(expires_at=dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=1)))
    assert client.get("/", follow_redirects=False).status_code == 303
    csrf = login(client, "vanthu")
    assert client.post("/logout", data={"csrf": csrf}, follow_redirects=False).status_code == 303
    assert client.get("/", follow_redirects=False).status_code == 303


def test_proxy_user_header_is_believed_only_from_a_trusted_proxy(fresh) -> None:
    config = with_web(fresh.config, proxy_user_header="X-Remote-User", trusted_proxies=("127.0.0.1",))
    app = create_app(config, fresh.register, fresh.spool)
    trusted = TestClient(app, client=("127.0.0.1", 40000))
    page = trusted.get("/", headers={"X-Remote-User": "cv_kt"})
    assert page.status_code == 200 and "CV_KT" in page.text
    assert trusted.get(f"/documents/{fresh.ids['tc']}").status_code == 404  # the session made keeps the scope
    switched = trusted.get("/", headers={"X-Remote-User": "cv_tc"})  # same browser, the proxy now says cv_tc
    assert "CV_TC" in switched.text
    stranger = TestClient(app, client=("10.1.2.3", 40000))
    assert stranger.get("/", headers={"X-Remote-User": "admin"}, follow_redirects=False).status_code == 303
    assert TestClient(app, client=("127.0.0.1", 40001)).get(
        "/", headers={"X-Remote-User": "nobody"}, follow_redirects=False).status_code == 303


# -- changing: who may do what ----------------------------------------------------------------------------


def _doc_value(corpus, doc_id: int, column):
    with corpus.register.engine.connect() as conn:
        return conn.execute(sa.select(column).where(Document.id == doc_id)).scalar_one()


def _assignment(corpus, doc_id: int, unit: str):
    with corpus.register.engine.connect() as conn:
        return conn.execute(sa.select(Assignment.__table__).where(
            Assignment.document_id == doc_id, Assignment.unit_code == unit)).first()


# (page route, form, API method, API path, API body), run by each user on the "both" document.
WRITES = {
    "correct": ("correct", {"field": "subject", "value": "Trích yếu đã sửa"},
                "PATCH", "", {"fields": {"subject": "Trích yếu đã sửa"}}),
    "assign": ("assign", {"unit": "VP", "role": "inform", "due_date": "2030-01-31"},
               "PUT", "/assignments/VP", {"role": "inform", "due_date": "2030-01-31"}),
    "unassign": ("unassign", {"unit": "TC"}, "DELETE", "/assignments/TC", None),
    "handled": ("handled", {}, "POST", "/handled", None),
}


@pytest.mark.parametrize("via", ["page", "api"])
@pytest.mark.parametrize("user", list(USERS))
def test_only_van_thu_and_admin_change_documents(fresh, user, via) -> None:
    doc = fresh.ids["both"]
    client = client_for(fresh)
    csrf = login(client, user) if via == "page" else ""
    for name, (route, form, method, path, body) in WRITES.items():
        if via == "page":
            response = client.post(f"/documents/{doc}/{route}", data={**form, "csrf": csrf}, follow_redirects=False)
            allowed = response.status_code == 303
        else:
            response = client.request(method, f"/api/v1/documents/{doc}{path}", json=body, headers=api(fresh, user))
            allowed = response.status_code == 200
        assert allowed == (user in EDITORS), (user, name, response.status_code, response.text[:200])
        if not allowed:
            assert response.status_code == 403
    assert (_doc_value(fresh, doc, Document.subject) == "Trích yếu đã sửa") == (user in EDITORS)
    assert (_doc_value(fresh, doc, Document.status) == "handled") == (user in EDITORS)
    assert (_assignment(fresh, doc, "VP") is not None) == (user in EDITORS)
    assert (_assignment(fresh, doc, "TC") is None) == (user in EDITORS)


def test_correction_keeps_old_and_new_value_marks_source_manual_and_is_searchable(fresh) -> None:
    client = client_for(fresh)
    csrf = login(client, "vanthu")
    doc = fresh.ids["kt"]
    client.post(f"/documents/{doc}/correct", data={"field": "organ_name", "value": "Sở Tài nguyên", "csrf": csrf})
    client.post(f"/documents/{doc}/correct", data={"field": "issued_date", "value": "19/11/2026", "csrf": csrf})
    events = audit_rows(fresh, "field-corrected", "vanthu")
    assert [e.detail for e in events] == [
        {"field": "organ_name", "old": "UBND tỉnh Bình Dương", "new": "Sở Tài nguyên"},
        {"field": "issued_date", "old": "2026-11-20", "new": "2026-11-19"},
    ]
    sources = _doc_value(fresh, doc, Document.field_sources)
    assert sources["organ_name"]["source"] == "manual" and sources["organ_name"]["by"] == "vanthu"
    found = client.get("/api/v1/documents", params={"q": "tai nguyen"}, headers=api(fresh, "vanthu")).json()
    assert [i["id"] for i in found["items"]] == [doc]
    page = client.get(f"/documents/{doc}").text
    assert "Sở Tài nguyên" in page and "Đã sửa" in page
    bad = client.post(f"/documents/{doc}/correct", data={"field": "issued_date", "value": "31/02/2025", "csrf": csrf})
    # not a dead end: the document page again, the typed value kept in its open form and the reason beside it
    assert bad.status_code == 400 and 'id="correct' not in bad.text and "«31/02/2025» không phải một ngày" in bad.text
    assert 'value="31/02/2025"' in bad.text and 'id="f-issued_date" class=" failed"' in bad.text
    assert client.post(f"/documents/{doc}/correct", data={"field": "urgency", "value": "7", "csrf": csrf}).status_code == 400
    assert client.post(f"/documents/{doc}/correct", data={"field": "nope", "value": "1", "csrf": csrf}).status_code == 400


def test_reassigning_a_unit_changes_its_deadline_and_audits_both(fresh) -> None:
    client = client_for(fresh)
    csrf = login(client, "vanthu")
    doc = fresh.ids["kt"]
    client.post(f"/documents/{doc}/assign", data={"unit": "KT", "role": "cooperate", "due_date": "2030-02-01",
                                                   "csrf": csrf})
    row = _assignment(fresh, doc, "KT")
    assert row.role == "cooperate" and row.due_date == dt.date(2030, 2, 1) and row.updated_by == "vanthu"
    event = audit_rows(fresh, "assignment-set", "vanthu")[-1]
    assert event.detail["old"]["role"] == "lead" and event.detail["new"] == {"role": "cooperate", "due_date": "2030-02-01"}
    assert client.post(f"/documents/{doc}/assign", data={"unit": "NOPE", "role": "lead", "csrf": csrf}).status_code == 404


@pytest.mark.parametrize("user,unit,expected", [
    ("cv_kt", "KT", 200), ("cv_tc", "TC", 200), ("cv_tc", "KT", 403), ("cv_kt", "TC", 403),
    ("lanhdao", "KT", 403), ("vanthu", "TC", 200), ("admin", "KT", 200),
])
def test_unit_staff_set_only_their_units_status(fresh, user, unit, expected) -> None:
    doc = fresh.ids["both"]
    response = client_for(fresh).put(f"/api/v1/documents/{doc}/assignments/{unit}/status",
                                     json={"status": "in_progress"}, headers=api(fresh, user))
    assert response.status_code == expected
    assert (_assignment(fresh, doc, unit).status == "in_progress") == (expected == 200)


def test_chuyen_vien_marks_done_from_the_page_and_cannot_touch_another_units_document(fresh) -> None:
    client = client_for(fresh)
    csrf = login(client, "cv_kt")
    doc = fresh.ids["kt"]
    page = client.get(f"/documents/{doc}").text
    assert 'name="status"' in page and 'id="assign-form"' not in page and 'id="correct-form"' not in page
    ok = client.post(f"/documents/{doc}/status", data={"unit": "KT", "status": "done", "csrf": csrf},
                     follow_redirects=False)
    assert ok.status_code == 303 and _assignment(fresh, doc, "KT").status == "done"
    assert audit_rows(fresh, "assignment-status", "cv_kt")[-1].detail == {"unit": "KT", "old": "new", "new": "done"}
    other = client.post(f"/documents/{fresh.ids['tc']}/status", data={"unit": "TC", "status": "done", "csrf": csrf})
    assert other.status_code == 404 and _assignment(fresh, fresh.ids["tc"], "TC").status == "new"


def test_every_form_needs_the_sessions_csrf_token(fresh) -> None:
    client = client_for(fresh)
    login(client, "admin")  # may do every one of these
    doc = fresh.ids["kt"]
    forms = {
        f"/documents/{doc}/correct": {"field": "subject", "value": "x"},
        f"/documents/{doc}/assign": {"unit": "VP", "role": "lead"},
        f"/documents/{doc}/unassign": {"unit": "KT"},
        f"/documents/{doc}/status": {"unit": "KT", "status": "done"},
        f"/documents/{doc}/handled": {},
        f"/documents/{doc}/confirm": {"field": "subject"},
        "/spool/bad/requeue": {"spool_id": "x"},
        "/admin/users/active": {"name": "cv_kt", "active": "no"},
        "/admin/users/delete": {"name": "cv_kt", "confirm": "yes"},
        "/admin/tokens/revoke": {"token_id": "1"},
        "/spool/quarantine/release": {"spool_id": "x"},
        "/spool/quarantine/delete": {"spool_id": "x", "confirm": "yes"},
        "/logout": {},
    }
    other = client_for(fresh)
    other_csrf = login(other, "admin")  # a valid token, but of another session
    for url, form in forms.items():
        assert client.post(url, data={**form, "csrf": other_csrf}).status_code == 403, url
        assert client.post(url, data=form).status_code == 422, url
    assert _doc_value(fresh, doc, Document.subject) == DOCS["kt"]["subject"]
    assert _assignment(fresh, doc, "KT").status == "new"
    assert client.get("/").status_code == 200  # still logged in: logout was refused too
    assert fresh.register.accounts.principal("cv_kt") is not None  # neither disabled nor deleted


def test_requeue_from_bad(fresh) -> None:
    from gateway.core.values import Envelope

    spool = fresh.spool
    spool_id = spool.put(b"Subject: hong\r\n\r\nx\r\n", Envelope(source="smtp", received_at=dt.datetime.now(dt.timezone.utc),
                                                                 mail_from="a@b.example", rcpt_tos=("vanthu@localhost",)))
    claimed = spool.claim(spool_id)
    spool.fail(claimed.spool_id, "không đọc được", "traceback", permanent=True)
    assert client_for(fresh).get("/api/v1/dashboard", headers=api(fresh, "vanthu")).json()["bad"] == 1
    client = client_for(fresh)
    csrf = login(client, "vanthu")
    page = client.get("/spool/bad").text
    assert spool_id in page and "không đọc được" in page
    assert client_for(fresh).get("/spool/bad", follow_redirects=False).status_code == 303
    lanhdao = client_for(fresh)
    login(lanhdao, "lanhdao")
    assert lanhdao.get("/spool/bad").status_code == 403
    assert client_for(fresh).post(f"/api/v1/spool/bad/{spool_id}/requeue", headers=api(fresh, "cv_kt")).status_code == 403
    done = client.post("/spool/bad/requeue", data={"spool_id": spool_id, "csrf": csrf})
    assert done.status_code == 200 and "Đã gửi lại" in done.text
    assert spool.counts()["bad"] == 0 and spool.counts()["incoming"] == 1
    assert audit_rows(fresh, "spool-requeued", "vanthu")[-1].detail == {"spool_id": spool_id}
    assert client_for(fresh).post(f"/api/v1/spool/bad/{spool_id}/requeue", headers=api(fresh, "vanthu")).status_code == 404


# -- exports ----------------------------------------------------------------------------------------------


def test_exports_open_in_their_programs_laid_out_as_the_printed_register(corpus) -> None:
    from docx import Document as Docx
    from docx.enum.section import WD_ORIENT
    from openpyxl import load_workbook

    client = client_for(corpus)
    span = "date_from=2026-01-01&date_to=2030-12-31"
    docx = client.get(f"/api/v1/export?format=docx&{span}", headers=api(corpus, "vanthu"))
    assert docx.headers["content-disposition"].startswith("attachment;")
    document = Docx(io.BytesIO(docx.content))
    assert document.sections[0].orientation == WD_ORIENT.LANDSCAPE
    table = document.tables[0]
    assert [c.text for c in table.rows[0].cells][:4] == ["Ngày đến", "Số đến", "Tác giả", "Số, ký hiệu văn bản"]
    assert [c.text for c in table.rows[1].cells] == [f"({n})" for n in range(1, 11)]  # Phụ lục IV's numbering
    assert len(table.rows) == 2 + 5
    assert any("<script>" in c.text for row in table.rows for c in row.cells)  # text stays text in Word
    xlsx = client.get(f"/api/v1/export?format=xlsx&{span}", headers=api(corpus, "vanthu"))
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet["A2"].value == "Ngày đến" and sheet.max_row == 2 + 5
    assert isinstance(sheet["B3"].value, int)
    pdf = client.get(f"/api/v1/export?format=pdf&{span}", headers=api(corpus, "vanthu"))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF") and pdf.headers["x-export-rows"] == "5"
    assert client.get(f"/api/v1/export?format=odt&{span}", headers=api(corpus, "vanthu")).status_code == 422
    backwards = client.get("/api/v1/export?format=csv&date_from=2030-02-01&date_to=2026-01-01",
                           headers=api(corpus, "vanthu"))
    assert backwards.status_code == 200 and backwards.headers["x-export-rows"] == "0"
    unknown = client.patch(f"/api/v1/documents/{corpus.ids['kt']}", json={"fields": {"review_confidence": 1}},
                           headers=api(corpus, "vanthu"))
    assert unknown.status_code == 422


def test_csv_export_defuses_spreadsheet_formulas(fresh) -> None:
    client = client_for(fresh)
    csrf = login(client, "vanthu")
    client.post(f"/documents/{fresh.ids['kt']}/correct", data={"field": "organ_name", "value": "=HYPERLINK(\"x\")",
                                                               "csrf": csrf})
    body = client.get("/export?format=csv&date_from=2026-01-01&date_to=2030-01-01").content.decode("utf-8-sig")
    assert "'=HYPERLINK" in body


# -- the route table --------------------------------------------------------------------------------------


COVERED = {
    ("GET", "/login"), ("POST", "/login"), ("POST", "/logout"), ("GET", "/"), ("GET", "/register"),
    ("GET", "/documents/{document_id}"), ("GET", "/documents/{document_id}/files/{attachment_id}"),
    ("GET", "/documents/{document_id}/files/{attachment_id}/preview"), ("POST", "/documents/{document_id}/correct"),
    ("POST", "/documents/{document_id}/assign"), ("POST", "/documents/{document_id}/unassign"),
    # review, users and tokens: test_web_review.py, test_web_users.py
    ("POST", "/documents/{document_id}/confirm"), ("POST", "/api/v1/documents/{document_id}/confirm"),
    ("GET", "/admin/users"), ("POST", "/admin/users/active"), ("POST", "/admin/users/delete"),
    ("POST", "/admin/tokens/revoke"),
    ("POST", "/documents/{document_id}/status"), ("POST", "/documents/{document_id}/handled"), ("GET", "/export"),
    ("GET", "/spool/bad"), ("POST", "/spool/bad/requeue"),
    # quarantine routes: test_web_quarantine.py (each role, CSRF, audit, escaping)
    ("GET", "/spool/quarantine"), ("GET", "/spool/quarantine/{spool_id}"), ("POST", "/spool/quarantine/release"),
    ("POST", "/spool/quarantine/delete"), ("GET", "/api/v1/spool/quarantine"),
    ("GET", "/api/v1/spool/quarantine/{spool_id}"), ("POST", "/api/v1/spool/quarantine/{spool_id}/release"),
    ("DELETE", "/api/v1/spool/quarantine/{spool_id}"),
    ("GET", "/api/v1/me"), ("GET", "/api/v1/documents"), ("GET", "/api/v1/documents/{document_id}"),
    ("PATCH", "/api/v1/documents/{document_id}"), ("POST", "/api/v1/documents/{document_id}/handled"),
    ("PUT", "/api/v1/documents/{document_id}/assignments/{unit}"),
    ("DELETE", "/api/v1/documents/{document_id}/assignments/{unit}"),
    ("PUT", "/api/v1/documents/{document_id}/assignments/{unit}/status"),
    ("GET", "/api/v1/documents/{document_id}/files/{attachment_id}"), ("GET", "/api/v1/dashboard"),
    ("GET", "/api/v1/departments"), ("GET", "/api/v1/export"), ("GET", "/api/v1/spool/bad"),
    ("POST", "/api/v1/spool/bad/{spool_id}/requeue"), ("GET", "/api/v1/openapi.json"),
    # the văn bản đến procedure (paper, direction, phiếu, return, recall): test_web_desk.py
    ("GET", "/paper"), ("POST", "/paper"), ("GET", "/paper/{token}"), ("POST", "/paper/{token}"),
    ("GET", "/paper/arrival/{spool_id}"), ("POST", "/documents/{document_id}/direction"),
    ("POST", "/documents/{document_id}/return"), ("POST", "/documents/{document_id}/recall"),
    ("GET", "/documents/{document_id}/phieu.{fmt}"), ("POST", "/spool/quarantine/return"),
    ("POST", "/spool/quarantine/recall"), ("POST", "/api/v1/documents/{document_id}/direction"),
    ("POST", "/api/v1/documents/{document_id}/return"), ("POST", "/api/v1/documents/{document_id}/recall"),
    ("GET", "/api/v1/documents/{document_id}/phieu"),
}


def test_every_route_is_one_these_tests_exercise(corpus) -> None:
    from gateway.web import auth, desk, pages

    app = create_app(corpus.config, corpus.register, corpus.spool)
    served = ([r for r in app.routes if hasattr(r, "path")] + auth.router.routes + pages.router.routes
              + desk.router.routes)
    routes = {(m, r.path) for r in served if getattr(r, "methods", None) for m in r.methods if m != "HEAD"}
    schema = TestClient(app).get("/api/v1/openapi.json").json()
    routes |= {(m.upper(), path) for path, ops in schema["paths"].items() for m in ops}
    assert routes == COVERED


def test_api_me_departments_and_openapi(corpus) -> None:
    client = client_for(corpus)
    me = client.get("/api/v1/me", headers=api(corpus, "cv_kt")).json()
    assert me["name"] == "cv_kt" and me["unit_code"] == "KT" and "password" not in json.dumps(me)
    assert [d["code"] for d in client.get("/api/v1/departments", headers=api(corpus, "cv_kt")).json()] == ["KT", "TC", "VP"]
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/documents" in schema["paths"] and "/register" not in schema["paths"]
    assert schema["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"


def test_scope_search_sort_and_changes_on_postgresql(tmp_path, postgres_url) -> None:
    pg = build_corpus(web_config(tmp_path, postgres_url))
    try:
        client = client_for(pg)
        by_id = {v: k for k, v in pg.ids.items()}
        for user, visible in VISIBLE.items():
            listed = client.get("/api/v1/documents?limit=100", headers=api(pg, user)).json()
            assert {by_id[i["id"]] for i in listed["items"]} == visible, user
        found = client.get("/api/v1/documents", params={"q": "giao ban"}, headers=api(pg, "cv_tc")).json()
        assert [i["id"] for i in found["items"]] == [pg.ids["both"]]
        assert client.get("/api/v1/documents", params={"q": "ke hoach"}, headers=api(pg, "cv_tc")).json()["total"] == 0
        ordered = client.get("/api/v1/documents?sort=-organ&limit=100", headers=api(pg, "vanthu")).json()["items"]
        assert [i["organ_name"] for i in ordered] == sorted((i["organ_name"] for i in ordered), reverse=True)
        changed = client.patch(f"/api/v1/documents/{pg.ids['kt']}", json={"fields": {"organ_name": "Sở Tài nguyên"}},
                               headers=api(pg, "vanthu"))
        assert changed.status_code == 200
        again = client.get("/api/v1/documents", params={"q": "tai nguyen"}, headers=api(pg, "cv_kt")).json()
        assert [i["id"] for i in again["items"]] == [pg.ids["kt"]]
        newest = client.get("/api/v1/documents?q=cong+van&sort=-id", headers=api(pg, "lanhdao")).json()["items"]
        assert [i["id"] for i in newest] == sorted((v for k, v in pg.ids.items() if k != "secret"), reverse=True)
        dash = client.get("/api/v1/dashboard", headers=api(pg, "cv_kt")).json()
        assert [u["unit"] for u in dash["units"]] == ["KT"] and dash["units"][0]["overdue"] == 1
    finally:
        pg.register.close()


def test_broad_searches_count_up_to_a_cap_and_list_newest_first(corpus, monkeypatch) -> None:
    import gateway.web.service as web_service

    client = client_for(corpus)
    narrow = client.get("/api/v1/documents", params={"q": "cong van"}, headers=api(corpus, "vanthu")).json()
    assert narrow["order"] == "relevance" and narrow["total"] == 5 and not narrow["total_capped"]
    monkeypatch.setattr(web_service, "RELEVANCE_MAX", 2)
    monkeypatch.setattr(web_service, "COUNT_CAP", 4)
    broad = client.get("/api/v1/documents", params={"q": "cong van"}, headers=api(corpus, "vanthu")).json()
    assert broad["order"] == "-id" and broad["total"] == 4 and broad["total_capped"]
    assert [i["id"] for i in broad["items"]] == sorted(corpus.ids.values(), reverse=True)
    client_page = client_for(corpus)
    login(client_page, "vanthu")
    html = client_page.get("/register", params={"q": "cong van"}).text
    assert "Hơn 4 văn bản" in html and "mới nhất trước" in html
    scoped = client.get("/api/v1/documents", params={"q": "cong van"}, headers=api(corpus, "cv_kt")).json()
    assert scoped["total"] == 2 and [i["id"] for i in scoped["items"]] == [corpus.ids["both"], corpus.ids["kt"]]


def test_a_capped_listing_still_pages_on_while_pages_are_full(corpus, monkeypatch) -> None:
    import gateway.web.service as web_service

    monkeypatch.setattr(web_service, "COUNT_CAP", 2)
    client = client_for(corpus)
    login(client, "vanthu")
    first = client.get("/register?per_page=20").text
    assert "Hơn 2 văn bản" in first and 'rel="next"' not in first  # 5 rows fit on one page of 20
    monkeypatch.setattr(web_service, "COUNT_CAP", 1)
    assert "Trang 1<" in client.get("/register").text
