"""The FastAPI application: the pages, login and the JSON API under /api/v1, with one error handler per kind."""

from __future__ import annotations

import ipaddress
import logging
import re

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles

from gateway.core.config import Config
from gateway.core.errors import GatewayError, NotFound, RegisterError
from gateway.ops.recalls import RecallNoticeError
from gateway.ops.returns import ReturnError
from gateway.register.accounts import AccountError
from gateway.register.changes import EditError
from gateway.register.recalls import RecallError
from gateway.register.service import Register
from gateway.spool import Spool
from gateway.web import api, auth, desk, pages
from gateway.web.access import Conflict, Forbidden
from gateway.web.auth import LoginRequired, login_redirect, optional_viewer, set_session_cookie
from gateway.web.reasons import Data, Said, said, translate
from gateway.web.rendering import TEMPLATES, environment, render
from gateway.web.responses import PAGE_CSP
from gateway.web.service import ExportError, WebService

log = logging.getLogger(__name__)
REGISTER_UNAVAILABLE = "Sổ đăng ký tạm thời chưa trả lời được, xin thử lại sau."


def create_app(config: Config, register: Register, spool: Spool) -> FastAPI:
    """The web application over an open register and the spool."""
    service = WebService(config, register, spool)
    app = FastAPI(
        title="Gateway register API", version="1", docs_url=None, redoc_url=None,
        openapi_url="/api/v1/openapi.json",
        description="The incoming register (sổ đăng ký văn bản đến) for e-office systems. "
                    "Authenticate with `Authorization: Bearer <token>` (create one with `gateway user token`).",
    )
    app.state.service = service
    app.state.templates = environment(service.timezone)
    app.state.trusted_proxies = [ipaddress.ip_network(p, strict=False) for p in config.web.trusted_proxies]
    app.mount("/static", StaticFiles(directory=TEMPLATES.parent / "static"), name="static")
    app.include_router(auth.router)
    app.include_router(pages.router)
    app.include_router(desk.router)
    app.include_router(api.router, prefix="/api/v1")
    _add_headers(app)
    _add_error_handlers(app)
    return app


def _add_headers(app: FastAPI) -> None:
    @app.middleware("http")
    async def headers(request: Request, call_next):
        response = await call_next(request)
        new = getattr(request.state, "new_session", None)
        if new:
            set_session_cookie(response, new, request.app.state.service.config.web)
        response.headers.setdefault("Content-Security-Policy", PAGE_CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        if not request.url.path.startswith("/static/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response


_BACK = ((re.compile(r"/documents/(\d+)"), "/documents/{0}", "Về trang văn bản"),
         (re.compile(r"/spool/quarantine"), "/spool/quarantine", "Về danh sách thư cách ly"),
         (re.compile(r"/paper"), "/paper", "Về trang vào sổ văn bản giấy"),
         (re.compile(r"/spool/bad"), "/spool/bad", "Về danh sách thư lỗi"),
         (re.compile(r"/admin/"), "/admin/users", "Về trang người dùng"),
         (re.compile(r"/export"), "/export", "Về trang xuất sổ"))


def _back(path: str) -> tuple[str, str]:
    """Where an error page sends the user on: the page the failed request came from, else the register."""
    for pattern, target, label in _BACK:
        match = pattern.match(path)
        if match:
            return target.format(*match.groups()), label
    return "/register", "Về sổ văn bản đến"


def _error(request: Request, status: int, message: str | Said):
    """An error as JSON for the API, as a page for a browser; in Vietnamese either way (see reasons.translate)."""
    said = message if isinstance(message, Said) else translate(message)
    if request.url.path.startswith("/api/"):
        return JSONResponse({"detail": str(said)}, status)
    return render(request, "error.html", status=status, message=said, status_code=status,
                  viewer=optional_viewer(request), back=_back(request.url.path))


def _sentence(text: str) -> str:
    """An operation's message (written lower-case for the CLI's "error: …") as a sentence on its own."""
    text = text.strip()
    return text[:1].upper() + text[1:] + ("" if text.endswith((".", "!", "?")) else ".")


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, _err: LoginRequired):
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": "Cần khoá API: Authorization: Bearer <khoá>"}, 401,
                                {"WWW-Authenticate": "Bearer"})
        return login_redirect(request)

    @app.exception_handler(NotFound)
    async def not_found(request: Request, err: NotFound):
        return _error(request, 404, str(err))

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, err: Forbidden):
        return _error(request, 403, str(err))

    @app.exception_handler(EditError)
    async def bad_edit(request: Request, err: EditError):
        return _error(request, 400, str(err))

    @app.exception_handler(AccountError)
    async def bad_account_change(request: Request, err: AccountError):
        return _error(request, 400, str(err))

    @app.exception_handler(ReturnError)
    async def bad_return(request: Request, err: ReturnError):
        return _error(request, 409, _sentence(str(err)))

    @app.exception_handler(RecallNoticeError)
    async def bad_recall_notice(request: Request, err: RecallNoticeError):
        return _error(request, 409, _sentence(str(err)))

    @app.exception_handler(RecallError)
    async def bad_recall(request: Request, err: RecallError):
        return _error(request, 409, _sentence(str(err)))

    @app.exception_handler(Conflict)
    async def conflict(request: Request, err: Conflict):
        return _error(request, 409, str(err))

    @app.exception_handler(ExportError)
    async def bad_export(request: Request, err: ExportError):
        return _error(request, 400, str(err))

    @app.exception_handler(RegisterError)
    async def register_error(request: Request, err: RegisterError):
        # The text is for the sysadmin (the register logged the statement too); people get a plain sentence.
        log.warning("%s %s: %s", request.method, request.url.path, err)
        return _error(request, 503, REGISTER_UNAVAILABLE)

    @app.exception_handler(GatewayError)
    async def gateway_error(request: Request, err: GatewayError):
        log.warning("%s %s: %s", request.method, request.url.path, err)
        return _error(request, 503, said("Chưa thực hiện được, xin thử lại sau. Chi tiết kỹ thuật: ", Data(str(err))))
