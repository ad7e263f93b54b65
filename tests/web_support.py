"""A small register for the web tests: documents on two units, one secret, users of every role, a client that logs in."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import warnings
from dataclasses import dataclass, replace
from pathlib import Path

import sqlalchemy as sa
from docgen import make_pdf

from gateway.core.config import Config, DatabaseConfig, PathsConfig, RegisterConfig, WebConfig
from gateway.core.values import (
    DocumentMeta,
    Envelope,
    Extracted,
    ExtractedText,
    FieldValue,
    ParsedMessage,
    Part,
    SignatureReport,
    SpooledMessage,
)
from gateway.register.arrivals import NewArrival
from gateway.register.models import Assignment, Department
from gateway.register.service import Register
from gateway.spool import Spool

UTC = dt.timezone.utc
PASSWORD = "mật-khẩu-đủ-dài"
# name -> (role, unit, secret_allowed)
USERS = {
    "admin": ("admin", None, False),
    "vanthu": ("van_thu", None, False),
    "lanhdao": ("lanh_dao", None, False),
    "lanhdaomat": ("lanh_dao", None, True),
    "cv_kt": ("chuyen_vien", "KT", False),
    "cv_tc": ("chuyen_vien", "TC", False),
}
DEPARTMENTS = {"KT": "Phòng Kinh tế", "TC": "Phòng Tổ chức", "VP": "Văn phòng"}


@dataclass(frozen=True)
class WebCorpus:
    config: Config
    register: Register
    spool: Spool
    ids: dict[str, int]  # key -> document id
    attachments: dict[str, int]  # key -> first attachment id
    tokens: dict[str, str]  # user name -> API token


def web_config(tmp_path: Path, url: str = "", **web) -> Config:
    return Config(
        paths=PathsConfig(data_dir=str(tmp_path / "data")),
        database=DatabaseConfig(url=url or f"sqlite:///{tmp_path / 'register.sqlite3'}"),
        register=RegisterConfig(agency_name="Sở Công Thương (thử)"),
        web=WebConfig(**web),
    )


def arrival(key: str, subject: str, *, organ: str = "UBND tỉnh Bình Dương", code: tuple[str, str] = ("", ""),
            body: str = "", secrecy: int = 0, pdf_text: str = "", received_at: dt.datetime | None = None,
            read: dict[str, tuple[str, float, str]] | None = None, signatures: tuple[SignatureReport, ...] = (),
            notes: tuple[str, ...] = (), urgency: int = 0) -> NewArrival:
    """The arrival register_arrival takes for one document, with a PDF attachment when ``pdf_text`` is given.

    ``read`` adds or replaces fields as the reader would leave them: name → (value, confidence, source).
    """
    received_at = received_at or dt.datetime.now(UTC)
    raw = f"Message-ID: <{key}@test>\r\nSubject: {subject}\r\n\r\n{body}\r\n".encode()
    envelope = Envelope(source="smtp", received_at=received_at, mail_from="vanthu@ubnd.example.gov.vn",
                        rcpt_tos=("vanthu@localhost",), peer="127.0.0.1:4000", helo="mx.test")
    parts: tuple[Part, ...] = ()
    texts: tuple[ExtractedText, ...] = ()
    if pdf_text:
        payload = make_pdf([pdf_text])
        sha = hashlib.sha256(payload).hexdigest()
        parts = (Part(0, f"{key}.pdf", "application/pdf", "pdf", "attachment", payload, sha),)
        texts = (ExtractedText(f"{key}.pdf", "pdf", sha, len(payload), "ok", pdf_text, page_count=1, part_index=0),)
    parsed = ParsedMessage(
        message_id=f"{key}@test", subject=subject, from_addr="vanthu@ubnd.example.gov.vn", from_name="Văn thư UBND",
        to_addrs=("vanthu@localhost",), cc_addrs=(), date=received_at, body_text=body, parts=parts,
        headers=(("Subject", subject),),
    )
    fields = {"subject": subject, "organ_name": organ, "type_name": "Công văn"}
    if code[0]:
        fields.update(code_number=code[0], code_notation=code[1], issued_date="2026-11-20")
    values = {k: FieldValue(v, 0.9, "text") for k, v in fields.items()}
    values.update({k: FieldValue(*v) for k, v in (read or {}).items()})
    meta = DocumentMeta(fields=values, secrecy=secrecy, urgency=urgency, primary_part_index=0 if parts else None,
                        signatures=tuple(replace(s, part_index=0) for s in signatures) if parts else signatures,
                        notes=notes)
    return NewArrival(SpooledMessage(f"spool-{key}", envelope, raw), Extracted(parsed, texts), meta)


DOCS = {
    "kt": dict(subject="Kế hoạch phát triển kinh tế năm 2027", code=("12", "KH-UBND"), pdf_text="Kế hoạch kinh tế"),
    "tc": dict(subject="Quyết định bổ nhiệm cán bộ", code=("45", "QĐ-UBND"), pdf_text="Bổ nhiệm"),
    "both": dict(subject="Thông báo họp giao ban", code=("7", "TB-VP")),
    "secret": dict(subject="Văn bản mật về an ninh", secrecy=1, code=("3", "CV-CA")),
    "xss": dict(subject="<script>alert('x')</script> Công văn lạ", code=("9", "CV")),
}
# key -> [(unit, role, due date offset in days or None)]
ASSIGN = {
    "kt": [("KT", "lead", -2)],
    "tc": [("TC", "lead", 2)],
    "both": [("KT", "lead", 10), ("TC", "cooperate", None)],
    "secret": [("KT", "lead", 5)],
    "xss": [("VP", "inform", None)],
}


def build_corpus(config: Config) -> WebCorpus:
    """Register DOCS, departments, assignments and USERS (each with a token) in a fresh database."""
    register = Register(config)
    register.upgrade()
    spool = Spool(config.spool_dir)
    spool.ensure()
    ids, attachments = {}, {}
    for key, kw in DOCS.items():
        ids[key] = register.register_arrival(arrival(key, **kw)).document_id
    today = dt.datetime.now(register.timezone).date()
    with register.engine.begin() as conn:
        conn.execute(sa.insert(Department.__table__), [dict(code=c, name=n, mailbox="", active=True)
                                                       for c, n in DEPARTMENTS.items()])
        for key, units in ASSIGN.items():
            for unit, role, due in units:
                conn.execute(sa.insert(Assignment.__table__).values(
                    document_id=ids[key], unit_code=unit, role=role, status="new", assigned_by="gateway",
                    due_date=today + dt.timedelta(days=due) if due is not None else None,
                    assigned_at=dt.datetime.now(UTC), updated_by="", note=""))
        for key, doc_id in ids.items():
            row = conn.execute(sa.text("SELECT min(id) FROM attachments WHERE document_id = :d"), {"d": doc_id}).scalar()
            if row:
                attachments[key] = row
    accounts = register.accounts
    tokens = {}
    for name, (role, unit, secret) in USERS.items():
        accounts.add_user(name, role, PASSWORD, unit, secret, full_name=name.upper())
        tokens[name] = accounts.new_token(name, "test")
    return WebCorpus(config, register, spool, ids, attachments, tokens)


CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    match = CSRF.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def login(client, name: str, password: str = PASSWORD) -> str:
    """Log ``client`` in as ``name``; returns the CSRF token of the session's forms."""
    page = client.get("/login")
    response = client.post("/login", data={"username": name, "password": password, "csrf": csrf_of(page.text),
                                           "next": "/"}, follow_redirects=False)
    assert response.status_code == 303, response.text
    return csrf_of(client.get("/").text)


def client_for(corpus: WebCorpus):
    """An in-process HTTP client of the web application over ``corpus``."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
        from fastapi.testclient import TestClient

    from gateway.web.app import create_app

    return TestClient(create_app(corpus.config, corpus.register, corpus.spool))


def api(corpus: WebCorpus, user: str) -> dict[str, str]:
    """The Authorization header of ``user``'s API token."""
    return {"Authorization": f"Bearer {corpus.tokens[user]}"}


def with_web(config: Config, **web) -> Config:
    return replace(config, web=replace(config.web, **web))


# A scanned tờ trình as the reader leaves one: several fields unsure, two signatures, notes, Kính gửi and Nơi nhận.
REVIEW_SUBJECT = "Về việc miễn nhiệm chức danh Ủy viên Ủy ban nhân dân tỉnh Quảng Ngãi nhiệm kỳ 2021 - 2026"
REVIEW_READ = {
    "code_number": ("01", 0.45, "ocr"), "code_notation": ("TTr-UBND", 0.95, "ocr"),
    "issued_date": ("2025-01-06", 0.4, "signature"), "type_name": ("Tờ trình", 0.95, "ocr"),
    "signer_name": ("Trần Hoàng Tuân", 0.55, "ocr"), "signer_position": ("KT. CHỦ TỊCH / PHÓ CHỦ TỊCH", 0.92, "ocr"),
    "place": ("Quảng Ngãi", 0.95, "ocr"), "addressees": ("Hội đồng nhân dân tỉnh", 0.7, "ocr"),
    "to_places": ("Như trên; Thường trực Tỉnh ủy; Lưu: VT", 0.93, "ocr"),
    "signature_status": ("untrusted-root", 1.0, "reader"),
}
REVIEW_SIGNATURES = (
    SignatureReport("Signature1", "Trần Hoàng Tuấn", "UBND tỉnh Quảng Ngãi", "CA phục vụ các cơ quan Đảng và Nhà nước",
                    "2025-01-06T09:30:00+07:00", True, True, False, True, "untrusted-root"),
    SignatureReport("Signature2", "Ủy ban nhân dân tỉnh Quảng Ngãi", "Ủy ban nhân dân tỉnh Quảng Ngãi",
                    "CA phục vụ các cơ quan Đảng và Nhà nước", "2025-01-06T10:02:00+07:00", True, True, False, True,
                    "untrusted-root"),
)
REVIEW_NOTES = ("người ký: OCR read 'Trần Hoàng Tuân', the signing certificate says 'Trần Hoàng Tuấn'",
                "ngày ban hành taken from the first signature's time (the printed day was unreadable)")


def add_review_document(corpus: WebCorpus, key: str = "review", **changes) -> int:
    """Register the unsure tờ trình (assigned to no unit); returns its document id."""
    kw = dict(organ="ỦY BAN NHÂN DÂN TỈNH QUẢNG NGÃI", code=("01", "TTr-UBND"),
              pdf_text="TỜ TRÌNH Về việc miễn nhiệm", read=REVIEW_READ, signatures=REVIEW_SIGNATURES,
              notes=REVIEW_NOTES, urgency=1)
    kw.update(changes)
    return corpus.register.register_arrival(arrival(key, REVIEW_SUBJECT, **kw)).document_id
