"""Which documents a user may see: all, or those assigned to some units; with or without secret documents
(those in the secret register, and those a văn thư found to be secret after registering them in the main one).

The condition is written once, as SQL the search's hand-written queries splice in and the other reads use as
a clause; assignment_scope is the different question of which assignment rows a dashboard counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from gateway.core.errors import NotFound
from gateway.register.models import Assignment, Document, RegisterBook


@dataclass(frozen=True)
class Scope:
    """The documents a user may see: all (units None) or those assigned to some units; secret ones or not."""

    units: tuple[str, ...] | None = None
    include_secret: bool = True


def scope_sql(scope: Scope, document_id: str = "d.id", register_id: str = "d.register_id",
              secrecy: str = "d.secrecy") -> tuple[str, dict]:
    """The scope as a SQL condition on the given columns, with its parameters.

    A unit's scope is a scalar subquery, not EXISTS: PostgreSQL turns EXISTS into a join that hashes all the
    unit's assignments (a hundred thousand) to count the first thousand matches of a search; a scalar one is a
    probe of the (document_id, unit_code) index per row on both backends.
    """
    clauses = ["1 = 1"]
    params: dict[str, Any] = {}
    if scope.units is not None:
        if not scope.units:
            clauses.append("1 = 0")
        else:
            names = []
            for k, unit in enumerate(scope.units):
                params[f"scope_unit_{k}"] = unit
                names.append(f":scope_unit_{k}")
            clauses.append(f"(SELECT count(*) FROM assignments scope_a WHERE scope_a.document_id = {document_id} "
                           f"AND scope_a.unit_code IN ({', '.join(names)})) > 0")
    if not scope.include_secret:
        clauses.append(f"{register_id} IN (SELECT scope_r.id FROM registers scope_r WHERE scope_r.secret = false)")
        clauses.append(f"{secrecy} = 0")
    return " AND ".join(clauses), params


def scope_clause(scope: Scope) -> sa.ColumnElement[bool]:
    """The scope as a WHERE clause on the documents table."""
    sql, params = scope_sql(scope, "documents.id", "documents.register_id", "documents.secrecy")
    return sa.text(sql).bindparams(**params)


def assignment_scope(scope: Scope) -> sa.ColumnElement[bool]:
    """A WHERE condition on Assignment rows the scope shows: its units' own rows, of documents it may see.

    No join to documents unless the secret register must be left out, and then one primary-key probe per
    row: joining a million documents to count open assignments is what made the dashboard slow.
    """
    conditions: list[sa.ColumnElement[bool]] = []
    if scope.units is not None:
        conditions.append(Assignment.unit_code.in_(scope.units))
    if not scope.include_secret:
        doc = Document.__table__.alias("scope_document")
        conditions.append(sa.exists().where(
            doc.c.id == Assignment.document_id,
            doc.c.register_id.in_(sa.select(RegisterBook.id).where(RegisterBook.secret.is_(False))),
            doc.c.secrecy == 0,
        ).correlate(Assignment))
    return sa.and_(sa.true(), *conditions)


def check_visible(conn: sa.Connection, scope: Scope, document_id: int) -> None:
    """NotFound unless the document exists and the scope allows it (the same answer either way: no probing)."""
    if not 0 < document_id < 2**31:
        raise NotFound(f"Không có văn bản mã {document_id}.")
    row = conn.execute(sa.select(Document.id).where(Document.id == document_id, scope_clause(scope))).first()
    if row is None:
        raise NotFound(f"Không có văn bản mã {document_id}.")
