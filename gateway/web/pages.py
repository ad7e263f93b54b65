"""The Vietnamese pages: dashboard (a chuyên viên's work list), the sổ (register) with search and the review queue,
a document with its fields, review and changes, exports, bad/ and quarantine, users and API tokens (admins).
Each route checks the user through the viewer dependency and calls the WebService; a change that cannot be made
shows the page again with the reason beside the form it came from."""

from __future__ import annotations

import math
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import RedirectResponse

from gateway.core.errors import NotFound
from gateway.register.changes import ASSIGNMENT_ROLES, ASSIGNMENT_STATES, EDITABLE_FIELDS, EditError
from gateway.register.query import SORT_KEYS, SearchQuery
from gateway.web import forms, labels
from gateway.web.auth import Viewer, check_csrf, get_service, viewer
from gateway.web.procedure import RECALL_SOURCES
from gateway.web.rendering import render
from gateway.web.responses import download_response, export_response
from gateway.web.service import WebService

DocId = Annotated[int, Path(ge=1, le=2_147_483_647)]  # ids fit a 32-bit column on both backends
PER_PAGE = (20, 50, 100)
ZOOMS = (100, 125, 150, 200)  # per cent; none: the page fits the frame's width

router = APIRouter(include_in_schema=False)
Service = Annotated[WebService, Depends(get_service)]
User = Annotated[Viewer, Depends(viewer)]


def _back(document_id: int, message: str, anchor: str = "") -> RedirectResponse:
    return RedirectResponse(f"/documents/{document_id}?" + urlencode({"msg": message}) + anchor, 303)


def _to_quarantine(message: str) -> RedirectResponse:
    return RedirectResponse("/spool/quarantine?" + urlencode({"msg": message}), 303)


@router.get("/")
def dashboard(request: Request, v: User, service: Service):
    return render(request, "dashboard.html", viewer=v, dash=service.dashboard(v.who),
                  review_below=service.config.web.review_below)


@router.get("/register")
def register_page(
    request: Request, v: User, service: Service, q: str = "", date_from: str = "", date_to: str = "",
    sender: str = "", number: str = "", year: str = "", sort: str = "", review: str = "",
    page: int = Query(1, ge=1, le=100_000), per_page: int = 20,
):
    per_page = per_page if per_page in PER_PAGE else PER_PAGE[0]
    sort = sort if sort.lstrip("-") in SORT_KEYS else ""
    below = service.config.web.review_below
    query = SearchQuery(
        text=q, date_from=forms.parse_filter_date(date_from), date_to=forms.parse_filter_date(date_to),
        sender=sender, arrival_number=forms.parse_int(number), year=forms.parse_int(year), limit=per_page,
        offset=(page - 1) * per_page, sort=sort, review_below=below if review else None,
    )
    found = service.search(v.who, query)
    total, rows = found.total, found.rows
    params = dict(q=q, date_from=date_from, date_to=date_to, sender=sender, number=number, year=year,
                  review="1" if review else "", per_page=per_page)

    def link(**changes: Any) -> str:
        merged = {**params, "sort": sort, "page": page, **changes}
        return "/register?" + urlencode({k: val for k, val in merged.items() if val not in ("", None)})

    return render(request, "register.html", viewer=v, rows=rows, total=total, found=found, page=page,
                  pages=None if found.capped else max(1, math.ceil(total / per_page)),
                  more=len(rows) == per_page, params=params, sort=sort, link=link,
                  per_page_options=PER_PAGE, today=service.today(), review_below=below,
                  short_name=service.short_name)


def show_document(request: Request, v: Viewer, service: WebService, document_id: int, msg: str = "",
              file: int | None = None, zoom: int = 0, error: dict[str, str] | None = None, status: int = 200):
    view = service.document(v.who, document_id)
    pdfs = view.pdfs
    shown = next((a for a in pdfs if a.id == file), pdfs[0] if pdfs else None)
    return render(request, "document.html", status=status, viewer=v, view=view, doc=view.record,
                  departments=service.departments(), fields=EDITABLE_FIELDS, roles=ASSIGNMENT_ROLES,
                  states=ASSIGNMENT_STATES, msg=msg, shown=shown, zoom=zoom if zoom in ZOOMS else 0,
                  zooms=ZOOMS, error=error or {}, review_below=service.config.web.review_below,
                  history=service.procedure.history(document_id), may_direct=service.procedure.may_direct(v.who),
                  leaders=service.procedure.leaders() if service.procedure.may_direct(v.who) else [],
                  recall_sources=RECALL_SOURCES)


@router.get("/documents/{document_id}")
def document_page(request: Request, document_id: DocId, v: User, service: Service, msg: str = "",
                  file: int | None = Query(None, ge=1, le=2_147_483_647), zoom: int = 0):
    return show_document(request, v, service, document_id, msg, file, zoom)


@router.get("/documents/{document_id}/files/{attachment_id}")
def download_page(document_id: DocId, attachment_id: DocId, v: User, service: Service):
    return download_response(service.attachment(v.who, document_id, attachment_id, inline=False), inline=False)


@router.get("/documents/{document_id}/files/{attachment_id}/preview")
def preview_page(document_id: DocId, attachment_id: DocId, v: User, service: Service):
    found = service.attachment(v.who, document_id, attachment_id, inline=True)
    if not found.pdf:
        raise NotFound("Chỉ xem trước được tệp PDF; hãy tải tệp này về.")
    return download_response(found, inline=True)


@router.post("/documents/{document_id}/correct")
def correct_form(request: Request, document_id: DocId, field: Annotated[str, Form()], csrf: Annotated[str, Form()],
                 v: User, service: Service, value: Annotated[str, Form()] = ""):
    check_csrf(v, csrf)
    try:
        service.correct(v.who, document_id, {field: forms.parse_field(field, value)})
    except EditError as err:
        return show_document(request, v, service, document_id, error={"field": field, "message": str(err),
                                                                  "value": value}, status=400)
    return _back(document_id, "Đã sửa " + labels.field(field).lower(), f"#f-{field}")


@router.post("/documents/{document_id}/confirm")
def confirm_form(document_id: DocId, csrf: Annotated[str, Form()], v: User, service: Service,
                 field: Annotated[list[str], Form()]):
    check_csrf(v, csrf)
    done = service.confirm(v.who, document_id, field)
    names = ", ".join(labels.field(name).lower() for name in done)
    message = f"Đã xác nhận {names}" if done else "Các trường này đã được xác nhận từ trước"
    return _back(document_id, message, f"#f-{field[0]}" if len(field) == 1 else "")


@router.post("/documents/{document_id}/assign")
def assign_form(request: Request, document_id: DocId, unit: Annotated[str, Form()], role: Annotated[str, Form()],
                csrf: Annotated[str, Form()], v: User, service: Service, due_date: Annotated[str, Form()] = "",
                note: Annotated[str, Form()] = ""):
    check_csrf(v, csrf)
    try:
        service.assign(v.who, document_id, unit, role, forms.parse_date(due_date), note)
    except EditError as err:
        return show_document(request, v, service, document_id, error={"field": "assign", "message": str(err),
                                                                  "unit": unit, "role": role,
                                                                  "value": due_date}, status=400)
    return _back(document_id, f"Đã giao {unit}: {labels.role(role).lower()}", "#assignments")


@router.post("/documents/{document_id}/unassign")
def unassign_form(document_id: DocId, unit: Annotated[str, Form()], csrf: Annotated[str, Form()], v: User,
                  service: Service):
    check_csrf(v, csrf)
    service.unassign(v.who, document_id, unit)
    return _back(document_id, f"Đã bỏ giao {unit}", "#assignments")


@router.post("/documents/{document_id}/status")
def status_form(document_id: DocId, unit: Annotated[str, Form()], status: Annotated[str, Form()],
                csrf: Annotated[str, Form()], v: User, service: Service):
    check_csrf(v, csrf)
    service.set_status(v.who, document_id, unit, status)
    return _back(document_id, f"{unit}: {labels.status(status)}")


@router.post("/documents/{document_id}/handled")
def handled_form(document_id: DocId, csrf: Annotated[str, Form()], v: User, service: Service):
    check_csrf(v, csrf)
    service.mark_handled(v.who, document_id)
    return _back(document_id, "Đã đánh dấu xử lý xong")


@router.get("/export")
def export_page(request: Request, v: User, service: Service, date_from: str = "", date_to: str = "",
                format: str = ""):
    today = service.today()
    start_text = date_from or labels.date(today.replace(day=1))
    end_text = date_to or labels.date(today)
    if format:
        try:
            start, end = forms.parse_date(start_text), forms.parse_date(end_text)
        except EditError as err:
            return render(request, "export.html", status=400, viewer=v, date_from=start_text, date_to=end_text,
                          format=format, error=str(err))
        return export_response(service.export(v.who, start, end, format))
    return render(request, "export.html", viewer=v, date_from=start_text, date_to=end_text, format="pdf",
                  error="")


@router.get("/spool/bad")
def bad_page(request: Request, v: User, service: Service, msg: str = ""):
    return render(request, "bad.html", viewer=v, entries=service.bad_list(v.who), msg=msg)


@router.post("/spool/bad/requeue")
def requeue_form(spool_id: Annotated[str, Form()], csrf: Annotated[str, Form()], v: User, service: Service):
    check_csrf(v, csrf)
    service.requeue(v.who, spool_id)
    return RedirectResponse("/spool/bad?" + urlencode({"msg": f"Đã gửi lại {spool_id} để xử lý"}), 303)


@router.get("/spool/quarantine")
def quarantine_page(request: Request, v: User, service: Service, msg: str = ""):
    return render(request, "quarantine.html", viewer=v, entries=service.quarantine_list(v.who), msg=msg)


@router.get("/spool/quarantine/{spool_id}")
def quarantined_page(request: Request, spool_id: str, v: User, service: Service, msg: str = ""):
    return render(request, "quarantined.html", viewer=v, view=service.quarantine_show(v.who, spool_id), msg=msg)


@router.post("/spool/quarantine/release")
def release_form(spool_id: Annotated[str, Form()], csrf: Annotated[str, Form()], v: User, service: Service):
    check_csrf(v, csrf)
    service.release(v.who, spool_id)
    return _to_quarantine(f"Đã trả {spool_id} về hàng đợi: thư sẽ được vào sổ")


@router.post("/spool/quarantine/delete")
def delete_form(spool_id: Annotated[str, Form()], csrf: Annotated[str, Form()], v: User, service: Service,
                confirm: Annotated[str, Form()] = ""):
    check_csrf(v, csrf)
    if confirm != "yes":
        raise EditError("Đánh dấu ô xác nhận trước khi xoá thư cách ly.")
    service.delete_quarantined(v.who, spool_id)
    return _to_quarantine(f"Đã xoá {spool_id} (nhật ký vẫn giữ người gửi, tiêu đề và lý do)")


def _to_users(message: str) -> RedirectResponse:
    return RedirectResponse("/admin/users?" + urlencode({"msg": message}), 303)


@router.get("/admin/users")
def users_page(request: Request, v: User, service: Service, msg: str = ""):
    users, tokens = service.users(v.who)
    return render(request, "users.html", viewer=v, users=users, tokens=tokens, msg=msg)


@router.post("/admin/users/active")
def user_active_form(name: Annotated[str, Form()], active: Annotated[str, Form()], csrf: Annotated[str, Form()],
                     v: User, service: Service):
    check_csrf(v, csrf)
    service.set_user_active(v.who, name, active == "yes")
    return _to_users(f"Đã {'mở khoá' if active == 'yes' else 'khoá'} {name}")


@router.post("/admin/users/delete")
def user_delete_form(name: Annotated[str, Form()], csrf: Annotated[str, Form()], v: User, service: Service,
                     confirm: Annotated[str, Form()] = ""):
    check_csrf(v, csrf)
    if confirm != "yes":
        raise EditError("Đánh dấu ô xác nhận trước khi xoá người dùng.")
    service.delete_user(v.who, name)
    return _to_users(f"Đã xoá {name}")


@router.post("/admin/tokens/revoke")
def token_revoke_form(token_id: Annotated[int, Form(ge=1, le=2_147_483_647)], csrf: Annotated[str, Form()], v: User,
                      service: Service):
    check_csrf(v, csrf)
    owner = service.revoke_token(v.who, token_id)
    return _to_users(f"Đã thu hồi khoá API mã {token_id} của {owner}")
