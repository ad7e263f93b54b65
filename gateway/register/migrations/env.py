"""Alembic environment: runs migrations on the connection handed over by gateway.register.db."""

from __future__ import annotations

from alembic import context

from gateway.register.models import Base

# The full-text and sender indexes are created by hand in the migrations, per backend (FTS5 tables on SQLite,
# tsvector and pg_trgm on PostgreSQL); autogenerate must leave them alone.
_UNMANAGED = ("search_index", "sender_index")


def _include(obj, name, type_, reflected, compare_to) -> bool:
    if type_ == "index" and (name or "").endswith("_trgm"):
        return False
    return not (type_ == "table" and (name or "").startswith(_UNMANAGED))


def run() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:
        from sqlalchemy import create_engine

        url = context.config.get_main_option("sqlalchemy.url")
        with create_engine(url).connect() as conn:
            _run_on(conn)
            conn.commit()
        return
    _run_on(connection)


def _run_on(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        include_object=_include,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; use `gateway db upgrade`")
run()
