"""Who may see and do what: unit scoping, the secret register and the write roles, in one place."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from gateway.core.config import WebConfig
from gateway.core.errors import GatewayError, NotFound
from gateway.register.models import ROLE_ADMIN, ROLE_CHUYEN_VIEN, ROLE_VAN_THU, Assignment, Document, RegisterBook
from gateway.web.accounts import Principal


class Forbidden(GatewayError):
    """The user may see the thing but not do this to it."""


@dataclass(frozen=True)
class Scope:
    """The documents a user may see: all, or those assigned to some units; with or without the secret register."""

    units: tuple[str, ...] | None
    include_secret: bool


def scope_of(principal: Principal, web: WebConfig) -> Scope:
    """What ``principal`` may see under the configured secret roles."""
    secret = principal.role in web.secret_roles or principal.secret_allowed
    if principal.role == ROLE_CHUYEN_VIEN:
        return Scope((principal.unit_code,) if principal.unit_code else (), secret)
    return Scope(None, secret)


def may_edit(principal: Principal) -> bool:
    """Văn thư and admins correct fields, assign units, mark handled and requeue."""
    return principal.role in (ROLE_ADMIN, ROLE_VAN_THU)


def require_edit(principal: Principal) -> None:
    if not may_edit(principal):
        raise Forbidden("only văn thư and admins may do this")


def may_set_status(principal: Principal, unit_code: str) -> bool:
    """A unit's own chuyên viên (and văn thư, admins) move its assignment along."""
    return may_edit(principal) or (principal.role == ROLE_CHUYEN_VIEN and principal.unit_code == unit_code)


def scope_clause(scope: Scope) -> sa.ColumnElement[bool]:
    """A WHERE condition on Document selecting what the scope allows."""
    conditions: list[sa.ColumnElement[bool]] = []
    if scope.units is not None:
        mine = Assignment.__table__.alias("scope_assignment")  # an alias: callers may join assignments too
        conditions.append(
            sa.exists().where(mine.c.document_id == Document.id, mine.c.unit_code.in_(scope.units))
            .correlate(Document)
        )
    if not scope.include_secret:
        conditions.append(Document.register_id.in_(sa.select(RegisterBook.id).where(RegisterBook.secret.is_(False))))
    return sa.and_(sa.true(), *conditions)


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
        ).correlate(Assignment))
    return sa.and_(sa.true(), *conditions)


def check_document(conn: sa.Connection, scope: Scope, document_id: int) -> None:
    """NotFound unless the document exists and the scope allows it (the same answer either way: no probing)."""
    if not 0 < document_id < 2**31:
        raise NotFound(f"no document {document_id}")
    row = conn.execute(sa.select(Document.id).where(Document.id == document_id, scope_clause(scope))).first()
    if row is None:
        raise NotFound(f"no document {document_id}")
