"""The Alembic migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from gateway.register import db
from gateway.register.models import Base


def _not_search_index(obj, name, type_, reflected, compare_to) -> bool:
    """The search and sender indexes are backend-specific (FTS5, tsvector, pg_trgm) and built by the migrations alone."""
    if type_ == "index" and (name or "").endswith("_trgm"):
        return False
    table = obj if type_ == "table" else getattr(obj, "table", None)
    return not (getattr(table, "name", "") or name or "").startswith(("search_index", "sender_index"))


def _differences(url: str) -> list:
    engine = db.make_engine(url)
    try:
        db.upgrade(engine)
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": False, "include_object": _not_search_index})
            return compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()


def test_sqlite_schema_matches_models(tmp_path):
    assert _differences(f"sqlite:///{tmp_path / 'register.db'}") == []


def test_postgres_schema_matches_models(postgres_url):
    assert _differences(postgres_url) == []
