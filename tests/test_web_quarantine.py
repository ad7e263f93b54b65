"""Quarantine in the web UI and JSON API: who may list, show, release and delete; CSRF; audit; escaping."""

from __future__ import annotations

import datetime as dt
import warnings

import pytest
import sqlalchemy as sa

warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
from fastapi.testclient import TestClient  # noqa: E402
from web_support import USERS, build_corpus, login, web_config  # noqa: E402

from gateway.core.values import Envelope  # noqa: E402
from gateway.register.models import AuditEvent  # noqa: E402
from gateway.spool import quarantine  # noqa: E402
from gateway.web.app import create_app  # noqa: E402

EDITORS = {"admin", "vanthu"}
HOSTILE = "<script>alert('q')</script> Công văn giả mạo"
REASON = "sender domain gov.vn.evil.example is not allowed"


@pytest.fixture
def fresh(tmp_path):
    c = build_corpus(web_config(tmp_path))
    yield c
    c.register.close()


def client_for(corpus) -> TestClient:
    return TestClient(create_app(corpus.config, corpus.register, corpus.spool))


def api(corpus, user: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {corpus.tokens[user]}"}


def hold(spool, subject: str = HOSTILE, sender: str = "vanthu@gov.vn.evil.example") -> str:
    """A message put, claimed and quarantined as the trust check would; returns its spool id."""
    raw = (f"From: {sender}\r\nTo: vanthu@localhost\r\nSubject: {subject}\r\nX-Evil: <img src=x onerror=alert(1)>\r\n"
           f"\r\n<b>body</b>\r\n").encode()
    spool_id = spool.put(raw, Envelope(source="smtp", received_at=dt.datetime.now(dt.timezone.utc),
                                       mail_from=sender, rcpt_tos=("vanthu@localhost",), peer="127.0.0.1:4000"))
    spool.claim(spool_id)
    quarantine.hold(spool, spool_id, REASON, {"dkim": "fail", "spf": "none", "note": "<i>không</i> khớp"})
    return spool_id


def audit_rows(corpus, action: str) -> list:
    with corpus.register.engine.connect() as conn:
        return conn.execute(sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)).all()


@pytest.mark.parametrize("user", list(USERS))
def test_only_van_thu_and_admin_reach_quarantine_on_every_route(fresh, user) -> None:
    spool = fresh.spool
    keep, gone = hold(spool), hold(spool, subject="thư thứ hai")
    allowed = user in EDITORS
    page = client_for(fresh)
    csrf = login(page, user)
    headers = api(fresh, user)
    calls = [
        page.get("/spool/quarantine"),
        page.get(f"/spool/quarantine/{keep}"),
        page.request("GET", "/api/v1/spool/quarantine", headers=headers),
        page.request("GET", f"/api/v1/spool/quarantine/{keep}", headers=headers),
    ]
    for response in calls:
        assert response.status_code == (200 if allowed else 403), (response.url, response.status_code)
    assert ('href="/spool/quarantine"' in page.get("/").text) == allowed  # the menu link
    release_page = page.post("/spool/quarantine/release", data={"spool_id": keep, "csrf": csrf}, follow_redirects=False)
    delete_api = page.delete(f"/api/v1/spool/quarantine/{gone}", headers=headers)
    assert release_page.status_code == (303 if allowed else 403)
    assert delete_api.status_code == (200 if allowed else 403)
    held = {e.spool_id for e in spool.list("quarantine")}
    assert held == (set() if allowed else {keep, gone})
    if not allowed:  # the other two write routes refuse too, and nothing moved
        assert page.post("/api/v1/spool/quarantine/" + keep + "/release", headers=headers).status_code == 403
        assert page.post("/spool/quarantine/delete", data={"spool_id": gone, "csrf": csrf, "confirm": "yes"},
                         follow_redirects=False).status_code == 403
        assert {e.spool_id for e in spool.list("quarantine")} == {keep, gone}
        assert audit_rows(fresh, "quarantine-released") == [] and audit_rows(fresh, "quarantine-deleted") == []


def test_without_login_quarantine_pages_redirect_and_the_api_answers_401(fresh) -> None:
    spool_id = hold(fresh.spool)
    client = client_for(fresh)
    for url in ("/spool/quarantine", f"/spool/quarantine/{spool_id}"):
        response = client.get(url, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith("/login?next=")
    assert client.get("/api/v1/spool/quarantine").status_code == 401
    assert client.get(f"/api/v1/spool/quarantine/{spool_id}").status_code == 401
    assert client.post(f"/api/v1/spool/quarantine/{spool_id}/release").status_code == 401
    assert client.delete(f"/api/v1/spool/quarantine/{spool_id}").status_code == 401
    assert [e.spool_id for e in fresh.spool.list("quarantine")] == [spool_id]


def test_quarantine_forms_need_the_sessions_csrf_token_and_delete_a_confirmation(fresh) -> None:
    spool_id = hold(fresh.spool)
    client = client_for(fresh)
    csrf = login(client, "vanthu")
    other = client_for(fresh)
    other_csrf = login(other, "vanthu")
    for url, form in {"/spool/quarantine/release": {"spool_id": spool_id},
                      "/spool/quarantine/delete": {"spool_id": spool_id, "confirm": "yes"}}.items():
        assert client.post(url, data={**form, "csrf": other_csrf}).status_code == 403, url
        assert client.post(url, data=form).status_code == 422, url
    unconfirmed = client.post("/spool/quarantine/delete", data={"spool_id": spool_id, "csrf": csrf})
    assert unconfirmed.status_code == 400 and "xác nhận" in unconfirmed.text
    assert [e.spool_id for e in fresh.spool.list("quarantine")] == [spool_id]
    assert audit_rows(fresh, "quarantine-deleted") == []
    assert 'name="confirm" value="yes" required' in client.get("/spool/quarantine").text


def test_a_hostile_quarantined_message_is_shown_as_escaped_text(fresh) -> None:
    spool_id = hold(fresh.spool)
    client = client_for(fresh)
    login(client, "admin")
    listing = client.get("/spool/quarantine").text
    detail = client.get(f"/spool/quarantine/{spool_id}").text
    for page in (listing, detail):
        assert "<script>alert" not in page and "&lt;script&gt;alert(&#39;q&#39;)&lt;/script&gt;" in page
        assert "Công văn giả mạo" in page
        # the stored English reason is shown in Vietnamese, the domain as it is
        assert REASON not in page and "Tên miền người gửi" in page and "gov.vn.evil.example" in page
    assert "<img src=x" not in detail and "X-Evil: &lt;img src=x onerror=alert(1)&gt;" in detail
    assert "<b>body</b>" not in detail and "<i>không</i>" not in detail and "&lt;i&gt;không&lt;/i&gt;" in detail
    assert "DKIM" in detail and "không đạt" in detail and "Tổng quan" in detail
    api_view = client.get(f"/api/v1/spool/quarantine/{spool_id}", headers=api(fresh, "admin")).json()
    assert api_view["subject"] == HOSTILE and api_view["reason"] == REASON
    assert api_view["detail"]["dkim"] == "fail" and "X-Evil:" in api_view["headers"]
    assert api_view["mail_from"] == "vanthu@gov.vn.evil.example" and api_view["rcpt_tos"] == ["vanthu@localhost"]
    assert client.get("/spool/quarantine/nope-not-here").status_code == 404
    assert client.get("/api/v1/spool/quarantine/nope-not-here", headers=api(fresh, "admin")).status_code == 404
    assert client.get("/api/v1/spool/quarantine/..%2Fbad", headers=api(fresh, "admin")).status_code in (404, 422)


def test_dashboard_counts_and_links_the_quarantine(fresh) -> None:
    hold(fresh.spool)
    hold(fresh.spool, subject="hai")
    client = client_for(fresh)
    login(client, "vanthu")
    assert client.get("/api/v1/dashboard", headers=api(fresh, "vanthu")).json()["quarantine"] == 2
    page = client.get("/").text
    assert 'href="/spool/quarantine"><span class="n" id="quarantine-count">2</span>' in page


def test_release_from_the_page_puts_the_message_back_marked_and_audited(fresh) -> None:
    spool = fresh.spool
    spool_id = hold(spool)
    client = client_for(fresh)
    csrf = login(client, "vanthu")
    done = client.post("/spool/quarantine/release", data={"spool_id": spool_id, "csrf": csrf})
    assert done.status_code == 200 and "Đã trả" in done.text and "Không có thư cách ly" in done.text
    assert spool.list("quarantine") == [] and spool.counts()["incoming"] == 1
    assert spool.claim(spool_id).envelope.released_by == "vanthu"
    event = audit_rows(fresh, "quarantine-released")[-1]
    assert event.actor == "vanthu" and event.detail == {"spool_id": spool_id, "reason": REASON, "queue": "quarantine"}
    again = client.post(f"/api/v1/spool/quarantine/{spool_id}/release", headers=api(fresh, "vanthu"))
    assert again.status_code == 404 and len(audit_rows(fresh, "quarantine-released")) == 1


def test_release_and_delete_through_the_api(fresh) -> None:
    spool = fresh.spool
    released, deleted = hold(spool), hold(spool, subject="Thư rác")
    headers = api(fresh, "admin")
    client = client_for(fresh)
    listing = client.get("/api/v1/spool/quarantine", headers=headers).json()
    assert [e["spool_id"] for e in listing] == [released, deleted] and listing[1]["reason"] == REASON
    assert client.post(f"/api/v1/spool/quarantine/{released}/release", headers=headers).json() == {
        "ok": True, "spool_id": released}
    assert spool.claim(released).envelope.released_by == "admin"
    assert client.delete(f"/api/v1/spool/quarantine/{deleted}", headers=headers).json() == {"ok": True}
    assert not list(spool.quarantine_dir.iterdir())
    event = audit_rows(fresh, "quarantine-deleted")[-1]
    assert event.actor == "admin"
    assert {k: event.detail[k] for k in ("spool_id", "mail_from", "rcpt_tos", "subject", "reason")} == {
        "spool_id": deleted, "mail_from": "vanthu@gov.vn.evil.example", "rcpt_tos": ["vanthu@localhost"],
        "subject": "Thư rác", "reason": REASON}
    assert client.delete(f"/api/v1/spool/quarantine/{deleted}", headers=headers).status_code == 404


def test_delete_from_the_page_leaves_an_audit_record_and_removes_the_file(fresh) -> None:
    spool = fresh.spool
    spool_id = hold(spool)
    client = client_for(fresh)
    csrf = login(client, "vanthu")
    assert spool_id in client.get(f"/spool/quarantine/{spool_id}").text
    done = client.post("/spool/quarantine/delete", data={"spool_id": spool_id, "csrf": csrf, "confirm": "yes"})
    assert done.status_code == 200 and "Đã xoá" in done.text
    assert not (spool.quarantine_dir / f"{spool_id}.msg").exists()
    assert spool.list("quarantine") == [] and spool.counts()["incoming"] == 0
    event = audit_rows(fresh, "quarantine-deleted")[-1]
    assert event.actor == "vanthu" and event.detail["subject"] == HOSTILE and event.detail["detail"]["dkim"] == "fail"
    assert client.get(f"/spool/quarantine/{spool_id}").status_code == 404
