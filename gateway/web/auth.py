"""Who is asking: the session cookie, a trusted proxy's user header or an API token; login (with failed tries
throttled per user name and per address), logout and CSRF."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hmac
import ipaddress
import secrets
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from gateway.core.config import WebConfig
from gateway.register.accounts import Accounts, LoginLimits, Principal
from gateway.web.access import Forbidden
from gateway.web.rendering import render
from gateway.web.service import WebService

SESSION_COOKIE = "gw_session"
LOGIN_COOKIE = "gw_login"

router = APIRouter(include_in_schema=False)
bearer = HTTPBearer(auto_error=False, description="API token from `gateway user token NAME`")


class LoginRequired(Exception):
    """No valid session, token or trusted proxy header came with the request."""


@dataclasses.dataclass(frozen=True)
class Viewer:
    """The logged-in user of a page request and the CSRF token their forms must carry."""

    who: Principal
    csrf: str


def get_service(request: Request) -> WebService:
    """The application's WebService."""
    return request.app.state.service


def _accounts(request: Request) -> Accounts:
    return request.app.state.service.register.accounts


def _web(request: Request) -> WebConfig:
    return request.app.state.service.config.web


def _trusted(request: Request, host: str) -> bool:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return any(address in net for net in request.app.state.trusted_proxies)


def _proxy_user(request: Request) -> str:
    """The user a trusted proxy vouches for in its header, or ""."""
    web = _web(request)
    if not web.proxy_user_header or request.client is None or not _trusted(request, request.client.host):
        return ""
    return request.headers.get(web.proxy_user_header, "").strip()


def client_address(request: Request) -> str:
    """The browser's address: the peer, or behind a trusted proxy the nearest untrusted X-Forwarded-For hop."""
    peer = request.client.host if request.client is not None else ""
    if not peer or not _trusted(request, peer):
        return peer
    hops = [h.strip() for h in request.headers.get("x-forwarded-for", "").split(",") if h.strip()]
    for hop in reversed(hops):
        if not _trusted(request, hop):
            return hop[:64]
    return peer


def login_limits(web: WebConfig) -> LoginLimits:
    return LoginLimits(dt.timedelta(minutes=web.login_window_minutes), web.login_max_failures,
                       web.login_max_failures_per_address)


def viewer(request: Request) -> Viewer:
    """The user of a page request (LoginRequired when there is none)."""
    accounts = _accounts(request)
    cookie = request.cookies.get(SESSION_COOKIE, "")
    name = _proxy_user(request)
    if cookie:
        found = accounts.session(cookie)
        if found is not None and (not name or found[0].name == name):  # the proxy's word beats an old cookie
            return Viewer(*found)
    if name:
        principal = accounts.principal(name)
        if principal is not None:
            cookie, csrf = accounts.new_session(principal, _web(request).session_minutes, client_address(request),
                                                via="proxy")
            request.state.new_session = cookie
            return Viewer(principal, csrf)
    raise LoginRequired()


def optional_viewer(request: Request) -> Viewer | None:
    """The user of a page request from the session cookie alone, or None (for error pages)."""
    cookie = request.cookies.get(SESSION_COOKIE, "")
    found = _accounts(request).session(cookie) if cookie else None
    return Viewer(*found) if found else None


def api_user(request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(bearer)) -> Principal:
    """The user owning the bearer token of an API request (LoginRequired when there is none)."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise LoginRequired()
    principal = _accounts(request).token_principal(credentials.credentials)
    if principal is None:
        raise LoginRequired()
    return principal


def check_csrf(v: Viewer, token: str) -> None:
    """Forbidden unless a form carries the session's CSRF token."""
    if not hmac.compare_digest(v.csrf.encode(), token.encode()):
        raise Forbidden("Biểu mẫu đã cũ hoặc không gửi từ trang này (kiểm tra CSRF không qua): hãy tải lại trang.")


def set_session_cookie(response: Response, cookie: str, web: WebConfig) -> None:
    response.set_cookie(SESSION_COOKIE, cookie, max_age=web.session_minutes * 60, httponly=True, samesite="lax",
                        secure=web.cookie_secure, path="/")


def safe_next(target: str) -> str:
    """Only a path on this site is followed after login (no open redirect)."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


@router.get("/login")
def login_page(request: Request, next: str = "/"):
    web = _web(request)
    token = secrets.token_urlsafe(24)
    response = render(request, "login.html", next=safe_next(next), login_csrf=token, failed="")
    response.set_cookie(LOGIN_COOKIE, token, httponly=True, samesite="strict", secure=web.cookie_secure,
                        max_age=3600)
    return response


@router.post("/login")
def login(request: Request, username: Annotated[str, Form()], password: Annotated[str, Form()],
          csrf: Annotated[str, Form()], next: Annotated[str, Form()] = "/"):
    expected = request.cookies.get(LOGIN_COOKIE, "")
    if not expected or not hmac.compare_digest(expected.encode(), csrf.encode()):
        raise Forbidden("Biểu mẫu đăng nhập đã cũ (kiểm tra CSRF không qua): hãy tải lại trang.")
    accounts, web = _accounts(request), _web(request)
    name, address, limits = username.strip()[:64], client_address(request), login_limits(web)
    if accounts.login_blocked(name, address, limits):
        accounts.login_failed(name, address, limits, blocked=True)
        return render(request, "login.html", status=429, next=safe_next(next), login_csrf=expected,
                      failed=f"Đăng nhập sai quá nhiều lần: hãy thử lại sau {web.login_window_minutes} phút.")
    principal = accounts.authenticate(name, password)
    if principal is None:
        accounts.login_failed(name, address, limits)
        return render(request, "login.html", status=401, next=safe_next(next), login_csrf=expected,
                      failed="Tên đăng nhập hoặc mật khẩu không đúng.")
    cookie, _csrf = accounts.new_session(principal, web.session_minutes, address)
    response = RedirectResponse(safe_next(next), 303)
    set_session_cookie(response, cookie, _web(request))
    response.delete_cookie(LOGIN_COOKIE)
    return response


@router.post("/logout")
def logout(request: Request, csrf: Annotated[str, Form()], v: Viewer = Depends(viewer)):
    check_csrf(v, csrf)
    _accounts(request).end_session(request.cookies.get(SESSION_COOKIE, ""), v.who.name)
    response = RedirectResponse("/login", 303)
    response.delete_cookie(SESSION_COOKIE)
    return response


def login_redirect(request: Request) -> Response:
    """Where LoginRequired sends a browser: the login page, coming back afterwards."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse("/login?" + urlencode({"next": target}), 303)
