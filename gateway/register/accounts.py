"""Users, scrypt password hashes, hashed API tokens and expiring browser sessions in the register database."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

import sqlalchemy as sa

from gateway.core.errors import GatewayError, NotFound
from gateway.register.db import Database
from gateway.register.models import ApiToken, Department, User, WebSession
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
    """The user, token and session tables behind one small interface."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def _user_row(self, conn: sa.Connection, name: str):
        return conn.execute(sa.select(User.__table__).where(User.name == name)).first()

    # -- users ------------------------------------------------------------------------------------------

    def add_user(self, name: str, role: str, password: str = "", unit_code: str | None = None,
                 secret_allowed: bool = False, full_name: str = "") -> None:
        """Create a user; a chuyên viên must name an existing unit."""
        if role not in USER_ROLES:
            raise AccountError(f"unknown role {role!r}; roles: {', '.join(USER_ROLES)}")
        if not name or len(name) > 64 or not all(c.isalnum() or c in "._-@" for c in name):
            raise AccountError(f"user name {name!r}: use 1-64 letters, digits and . _ - @")
        if role == ROLE_CHUYEN_VIEN and not unit_code:
            raise AccountError("a chuyen_vien needs --unit (the code of their department)")
        with self.db.transaction() as conn:
            if self._user_row(conn, name) is not None:
                raise AccountError(f"user {name} exists already")
            if unit_code and conn.execute(sa.select(Department.code).where(Department.code == unit_code)).first() is None:
                raise AccountError(f"no department with code {unit_code!r}")
            conn.execute(sa.insert(User.__table__).values(
                name=name, full_name=full_name, password_hash=hash_password(password) if password else "",
                role=role, unit_code=unit_code or None, secret_allowed=secret_allowed, active=True,
                created_at=_now(),
            ))

    def set_password(self, name: str, password: str) -> None:
        """Replace a user's password and end their browser sessions."""
        with self.db.transaction() as conn:
            row = self._user_row(conn, name)
            if row is None:
                raise NotFound(f"no user {name}")
            conn.execute(sa.update(User.__table__).where(User.id == row.id).values(password_hash=hash_password(password)))
            conn.execute(sa.delete(WebSession.__table__).where(WebSession.user_id == row.id))

    def list_users(self) -> list[dict]:
        """Every user with role, unit and number of live API tokens."""
        with self.db.reading() as conn:
            tokens = dict(conn.execute(
                sa.select(ApiToken.user_id, sa.func.count()).where(ApiToken.revoked.is_(False)).group_by(ApiToken.user_id)
            ).all())
            rows = conn.execute(sa.select(User.__table__).order_by(User.name)).all()
        return [dict(name=r.name, full_name=r.full_name, role=r.role, unit=r.unit_code or "",
                     secret_allowed=bool(r.secret_allowed), active=bool(r.active), tokens=tokens.get(r.id, 0))
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

    # -- API tokens -------------------------------------------------------------------------------------

    def new_token(self, name: str, label: str = "") -> str:
        """A fresh API token for the user; only its hash is kept, so this is the one time it is seen."""
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with self.db.transaction() as conn:
            row = self._user_row(conn, name)
            if row is None:
                raise NotFound(f"no user {name}")
            conn.execute(sa.insert(ApiToken.__table__).values(
                user_id=row.id, token_hash=token_hash(token), label=label, created_at=_now(), revoked=False))
        return token

    def token_principal(self, token: str) -> Principal | None:
        """The user owning a live token, else None."""
        with self.db.reading() as conn:
            row = conn.execute(
                sa.select(User.__table__).join(ApiToken, ApiToken.user_id == User.id)
                .where(ApiToken.token_hash == token_hash(token), ApiToken.revoked.is_(False), User.active.is_(True))
            ).first()
        return _principal(row) if row is not None else None

    # -- sessions ---------------------------------------------------------------------------------------

    def new_session(self, principal: Principal, minutes: int) -> tuple[str, str]:
        """Start a browser session: returns (cookie value, CSRF token); expired sessions are swept here."""
        cookie, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        now = _now()
        with self.db.transaction() as conn:
            conn.execute(sa.delete(WebSession.__table__).where(WebSession.expires_at < now))
            conn.execute(sa.insert(WebSession.__table__).values(
                token_hash=token_hash(cookie), user_id=principal.user_id, csrf_token=csrf, created_at=now,
                expires_at=now + dt.timedelta(minutes=minutes)))
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

    def end_session(self, cookie: str) -> None:
        with self.db.transaction() as conn:
            conn.execute(sa.delete(WebSession.__table__).where(WebSession.token_hash == token_hash(cookie)))
