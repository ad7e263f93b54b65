"""Users, scrypt password hashes, hashed API tokens, expiring browser sessions and failed logins in the register
database. Every write is one transaction with its audit event; messages are Vietnamese (people read them)."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from gateway.core.errors import GatewayError, NotFound
from gateway.register.audit import record_audit
from gateway.register.db import Database
from gateway.register.models import ApiToken, Department, LoginFailure, User, WebSession
from gateway.register.terms import ROLE_CHUYEN_VIEN, USER_ROLES

# scrypt at N=2^14, r=8, p=1 takes ~50 ms and 16 MiB: slow for guessing, fine for a login.
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1
TOKEN_PREFIX = "gw_"


class AccountError(GatewayError):
    """A user cannot be created or changed as asked."""


@dataclass(frozen=True)
class Principal:
    """Who is asking: the user name, role, unit (chuyên viên) and whether they may see the secret register."""

    user_id: int
    name: str
    role: str
    unit_code: str | None
    secret_allowed: bool
    full_name: str = ""


@dataclass(frozen=True)
class TokenInfo:
    """One live API token as listed (never the token itself: only its hash is kept)."""

    id: int
    user: str
    label: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None


@dataclass(frozen=True)
class LoginLimits:
    """How many failed logins within ``window`` stop further tries for a user name, or from an address."""

    window: dt.timedelta
    per_user: int
    per_address: int


def hash_password(password: str) -> str:
    """A self-describing salted scrypt hash of ``password``."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P, dklen=32)
    return "scrypt${}${}${}${}${}".format(
        _SCRYPT_N, _SCRYPT_R, _SCRYPT_P, base64.b64encode(salt).decode(), base64.b64encode(digest).decode()
    )


def verify_password(password: str, stored: str) -> bool:
    """True when ``password`` matches the hash ``stored`` (constant-time compare)."""
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        if kind != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(password.encode("utf-8"), salt=base64.b64decode(salt), n=int(n), r=int(r),
                                p=int(p), dklen=len(expected))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


def token_hash(token: str) -> str:
    """What is stored for a token or session cookie: its sha256 (they are random, so no salt is needed)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _principal(row: User) -> Principal:
    return Principal(row.id, row.name, row.role, row.unit_code, bool(row.secret_allowed), row.full_name)


class Accounts:
    """The user, token, session and failed-login tables behind one small interface."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def _user_row(self, conn: sa.Connection, name: str):
        return conn.execute(sa.select(User.__table__).where(User.name == name)).first()

    def _existing_user(self, conn: sa.Connection, name: str):
        row = self._user_row(conn, name)
        if row is None:
            raise NotFound(f"Không có người dùng {name}.")
        return row

    # -- users ------------------------------------------------------------------------------------------

    def add_user(self, name: str, role: str, password: str = "", unit_code: str | None = None,
                 secret_allowed: bool = False, full_name: str = "", actor: str = "") -> None:
        """Create a user; a chuyên viên must name an existing unit."""
        if role not in USER_ROLES:
            raise AccountError(f"Không có vai trò {role!r}; các vai trò: {', '.join(USER_ROLES)}.")
        if not name or len(name) > 64 or not all(c.isalnum() or c in "._-@" for c in name):
            raise AccountError(f"Tên người dùng {name!r}: dùng 1-64 chữ cái, chữ số và . _ - @")
        if role == ROLE_CHUYEN_VIEN and not unit_code:
            raise AccountError("Chuyên viên (chuyen_vien) cần --unit: mã đơn vị của mình.")
        with self.db.transaction() as conn:
            if self._user_row(conn, name) is not None:
                raise AccountError(f"Đã có người dùng {name}.")
            if unit_code and conn.execute(sa.select(Department.code).where(Department.code == unit_code)).first() is None:
                raise AccountError(f"Không có đơn vị mã {unit_code}.")
            conn.execute(sa.insert(User.__table__).values(
                name=name, full_name=full_name, password_hash=hash_password(password) if password else "",
                role=role, unit_code=unit_code or None, secret_allowed=secret_allowed, active=True,
                created_at=_now(),
            ))
            _audit(conn, "user-added", actor, user=name, role=role, unit=unit_code or "", secret=secret_allowed,
                   password=bool(password))

    def set_password(self, name: str, password: str, actor: str = "") -> None:
        """Replace a user's password and end their browser sessions."""
        with self.db.transaction() as conn:
            row = self._existing_user(conn, name)
            conn.execute(sa.update(User.__table__).where(User.id == row.id).values(password_hash=hash_password(password)))
            ended = conn.execute(sa.delete(WebSession.__table__).where(WebSession.user_id == row.id)).rowcount
            _audit(conn, "user-password-set", actor, user=name, sessions_ended=ended)

    def set_active(self, name: str, active: bool, actor: str = "") -> None:
        """Enable or disable a user; disabling ends their sessions at once and their tokens stop working
        (a token counts only while its user is active), enabling brings the tokens back."""
        with self.db.transaction() as conn:
            row = self._existing_user(conn, name)
            if bool(row.active) == active:
                return
            conn.execute(sa.update(User.__table__).where(User.id == row.id).values(active=active))
            ended = 0
            if not active:
                ended = conn.execute(sa.delete(WebSession.__table__).where(WebSession.user_id == row.id)).rowcount
            _audit(conn, "user-enabled" if active else "user-disabled", actor, user=name, sessions_ended=ended)

    def delete_user(self, name: str, actor: str = "") -> None:
        """Remove a user with their sessions and tokens; the audit trail keeps their name on what they did."""
        with self.db.transaction() as conn:
            row = self._existing_user(conn, name)
            conn.execute(sa.delete(WebSession.__table__).where(WebSession.user_id == row.id))
            tokens = conn.execute(sa.delete(ApiToken.__table__).where(ApiToken.user_id == row.id)).rowcount
            conn.execute(sa.delete(User.__table__).where(User.id == row.id))
            _audit(conn, "user-deleted", actor, user=name, role=row.role, unit=row.unit_code or "",
                   tokens_removed=tokens)

    def list_users(self) -> list[dict[str, Any]]:
        """Every user with role, unit, whether active, and the ids of their live API tokens."""
        with self.db.reading() as conn:
            tokens: dict[int, list[int]] = {}
            for user_id, token_id in conn.execute(
                sa.select(ApiToken.user_id, ApiToken.id).where(ApiToken.revoked.is_(False)).order_by(ApiToken.id)
            ).all():
                tokens.setdefault(user_id, []).append(token_id)
            rows = conn.execute(sa.select(User.__table__).order_by(User.name)).all()
        return [dict(name=r.name, full_name=r.full_name, role=r.role, unit=r.unit_code or "",
                     secret_allowed=bool(r.secret_allowed), active=bool(r.active), password=bool(r.password_hash),
                     tokens=len(tokens.get(r.id, [])), token_ids=tokens.get(r.id, []))
                for r in rows]

    def principal(self, name: str) -> Principal | None:
        """The active user of that name, else None."""
        with self.db.reading() as conn:
            row = self._user_row(conn, name)
        return _principal(row) if row is not None and row.active else None

    def authenticate(self, name: str, password: str) -> Principal | None:
        """The user when name and password match an active account with a password, else None."""
        with self.db.reading() as conn:
            row = self._user_row(conn, name)
        if row is None or not row.active or not row.password_hash:
            hash_password(password)  # same work either way: no timing hint that the name exists
            return None
        return _principal(row) if verify_password(password, row.password_hash) else None

    # -- failed logins ----------------------------------------------------------------------------------

    def login_blocked(self, name: str, address: str, limits: LoginLimits) -> bool:
        """True when the user name, or the address, has failed too often within the window."""
        since = _now() - limits.window
        with self.db.reading() as conn:
            by_user = conn.scalar(sa.select(sa.func.count()).select_from(LoginFailure).where(
                LoginFailure.username == name[:64], LoginFailure.at > since)) or 0
            by_address = conn.scalar(sa.select(sa.func.count()).select_from(LoginFailure).where(
                LoginFailure.address == address[:64], LoginFailure.at > since)) or 0
        return by_user >= limits.per_user or by_address >= limits.per_address

    def login_failed(self, name: str, address: str, limits: LoginLimits, blocked: bool = False) -> None:
        """Record a failed login (wrong password, or any try while blocked) with its audit event.

        A try while blocked is audited but not counted, so that the block ends one window after the last
        real guess rather than never while someone keeps trying.
        """
        now = _now()
        with self.db.transaction() as conn:
            conn.execute(sa.delete(LoginFailure.__table__).where(LoginFailure.at <= now - limits.window))
            if not blocked:
                conn.execute(sa.insert(LoginFailure.__table__).values(at=now, username=name[:64],
                                                                      address=address[:64]))
            record_audit(conn, "web-login-throttled" if blocked else "web-login-failed", actor=name[:64] or "-",
                         detail={"address": address})

    # -- API tokens -------------------------------------------------------------------------------------

    def new_token(self, name: str, label: str = "", actor: str = "") -> str:
        """A fresh API token for the user; only its hash is kept, so this is the one time it is seen."""
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with self.db.transaction() as conn:
            row = self._existing_user(conn, name)
            token_id = conn.execute(sa.insert(ApiToken.__table__).returning(ApiToken.id).values(
                user_id=row.id, token_hash=token_hash(token), label=label, created_at=_now(), revoked=False)
            ).scalar_one()
            _audit(conn, "token-created", actor, user=name, token_id=token_id, label=label)
        return token

    def list_tokens(self, name: str | None = None) -> list[TokenInfo]:
        """Live API tokens, of one user or of all, oldest first."""
        query = (sa.select(ApiToken.id, User.name, ApiToken.label, ApiToken.created_at, ApiToken.last_used_at)
                 .join(User, User.id == ApiToken.user_id).where(ApiToken.revoked.is_(False)).order_by(ApiToken.id))
        if name is not None:
            query = query.where(User.name == name)
        with self.db.reading() as conn:
            return [TokenInfo(*row) for row in conn.execute(query).all()]

    def revoke_token(self, token_id: int, actor: str = "") -> str:
        """Revoke one API token by its id (it stops working at once); returns the name of its user."""
        with self.db.transaction() as conn:
            row = conn.execute(sa.select(ApiToken.id, ApiToken.revoked, ApiToken.label, User.name)
                               .join(User, User.id == ApiToken.user_id).where(ApiToken.id == token_id)).first()
            if row is None or row.revoked:
                raise NotFound(f"Không có khoá API mã {token_id} (hoặc đã thu hồi).")
            conn.execute(sa.update(ApiToken.__table__).where(ApiToken.id == token_id).values(revoked=True))
            _audit(conn, "token-revoked", actor, user=row.name, token_id=token_id, label=row.label)
        return row.name

    def token_principal(self, token: str) -> Principal | None:
        """The user owning a live token, else None."""
        with self.db.reading() as conn:
            row = conn.execute(
                sa.select(User.__table__).join(ApiToken, ApiToken.user_id == User.id)
                .where(ApiToken.token_hash == token_hash(token), ApiToken.revoked.is_(False), User.active.is_(True))
            ).first()
        return _principal(row) if row is not None else None

    # -- sessions ---------------------------------------------------------------------------------------

    def new_session(self, principal: Principal, minutes: int, address: str = "", via: str = "password"
                    ) -> tuple[str, str]:
        """Start a browser session: returns (cookie value, CSRF token). Audited as web-login; the user name's
        failed logins are forgotten and expired sessions swept here."""
        cookie, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        now = _now()
        with self.db.transaction() as conn:
            conn.execute(sa.delete(WebSession.__table__).where(WebSession.expires_at < now))
            conn.execute(sa.delete(LoginFailure.__table__).where(LoginFailure.username == principal.name))
            conn.execute(sa.insert(WebSession.__table__).values(
                token_hash=token_hash(cookie), user_id=principal.user_id, csrf_token=csrf, created_at=now,
                expires_at=now + dt.timedelta(minutes=minutes)))
            record_audit(conn, "web-login", actor=principal.name, detail={"via": via, "address": address})
        return cookie, csrf

    def session(self, cookie: str) -> tuple[Principal, str] | None:
        """The user and CSRF token of a live session cookie, else None."""
        with self.db.reading() as conn:
            row = conn.execute(
                sa.select(User.__table__, WebSession.csrf_token, WebSession.expires_at)
                .join(WebSession, WebSession.user_id == User.id)
                .where(WebSession.token_hash == token_hash(cookie), User.active.is_(True))
            ).first()
        if row is None or row.expires_at <= _now():
            return None
        return _principal(row), row.csrf_token

    def end_session(self, cookie: str, actor: str) -> None:
        """Log a browser out (audited as web-logout)."""
        with self.db.transaction() as conn:
            ended = conn.execute(sa.delete(WebSession.__table__)
                                 .where(WebSession.token_hash == token_hash(cookie))).rowcount
            if ended:
                record_audit(conn, "web-logout", actor=actor)


def _audit(conn: sa.Connection, action: str, actor: str, **detail: Any) -> None:
    record_audit(conn, action, actor=actor or "-", detail=detail)
