"""Search and register-page latency through the web API on a register of N synthetic documents (default 1,000,000).

Builds the register in bulk (SQLite in a cache folder and/or a kept PostgreSQL database), starts the
web server (`gateway web`'s uvicorn, in a thread) and times typical requests over HTTP with keep-alive:
searches with and without diacritics, phrases, filters, a unit-scoped search as a chuyên viên, listings and
deep pages, then the register page, the document page and the dashboard. Beside each figure it prints the
baseline measured in the same run: the same search straight through Register.search_page, what the CLI calls (no
HTTP, no scope, no audit) and GET /api/v1/me (HTTP, token check, nothing else). Targets: p95 ≤ 50 ms (SQLite), ≤ 100 ms
(PostgreSQL) for searches; pages < 200 ms.

The register is built once per size and backend and reused by later runs (--cache, --fresh).

    .venv/bin/python bench/search.py [--size 1000000] [--backend sqlite|postgresql|both] [--repeat 30]
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import hashlib
import random
import shutil
import statistics
import sys
import time
from pathlib import Path

import sqlalchemy as sa

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from gateway.core.config import Config, DatabaseConfig, PathsConfig, WebConfig  # noqa: E402
from gateway.core.text import canonical_tones, fold  # noqa: E402
from gateway.register.models import Assignment, Department, Document, Message  # noqa: E402
from gateway.register.query import SearchQuery, index_tokens  # noqa: E402
from gateway.register.service import Register  # noqa: E402

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
UTC = dt.timezone.utc
TYPES = ["Công văn", "Quyết định", "Thông báo", "Kế hoạch", "Báo cáo", "Tờ trình", "Giấy mời", "Chỉ thị"]
TOPICS = [
    "phòng chống thiên tai", "xây dựng nông thôn mới", "cải cách hành chính", "thu ngân sách nhà nước",
    "quản lý đất đai", "hoà giải tranh chấp", "chuyển đổi số", "an toàn thực phẩm", "phòng cháy chữa cháy",
    "giáo dục đào tạo", "bảo hiểm xã hội", "đầu tư công", "bảo vệ môi trường", "y tế dự phòng",
    "thuê văn phòng làm việc", "tuyển dụng viên chức", "khen thưởng thi đua", "quy hoạch đô thị",
    "giải phóng mặt bằng", "xuất nhập khẩu", "khuyến công", "điện lực nông thôn", "thương mại điện tử",
    "kiểm tra thị trường", "xúc tiến thương mại", "an ninh trật tự", "ngập lụt đô thị", "giao thông vận tải",
]
VERBS = ["về việc", "triển khai", "hướng dẫn", "đôn đốc", "tổng kết", "báo cáo kết quả", "đề nghị", "góp ý"]
ORGANS = [f"UBND {kind} {name}" for kind in ("tỉnh", "huyện", "xã") for name in (
    "Bình Dương", "Đồng Nai", "Long An", "Tây Ninh", "Bình Phước", "Đắk Lắk", "Nghệ An", "Thanh Hoá", "Quảng Nam",
    "Hà Tĩnh", "Cà Mau", "Sóc Trăng")] + ["Bộ Công Thương", "Bộ Tài chính", "Sở Kế hoạch và Đầu tư", "Sở Nội vụ"]
WORDS = ("tình hình thực hiện nhiệm vụ năm trong đó các đơn vị cần chủ động phối hợp với cơ quan liên quan để "
         "bảo đảm tiến độ chất lượng và hiệu quả theo đúng quy định của pháp luật hiện hành báo cáo gửi về trước "
         "ngày tháng đề nghị thủ trưởng quan tâm chỉ đạo thực hiện nghiêm túc").split()
UNITS = [("KT", "Phòng Kinh tế"), ("TC", "Phòng Tổ chức"), ("VP", "Văn phòng"), ("TH", "Phòng Tổng hợp"),
         ("QLTM", "Phòng Quản lý thương mại"), ("CN", "Phòng Công nghiệp"), ("KH", "Phòng Kế hoạch"),
         ("TTra", "Thanh tra")]
BATCH = 20_000
PASSWORD = "bench-password-long"


def _pair(text: str) -> tuple[str, str]:
    exact = canonical_tones(text)
    return exact, fold(exact)


def _rows(n: int, start: int, rng: random.Random, base: dt.datetime):
    """Rows of messages, documents, index texts and assignments for documents start..start+n-1."""
    messages, documents, index, assignments = [], [], [], []
    for k in range(start, start + n):
        arrived = base + dt.timedelta(seconds=k * 30)  # about 2,900 a day: 1M documents span ~1 year
        kind, topic, verb, organ = rng.choice(TYPES), rng.choice(TOPICS), rng.choice(VERBS), rng.choice(ORGANS)
        subject = f"{verb} {topic}"
        body = " ".join(rng.choices(WORDS, k=25))
        sha = hashlib.sha256(str(k).encode()).hexdigest()
        domain = organ.split()[-1].lower()
        messages.append(dict(id=k, sha256=sha, message_id_header=f"<b{k}@bench>", subject=f"{kind} {subject}",
                             from_addr=f"vanthu@{fold(domain)}.gov.vn", from_name="Văn thư", to_addrs="vanthu@localhost",
                             date_header=arrived, size=2000, raw_blob=sha, source="smtp", mail_from="", rcpt_tos="[]",
                             peer="", helo="", source_ref="", received_at=arrived, defects="[]"))
        documents.append(dict(id=k, message_id=k, register_id=1, year=arrived.year, arrival_number=k,
                              arrival_date=arrived.date(), arrived_at=arrived, code_number=str(k % 5000 + 1),
                              code_notation=f"{kind[:2].upper()}-UBND", issued_date=arrived.date(), place="",
                              organ_name=organ, organ_id="", type_name=kind, type_code="", subject=subject,
                              signer_position="", signer_name="", urgency=0, secrecy=0, page_amount=1, to_places="",
                              due_date=None, description="", field_sources={}, possible_duplicate_of=None,
                              status="registered"))
        index.append(_pair(f"{kind} {subject}\n{organ}\n{body}"))
        unit = UNITS[k % len(UNITS)][0]
        # Older assignments are done, as in a register in use; the last month's are still open.
        status = "done" if arrived < base + dt.timedelta(days=330) else "new"
        assignments.append(dict(document_id=k, unit_code=unit, role="lead", status=status,
                                due_date=(arrived + dt.timedelta(days=10)).date(), assigned_at=arrived,
                                assigned_by="gateway", updated_by="", note=""))
    return messages, documents, index, assignments


def build(register: Register, size: int) -> None:
    """Fill the register with ``size`` synthetic documents, departments and one assignment each."""
    engine = register.engine
    if engine.dialect.name == "sqlite":  # bulk load without an fsync per batch (the register's engine uses FULL)
        engine = sa.create_engine(register.engine.url)
        sa.event.listen(engine, "connect", lambda dbapi, _rec: dbapi.execute("PRAGMA synchronous=OFF"))
    rng = random.Random(7)
    base = dt.datetime(2025, 12, 1, tzinfo=UTC)
    started = time.perf_counter()
    pg = engine.dialect.name == "postgresql"
    with engine.begin() as conn:
        conn.execute(sa.insert(Department.__table__), [dict(code=c, name=n, mailbox="", active=True) for c, n in UNITS])
        if pg:
            conn.exec_driver_sql("DROP INDEX IF EXISTS ix_search_index_folded_tsv")
            conn.exec_driver_sql("DROP INDEX IF EXISTS ix_search_index_exact_tsv")
    for start in range(1, size + 1, BATCH):
        n = min(BATCH, size + 1 - start)
        messages, documents, index, assignments = _rows(n, start, rng, base)
        with engine.begin() as conn:
            conn.execute(sa.insert(Message.__table__), messages)
            conn.execute(sa.insert(Document.__table__), documents)
            conn.execute(sa.insert(Assignment.__table__), assignments)
            if pg:
                raw = conn.connection.dbapi_connection
                with raw.cursor() as cur:
                    with cur.copy("COPY search_index (document_id, exact, folded, exact_tsv, folded_tsv) FROM STDIN") as copy:
                        for doc, (exact, folded) in zip(documents, index):
                            copy.write_row((doc["id"], exact, folded, _tsvector(exact.lower()), _tsvector(folded)))
            else:
                conn.exec_driver_sql("INSERT INTO search_index (rowid, exact, folded) VALUES (?, ?, ?)",
                                     [(d["id"], e, f) for d, (e, f) in zip(documents, index)])
                conn.exec_driver_sql("INSERT INTO sender_index (rowid, from_addr, mail_from) VALUES (?, ?, ?)",
                                     [(d["id"], m["from_addr"], m["mail_from"]) for d, m in zip(documents, messages)])
        done = start + n - 1
        if done % 100_000 == 0 or done == size:
            print(f"  {done:,} documents ({time.perf_counter() - started:.0f} s)", file=sys.stderr, flush=True)
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO register_counters (register_id, year, last_number) VALUES (1, 2026, :n)"),
                     {"n": size})
        if pg:
            conn.exec_driver_sql("CREATE INDEX ix_search_index_folded_tsv ON search_index USING gin (folded_tsv)")
            conn.exec_driver_sql("CREATE INDEX ix_search_index_exact_tsv ON search_index USING gin (exact_tsv)")
            conn.exec_driver_sql("SELECT setval(pg_get_serial_sequence('documents', 'id'), (SELECT max(id) FROM documents))")
            conn.exec_driver_sql("SELECT setval(pg_get_serial_sequence('messages', 'id'), (SELECT max(id) FROM messages))")
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("ANALYZE" if pg else "PRAGMA optimize")
    if not pg:
        engine.dispose()
    print(f"  built {size:,} documents in {time.perf_counter() - started:.0f} s", file=sys.stderr)


def _tsvector(text: str) -> str:
    """A tsvector literal with positions, as to_tsvector('simple', tokens) makes (tokens are letters and digits)."""
    positions: dict[str, list[int]] = {}
    for n, token in enumerate(index_tokens(text).split(), start=1):
        if n > 16383:
            break
        positions.setdefault(token, []).append(n)
    return " ".join(f"'{tok}':{','.join(map(str, pos[:256]))}" for tok, pos in positions.items())


SEARCHES = {
    "common word, no accents": dict(q="ke hoach"),
    "common word, accents": dict(q="kế hoạch"),
    "rare phrase": dict(q='"ngập lụt đô thị"'),
    "two words, OR": dict(q="thiên tai OR ngập lụt"),
    "word + date range": dict(q="chuyen doi so", date_from="2026-03-01", date_to="2026-03-31"),
    "word + sender, no such sender": dict(q="dat dai", sender="binhduong"),
    # The bench's domains are an organ's last word: `duong` (the three Bình Dương organs) is 7.5 % of documents.
    "word + common sender (7.5 %)": dict(q="dat dai", sender="duong"),
    "số đến lookup": dict(number="123456", year="2026"),
    "listing, newest": dict(),
    "listing, page 50": dict(offset="980"),
    "listing sorted by organ": dict(sort="organ"),
}


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered) * 1000, ordered[max(0, int(len(ordered) * 0.95) - 1)] * 1000


def _time(fn, repeat: int) -> tuple[float, float]:
    fn()  # warm caches
    samples = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t)
    return _percentiles(samples)


def measure(config: Config, register: Register, label: str, repeat: int, target_ms: float) -> None:
    import re

    import httpx

    from gateway.web.server import WebServer

    accounts = register.accounts
    if accounts.principal("vanthu") is None:
        accounts.add_user("vanthu", "van_thu", PASSWORD)
        accounts.add_user("cv", "chuyen_vien", PASSWORD, unit_code="KT")
    token, cv_token = accounts.new_token("vanthu"), accounts.new_token("cv")
    listen = f"127.0.0.1:{free_port()}"
    server = WebServer(dataclasses.replace(config, web=dataclasses.replace(config.web, listen=listen)))
    server.start()
    try:
        client = httpx.Client(base_url=f"http://{listen}", headers={"Authorization": f"Bearer {token}"}, timeout=60)
        cv = httpx.Client(base_url=f"http://{listen}", headers={"Authorization": f"Bearer {cv_token}"}, timeout=60)
        me = _time(lambda: client.get("/api/v1/me").raise_for_status(), repeat)
        print(f"\n{label}: p50/p95 ms over {repeat} requests each (target p95 ≤ {target_ms:.0f} ms for searches)")
        print(f"  {'baseline GET /api/v1/me (HTTP + token only)':<44} {me[0]:7.1f} {me[1]:7.1f}")
        print(f"  {'request':<44} {'p50':>7} {'p95':>7}   direct Register.search_page p50/p95")
        worst = 0.0
        for name, params in SEARCHES.items():
            api = _time(lambda: client.get("/api/v1/documents", params=params).raise_for_status(), repeat)
            query = SearchQuery(text=params.get("q", ""), sender=params.get("sender", ""),
                                date_from=dt.date.fromisoformat(params["date_from"]) if "date_from" in params else None,
                                date_to=dt.date.fromisoformat(params["date_to"]) if "date_to" in params else None,
                                arrival_number=int(params["number"]) if "number" in params else None,
                                year=int(params["year"]) if "year" in params else None,
                                offset=int(params.get("offset", 0)), sort=params.get("sort", ""))
            direct = _time(lambda: register.search_page(query), repeat)  # what the CLI calls
            worst = max(worst, api[1])
            print(f"  {name:<44} {api[0]:7.1f} {api[1]:7.1f}   {direct[0]:7.1f} {direct[1]:7.1f}")
        scoped = _time(lambda: cv.get("/api/v1/documents", params={"q": "ke hoach"}).raise_for_status(), repeat)
        worst = max(worst, scoped[1])
        # The scope the web gives a chuyên viên of KT (no secret role in the default web config).
        query = SearchQuery(text="ke hoach", units=("KT",), include_secret=False)
        direct = _time(lambda: register.search_page(query), repeat)
        print(f"  {'chuyên viên (unit scope), common word':<44} {scoped[0]:7.1f} {scoped[1]:7.1f}   "
              f"{direct[0]:7.1f} {direct[1]:7.1f}")
        print(f"  worst search p95: {worst:.1f} ms -> {'OK' if worst <= target_ms else 'OVER'} the {target_ms:.0f} ms target")
        browser = httpx.Client(base_url=f"http://{listen}", timeout=60, follow_redirects=False)
        page = browser.get("/login")
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
        browser.post("/login", data={"username": "vanthu", "password": PASSWORD, "csrf": csrf})
        print(f"  {'page':<44} {'p50':>7} {'p95':>7}   (target < 200 ms)")
        for name, url in (("register page 1", "/register"), ("register search", "/register?q=thien+tai"),
                          ("register page 20, sorted by số đến", "/register?sort=-number&page=20"),
                          ("document page", "/documents/500000" if _has(register, 500000) else "/documents/1"),
                          ("dashboard", "/")):
            timing = _time(lambda: browser.get(url).raise_for_status(), repeat)
            print(f"  {name:<44} {timing[0]:7.1f} {timing[1]:7.1f}")
    finally:
        server.stop()


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _has(register: Register, document_id: int) -> bool:
    with register.engine.connect() as conn:
        return conn.execute(sa.select(Document.id).where(Document.id == document_id)).first() is not None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1_000_000, help="documents in the synthetic register")
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--repeat", type=int, default=30, help="timed requests per kind")
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "gateway-bench-search",
                        help="SQLite: folder the register is built into once and reused from "
                             "(PostgreSQL: the database gateway_bench_<size> is kept likewise)")
    parser.add_argument("--fresh", action="store_true", help="rebuild instead of reusing a cached register")
    args = parser.parse_args()
    for backend in (["sqlite", "postgresql"] if args.backend == "both" else [args.backend]):
        if backend == "sqlite":
            folder = args.cache / f"sqlite-{args.size}"
            if args.fresh and folder.exists():
                shutil.rmtree(folder)
            folder.mkdir(parents=True, exist_ok=True)
            url = f"sqlite:///{folder}/register.sqlite3"
        else:
            folder = args.cache / f"postgresql-{args.size}"
            folder.mkdir(parents=True, exist_ok=True)
            name = f"gateway_bench_{args.size}"
            admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                exists = conn.exec_driver_sql("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).first()
                if exists and (args.fresh or not (folder / "built").exists()):
                    conn.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')
                    exists = None
                if not exists:
                    (folder / "built").unlink(missing_ok=True)
                    conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
            admin.dispose()
            url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
        config = Config(paths=PathsConfig(data_dir=str(folder)), database=DatabaseConfig(url=url), web=WebConfig())
        register = Register(config)
        try:
            built = (folder / "built").exists()
            if not built:  # a half-built SQLite file (an interrupted run) starts over
                register.close()
                for leftover in folder.glob("register.sqlite3*"):
                    leftover.unlink()
                register = Register(config)
            register.upgrade()  # a cached register built before a new migration gets it here
            if not built:
                print(f"building {args.size:,} documents on {backend} into {folder}", file=sys.stderr)
                build(register, args.size)
                (folder / "built").write_text(f"{args.size}\n")
            else:
                with register.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                    # Statistics as autovacuum keeps them on a server in use (new indexes have none yet).
                    conn.exec_driver_sql("ANALYZE")
            measure(config, register, f"{backend}, {args.size:,} documents", args.repeat,
                    50.0 if backend == "sqlite" else 100.0)
        finally:
            register.close()


if __name__ == "__main__":
    main()
