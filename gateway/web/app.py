"""The FastAPI application: server-rendered pages in Vietnamese and the JSON API under /api/v1."""

from __future__ import annotations

import dataclasses
import hmac
import ipaddress
import math
import secrets
from pathlib import Path as FilePath
from typing import Annotated, Any
from urllib.parse import quote, urlencode

import jinja2
from fastapi import Depends, FastAPI, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.staticfiles import StaticFiles

from gateway.core.config import Config
from gateway.core.errors import GatewayError, NotFound
from gateway.register.query import SORT_KEYS, SearchQuery
from gateway.register.service import Register
from gateway.spool import Spool
from gateway.web import api, labels
from gateway.web.access import Forbidden, may_edit, may_set_status
from gateway.web.accounts import Accounts, Principal
from gateway.web.edits import ASSIGNMENT_ROLES, ASSIGNMENT_STATES, EDITABLE_FIELDS, EditError
from gateway.web.service import ExportError, WebService

DocId = Annotated[int, Path(ge=1, le=2_147_483_647)]  # ids fit a 32-bit column on both backends
HERE = FilePath(__file__).resolve().parent
SESSION_COOKIE = "gw_session"
LOGIN_COOKIE = "gw_login"
PER_PAGE = (20, 50, 100)
PAGE_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
PREVIEW_CSP = "default-src 'none'; frame-ancestors 'self'"
DOWNLOAD_CSP = "default-src 'none'; sandbox; frame-ancestors 'none'"


class LoginRequired(Exception):
    """No valid session, token or trusted proxy header came with the request."""


@dataclasses.dataclass(frozen=True)
class Viewer:
    """The logged-in user of a page request and the CSRF token their forms must carry."""

    who: Principal
    csrf: str


def create_app(config: Config, register: Register, spool: Spool) -> FastAPI:
    """The web application over an open register and the spool."""
    service = WebService(config, register, spool)
    accounts = Accounts(register.engine)
    web = config.web
    proxies = [ipaddress.ip_network(p, strict=False) for p in web.trusted_proxies]
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True, undefined=jinja2.StrictUndefined,
    )
    env.globals.update(labels=labels, may_edit=may_edit, may_set_status=may_set_status)
    env.filters.update(d=labels.date, dtm=lambda v: labels.datetime(v, service.timezone))

    app = FastAPI(
        title="Gateway register API", version="1", docs_url=None, redoc_url=None,
        openapi_url="/api/v1/openapi.json",
        description="The incoming register (sổ đăng ký văn bản đến) for e-office systems. "
                    "Authenticate with `Authorization: Bearer <token>` (create one with `gateway user token`).",
    )
    app.state.service = service
    app.state.accounts = accounts
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    def render(request: Request, name: str, status: int = 200, viewer: Viewer | None = None, **context: Any):
        html = env.get_template(name).render(request=request, viewer=viewer, agency=config.register.agency_name,
                                             **context)
        return HTMLResponse(html, status_code=status)

    def proxy_user(request: Request) -> str:
        if not web.proxy_user_header or not proxies or request.client is None:
            return ""
        try:
            peer = ipaddress.ip_address(request.client.host)
        except ValueError:
            return ""
        if not any(peer in net for net in proxies):
            return ""
        return request.headers.get(web.proxy_user_header, "").strip()

    def viewer(request: Request) -> Viewer:
        cookie = request.cookies.get(SESSION_COOKIE, "")
        name = proxy_user(request)
        if cookie:
            found = accounts.session(cookie)
            if found is not None and (not name or found[0].name == name):  # the proxy's word beats an old cookie
                return Viewer(*found)
        if name:
            principal = accounts.principal(name)
            if principal is not None:
                cookie, csrf = accounts.new_session(principal, web.session_minutes)
                request.state.new_session = cookie
                return Viewer(principal, csrf)
        raise LoginRequired()

    def check_csrf(v: Viewer, token: str) -> None:
        if not hmac.compare_digest(v.csrf.encode(), token.encode()):
            raise Forbidden("the form is stale or did not come from this site (CSRF check failed): reload the page")

    @app.middleware("http")
    async def headers(request: Request, call_next):
        response = await call_next(request)
        new = getattr(request.state, "new_session", None)
        if new:
            _set_session_cookie(response, new, web.session_minutes, web.cookie_secure)
        response.headers.setdefault("Content-Security-Policy", PAGE_CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        if not request.url.path.startswith("/static/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, _err: LoginRequired):
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": "authentication required"}, 401, {"WWW-Authenticate": "Bearer"})
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse("/login?" + urlencode({"next": target}), 303)

    def _error(request: Request, status: int, message: str):
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": message}, status)
        found = accounts.session(request.cookies.get(SESSION_COOKIE, "")) if request.cookies.get(SESSION_COOKIE) else None
        return render(request, "error.html", status=status, message=message, status_code=status,
                      viewer=Viewer(*found) if found else None)

    @app.exception_handler(NotFound)
    async def not_found(request: Request, err: NotFound):
        return _error(request, 404, str(err))

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, err: Forbidden):
        return _error(request, 403, str(err))

    @app.exception_handler(EditError)
    async def bad_edit(request: Request, err: EditError):
        return _error(request, 400, str(err))

    @app.exception_handler(ExportError)
    async def bad_export(request: Request, err: ExportError):
        return _error(request, 400, str(err))

    @app.exception_handler(GatewayError)
    async def gateway_error(request: Request, err: GatewayError):
        return _error(request, 503, f"the register cannot answer: {err}")

    # -- login -----------------------------------------------------------------------------------------

    @app.get("/login", include_in_schema=False)
    def login_page(request: Request, next: str = "/"):
        token = secrets.token_urlsafe(24)
        response = render(request, "login.html", next=_safe_next(next), login_csrf=token, failed=False)
        response.set_cookie(LOGIN_COOKIE, token, httponly=True, samesite="strict", secure=web.cookie_secure,
                            max_age=3600)
        return response

    @app.post("/login", include_in_schema=False)
    def login(request: Request, username: Annotated[str, Form()], password: Annotated[str, Form()],
              csrf: Annotated[str, Form()], next: Annotated[str, Form()] = "/"):
        expected = request.cookies.get(LOGIN_COOKIE, "")
        if not expected or not hmac.compare_digest(expected.encode(), csrf.encode()):
            raise Forbidden("the login form is stale (CSRF check failed): reload the page")
        principal = accounts.authenticate(username.strip(), password)
        if principal is None:
            service_audit(service, "web-login-failed", username.strip()[:64])
            return render(request, "login.html", status=401, next=_safe_next(next), login_csrf=expected, failed=True)
        cookie, _csrf = accounts.new_session(principal, web.session_minutes)
        service_audit(service, "web-login", principal.name)
        response = RedirectResponse(_safe_next(next), 303)
        _set_session_cookie(response, cookie, web.session_minutes, web.cookie_secure)
        response.delete_cookie(LOGIN_COOKIE)
        return response

    @app.post("/logout", include_in_schema=False)
    def logout(request: Request, csrf: Annotated[str, Form()], v: Viewer = Depends(viewer)):
        check_csrf(v, csrf)
        accounts.end_session(request.cookies.get(SESSION_COOKIE, ""))
        response = RedirectResponse("/login", 303)
        response.delete_cookie(SESSION_COOKIE)
        return response

    # -- pages -----------------------------------------------------------------------------------------

    @app.get("/", include_in_schema=False)
    def dashboard(request: Request, v: Viewer = Depends(viewer)):
        return render(request, "dashboard.html", viewer=v, dash=service.dashboard(v.who))

    @app.get("/register", include_in_schema=False)
    def register_page(
        request: Request, v: Viewer = Depends(viewer), q: str = "", date_from: str = "", date_to: str = "",
        sender: str = "", number: str = "", year: str = "", sort: str = "", page: int = Query(1, ge=1, le=100_000),
        per_page: int = 20,
    ):
        per_page = per_page if per_page in PER_PAGE else PER_PAGE[0]
        sort = sort if sort.lstrip("-") in SORT_KEYS else ""
        query = SearchQuery(
            text=q, date_from=labels.parse_date(date_from), date_to=labels.parse_date(date_to), sender=sender,
            arrival_number=labels.parse_int(number), year=labels.parse_int(year), limit=per_page,
            offset=(page - 1) * per_page, sort=sort,
        )
        found = service.search(v.who, query)
        total, rows = found.total, found.rows
        params = dict(q=q, date_from=date_from, date_to=date_to, sender=sender, number=number, year=year,
                      per_page=per_page)

        def link(**changes: Any) -> str:
            merged = {**params, "sort": sort, "page": page, **changes}
            return "/register?" + urlencode({k: val for k, val in merged.items() if val not in ("", None)})

        return render(request, "register.html", viewer=v, rows=rows, total=total, found=found, page=page,
                      pages=None if found.capped else max(1, math.ceil(total / per_page)),
                      more=len(rows) == per_page, params=params, sort=sort, link=link,
                      per_page_options=PER_PAGE, today=service.today())

    @app.get("/documents/{document_id}", include_in_schema=False)
    def document_page(request: Request, document_id: DocId, v: Viewer = Depends(viewer), msg: str = ""):
        view = service.document(v.who, document_id)
        return render(request, "document.html", viewer=v, view=view, doc=view.record,
                      departments=service.departments(), fields=EDITABLE_FIELDS, roles=ASSIGNMENT_ROLES,
                      states=ASSIGNMENT_STATES, msg=msg)

    @app.get("/documents/{document_id}/files/{attachment_id}", include_in_schema=False)
    def download_page(document_id: DocId, attachment_id: DocId, v: Viewer = Depends(viewer)):
        return download_response(service.attachment(v.who, document_id, attachment_id, inline=False), inline=False)

    @app.get("/documents/{document_id}/files/{attachment_id}/preview", include_in_schema=False)
    def preview_page(document_id: DocId, attachment_id: DocId, v: Viewer = Depends(viewer)):
        found = service.attachment(v.who, document_id, attachment_id, inline=True)
        if not found.pdf:
            raise NotFound("only PDF files are shown inline; download the file instead")
        return download_response(found, inline=True)

    @app.post("/documents/{document_id}/correct", include_in_schema=False)
    def correct_form(document_id: DocId, field: Annotated[str, Form()], csrf: Annotated[str, Form()],
                     value: Annotated[str, Form()] = "", v: Viewer = Depends(viewer)):
        check_csrf(v, csrf)
        service.correct(v.who, document_id, field, value)
        return _back(document_id, "Đã sửa " + labels.field(field))

    @app.post("/documents/{document_id}/assign", include_in_schema=False)
    def assign_form(document_id: DocId, unit: Annotated[str, Form()], role: Annotated[str, Form()],
                    csrf: Annotated[str, Form()], due_date: Annotated[str, Form()] = "",
                    note: Annotated[str, Form()] = "", v: Viewer = Depends(viewer)):
        check_csrf(v, csrf)
        service.assign(v.who, document_id, unit, role, labels.parse_date_strict(due_date), note)
        return _back(document_id, f"Đã giao {unit}")

    @app.post("/documents/{document_id}/unassign", include_in_schema=False)
    def unassign_form(document_id: DocId, unit: Annotated[str, Form()], csrf: Annotated[str, Form()],
                      v: Viewer = Depends(viewer)):
        check_csrf(v, csrf)
        service.unassign(v.who, document_id, unit)
        return _back(document_id, f"Đã bỏ giao {unit}")

    @app.post("/documents/{document_id}/status", include_in_schema=False)
    def status_form(document_id: DocId, unit: Annotated[str, Form()], status: Annotated[str, Form()],
                    csrf: Annotated[str, Form()], v: Viewer = Depends(viewer)):
        check_csrf(v, csrf)
        service.set_status(v.who, document_id, unit, status)
        return _back(document_id, f"{unit}: {labels.status(status)}")

    @app.post("/documents/{document_id}/handled", include_in_schema=False)
    def handled_form(document_id: DocId, csrf: Annotated[str, Form()], v: Viewer = Depends(viewer)):
        check_csrf(v, csrf)
        service.mark_handled(v.who, document_id)
        return _back(document_id, "Đã đánh dấu xử lý xong")

    @app.get("/export", include_in_schema=False)
    def export_page(request: Request, v: Viewer = Depends(viewer), date_from: str = "", date_to: str = "",
                    format: str = ""):
        if format:
            start = labels.parse_date_strict(date_from) or service.today().replace(day=1)
            end = labels.parse_date_strict(date_to) or service.today()
            return export_response(service.export(v.who, start, end, format))
        today = service.today()
        return render(request, "export.html", viewer=v, date_from=today.replace(day=1), date_to=today)

    @app.get("/spool/bad", include_in_schema=False)
    def bad_page(request: Request, v: Viewer = Depends(viewer), msg: str = ""):
        return render(request, "bad.html", viewer=v, entries=service.bad_list(v.who), msg=msg)

    @app.post("/spool/bad/requeue", include_in_schema=False)
    def requeue_form(spool_id: Annotated[str, Form()], csrf: Annotated[str, Form()], v: Viewer = Depends(viewer)):
        check_csrf(v, csrf)
        service.requeue(v.who, spool_id)
        return RedirectResponse("/spool/bad?" + urlencode({"msg": f"Đã gửi lại {spool_id}"}), 303)

    @app.get("/spool/quarantine", include_in_schema=False)
    def quarantine_page(request: Request, v: Viewer = Depends(viewer), msg: str = ""):
        return render(request, "quarantine.html", viewer=v, entries=service.quarantine_list(v.who), msg=msg)

    @app.get("/spool/quarantine/{spool_id}", include_in_schema=False)
    def quarantined_page(request: Request, spool_id: str, v: Viewer = Depends(viewer)):
        return render(request, "quarantined.html", viewer=v, view=service.quarantine_show(v.who, spool_id))

    @app.post("/spool/quarantine/release", include_in_schema=False)
    def release_form(spool_id: Annotated[str, Form()], csrf: Annotated[str, Form()], v: Viewer = Depends(viewer)):
        check_csrf(v, csrf)
        service.release(v.who, spool_id)
        return _to_quarantine(f"Đã trả {spool_id} về hàng đợi: thư sẽ được vào sổ")

    @app.post("/spool/quarantine/delete", include_in_schema=False)
    def delete_form(spool_id: Annotated[str, Form()], csrf: Annotated[str, Form()],
                    confirm: Annotated[str, Form()] = "", v: Viewer = Depends(viewer)):
        check_csrf(v, csrf)
        if confirm != "yes":
            raise EditError("đánh dấu ô xác nhận trước khi xoá thư cách ly")
        service.delete_quarantined(v.who, spool_id)
        return _to_quarantine(f"Đã xoá {spool_id} (nhật ký vẫn giữ người gửi, tiêu đề và lý do)")

    # -- API -------------------------------------------------------------------------------------------

    bearer = HTTPBearer(auto_error=False, description="API token from `gateway user token NAME`")

    def api_user(credentials: HTTPAuthorizationCredentials | None = Depends(bearer)) -> Principal:
        if credentials is None or credentials.scheme.lower() != "bearer":
            raise LoginRequired()
        principal = accounts.token_principal(credentials.credentials)
        if principal is None:
            raise LoginRequired()
        return principal

    app.include_router(api.router(service, api_user), prefix="/api/v1")
    return app


def service_audit(service: WebService, action: str, actor: str) -> None:
    from gateway.web.edits import audit_access

    audit_access(service.engine, action, actor or "-")


def _safe_next(target: str) -> str:
    """Only a path on this site is followed after login (no open redirect)."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _back(document_id: DocId, message: str) -> RedirectResponse:
    return RedirectResponse(f"/documents/{document_id}?" + urlencode({"msg": message}), 303)


def _to_quarantine(message: str) -> RedirectResponse:
    return RedirectResponse("/spool/quarantine?" + urlencode({"msg": message}), 303)


def _set_session_cookie(response: Response, cookie: str, minutes: int, secure: bool) -> None:
    response.set_cookie(SESSION_COOKIE, cookie, max_age=minutes * 60, httponly=True, samesite="lax",
                        secure=secure, path="/")


def content_disposition(filename: str, inline: bool) -> str:
    ascii_name = "".join(c if c.isascii() and c.isprintable() and c not in '"\\;' else "_" for c in filename)
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


def download_response(found, inline: bool) -> Response:
    """A file sent so that the browser never runs it: PDF inline under a closed CSP, anything else as a download."""
    media = "application/pdf" if inline else "application/octet-stream"
    return Response(found.data, media_type=media, headers={
        "Content-Disposition": content_disposition(found.filename, inline),
        "Content-Security-Policy": PREVIEW_CSP if inline else DOWNLOAD_CSP,
        "X-Frame-Options": "SAMEORIGIN" if inline else "DENY",
    })


def export_response(export) -> Response:
    return Response(export.data, media_type=export.media_type, headers={
        "Content-Disposition": content_disposition(export.filename, inline=False),
        "Content-Security-Policy": DOWNLOAD_CSP,
        "X-Export-Rows": str(export.rows),
    })

