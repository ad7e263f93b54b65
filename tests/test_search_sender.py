"""The sender filter through its index (SQLite trigram FTS5, PostgreSQL pg_trgm) finds exactly what the LIKE found."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from alembic import command
from test_register_support import (
    BACKENDS,
    create_pg_database,
    drop_pg_database,
    make_arrival,
    make_config,
    pg_url,
    postgres_unavailable,
    register_on,
)

from gateway.register import db
from gateway.register.query import SearchQuery
from gateway.register.service import Register

# (from_addr, envelope sender); make_arrival takes the From address as the envelope sender when it is "".
SENDERS = {
    "hcm": ("vanphong@UBND.HoChiMinh.gov.vn", ""),
    "bd": ("vanthu@sct.binhduong.gov.vn", ""),
    "relay": ("vanthu@sct.binhduong.gov.vn", "bounce+x_1@relay.mail.vn"),
    "odd": ('"quote"%50_under@odd.vn', ""),
    "danang": ("vanthu@đànẵng.gov.vn", ""),
}
PROBES = ["hochiminh", "HOCHIMINH.GOV", "binhduong", "sct.binh", "relay.mail", "x_1", "bounce+", '"quote"',
          "%50_", "gov.vn", "đànẵng", "ĐÀNẴNG", "nowhere.vn", "vn", "_", "%", "@", "ab", "mail.vn"]


@pytest.fixture(scope="module", params=BACKENDS)
def senders(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Register, dict]]:
    with register_on(request.param, tmp_path_factory.mktemp(request.param)) as reg:
        ids = {key: reg.register_arrival(make_arrival(key, subject="Công văn đất đai", from_addr=f,
                                                      mail_from=e)).document_id
               for key, (f, e) in SENDERS.items()}
        yield reg, ids


def expected(probe: str) -> list[str]:
    """What the LIKE of lower(from_addr) or lower(mail_from) finds (only ASCII letters change case in SQLite)."""
    def lower(text: str) -> str:
        return "".join(c.lower() if c.isascii() else c for c in text)
    return sorted(k for k, (f, e) in SENDERS.items() if probe.lower() in lower(f) or probe.lower() in lower(e or f))


def found(reg: Register, ids: dict, **query) -> list[str]:
    by_id = {v: k for k, v in ids.items()}
    return sorted(by_id[hit.document_id] for hit in reg.search(SearchQuery(**query)))


@pytest.mark.parametrize("probe", PROBES)
def test_sender_substring_finds_what_like_finds(senders, probe: str) -> None:
    reg, ids = senders
    want = expected(probe)
    if reg.engine.dialect.name == "postgresql" and not probe.isascii():
        want = sorted(k for k, (f, e) in SENDERS.items() if probe.lower() in f.lower())  # lower() knows Unicode here
    assert found(reg, ids, sender=probe) == want
    assert found(reg, ids, text="đất đai", sender=probe) == want
    assert found(reg, ids, text="dat dai", sender=probe, sort="-id") == want
    assert reg.count_search(SearchQuery(text="đất đai", sender=probe)) == len(want)
    assert reg.count_search(SearchQuery(sender=probe)) == len(want)


def test_every_registered_document_is_in_the_sender_index(senders) -> None:
    reg, ids = senders
    if reg.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL indexes the messages' own columns")
    with reg.engine.connect() as conn:
        rows = dict(conn.execute(sa.text("SELECT rowid, from_addr FROM sender_index")).all())
    assert rows == {ids[k]: f for k, (f, _e) in SENDERS.items()}


@pytest.mark.parametrize("backend", BACKENDS)
def test_migration_backfills_the_sender_index(backend: str, tmp_path) -> None:
    name = ""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'register.sqlite3'}"
    else:
        reason = postgres_unavailable()
        if reason:
            pytest.skip(reason)
        name = create_pg_database()
        url = pg_url(name)
    try:
        reg = Register(make_config(tmp_path, url))
        reg.upgrade()
        ids = {k: reg.register_arrival(make_arrival(k, from_addr=f, mail_from=e)).document_id
               for k, (f, e) in SENDERS.items()}
        with reg.engine.begin() as conn:  # back to a register from before the sender index
            command.downgrade(db.alembic_config(conn), "0016")
        db.upgrade(reg.engine)
        with reg.engine.connect() as conn:
            if backend == "sqlite":
                indexed = conn.execute(sa.text("SELECT count(*) FROM sender_index")).scalar_one()
                assert indexed == len(SENDERS)
            else:
                names = set(conn.execute(sa.text("SELECT indexname FROM pg_indexes WHERE tablename = 'messages'"))
                            .scalars())
                assert {"ix_messages_from_addr_trgm", "ix_messages_mail_from_trgm"} <= names
        assert found(reg, ids, sender="binhduong") == ["bd", "relay"]
        assert found(reg, ids, text="công văn", sender="relay.mail") == ["relay"]
        reg.close()
    finally:
        if name:
            drop_pg_database(name)
