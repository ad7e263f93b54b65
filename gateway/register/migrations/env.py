"""Alembic environment: runs migrations on the connection handed over by gateway.register.db."""

from __future__ import annotations

from alembic import context

from gateway.register.models import Base

# The full-text index is created by hand in the migrations, per backend; autogenerate must leave it alone.
_UNMANAGED = {"search_index"}


def _include(obj, name, type_, reflected, compare_to) -> bool:
    return not (type_ == "table" and (name in _UNMANAGED or (name or "").startswith("search_index_")))


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
