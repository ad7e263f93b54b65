"""Who may see and do what: a user's scope (units, the secret register) and the roles that may change things."""

from __future__ import annotations

from gateway.core.config import WebConfig
from gateway.core.errors import GatewayError
from gateway.register.accounts import Principal
from gateway.register.scope import Scope
from gateway.register.terms import ROLE_ADMIN, ROLE_CHUYEN_VIEN, ROLE_VAN_THU


class Forbidden(GatewayError):
    """The user may see the thing but not do this to it."""


class Conflict(GatewayError):
    """The change cannot be made in the document's present state (already returned, recalled…)."""


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
        raise Forbidden("Chỉ văn thư và quản trị được làm việc này.")


def may_admin(principal: Principal) -> bool:
    """Admins manage users and API tokens."""
    return principal.role == ROLE_ADMIN


def require_admin(principal: Principal) -> None:
    if not may_admin(principal):
        raise Forbidden("Chỉ quản trị được quản lý người dùng và khoá API.")


def may_set_status(principal: Principal, unit_code: str) -> bool:
    """A unit's own chuyên viên (and văn thư, admins) move its assignment along."""
    return may_edit(principal) or (principal.role == ROLE_CHUYEN_VIEN and principal.unit_code == unit_code)
