"""The văn thư's and the leader's pages of the văn bản đến procedure (ND30 Điều 21-24): a paper arrival, the
leader's direction, the Phiếu giải quyết văn bản đến, returning a document to its sender, and recalls."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Path, Request, UploadFile
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from gateway.core.errors import NotFound
from gateway.ops.recalls import RecallNoticeError
from gateway.ops.returns import ReturnError
from gateway.register.changes import EditError
from gateway.register.recalls import RecallError
from gateway.web import forms
from gateway.web.access import require_edit
from gateway.web.auth import Viewer, check_csrf, get_service, viewer
from gateway.web.exports import FORMATS
from gateway.web.pages import DocId, show_document
from gateway.web.paper import FORM_FIELDS
from gateway.web.procedure import Direction
from gateway.web.rendering import render
from gateway.web.responses import export_response
from gateway.web.service import SPOOL_ID, ExportFile, WebService

router = APIRouter(include_in_schema=False)
Service = Annotated[WebService, Depends(get_service)]
User = Annotated[Viewer, Depends(viewer)]
DraftToken = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{16,64}$")]
SpoolId = Annotated[str, Path(pattern=SPOOL_ID, max_length=200)]


# -- paper arrivals ---------------------------------------------------------------------------------------


@router.get("/paper")
def paper_page(request: Request, v: User, service: Service):
    require_edit(v.who)
    return render(request, "paper.html", viewer=v, draft=None, error="")


@router.post("/paper")
async def paper_upload(request: Request, v: User, service: Service, csrf: Annotated[str, Form()],
                       scan: Annotated[list[UploadFile] | None, Form()] = None):
    check_csrf(v, csrf)
    limit = service.config.limits.max_message_size
    files = []
    for upload in scan or []:
        data = await upload.read(limit + 1)
        if len(data) > limit:
            return render(request, "paper.html", status=400, viewer=v, draft=None,
                          error=f"Tệp {upload.filename} lớn quá giới hạn {limit // (1024 * 1024)} MB.")
        if data:
            files.append((upload.filename or "", data))
    try:  # the reader may OCR for seconds: in a worker thread, the other pages keep answering
        draft = await run_in_threadpool(service.paper.propose, v.who, files)
    except EditError as err:
        return render(request, "paper.html", status=400, viewer=v, draft=None, error=str(err))
    return RedirectResponse(f"/paper/{draft.token}", 303)


@router.get("/paper/{token}")
def paper_draft(request: Request, token: DraftToken, v: User, service: Service):
    draft = service.paper.draft(v.who, token)
    return render(request, "paper.html", viewer=v, draft=draft, typed=draft.fields, fields=FORM_FIELDS, error="",
                  review_below=service.config.web.review_below)


@router.post("/paper/{token}")
async def paper_take(request: Request, token: DraftToken, v: User, service: Service):
    form = await request.form()
    check_csrf(v, str(form.get("csrf", "")))
    typed = {name: str(form.get(name, "")) for name in FORM_FIELDS}
    try:
        spool_id = await run_in_threadpool(service.paper.take, v.who, token, typed)
    except EditError as err:
        draft = await run_in_threadpool(service.paper.draft, v.who, token)
        return render(request, "paper.html", status=400, viewer=v, draft=draft, typed=typed, fields=FORM_FIELDS,
                      error=str(err), review_below=service.config.web.review_below)
    return RedirectResponse(f"/paper/arrival/{spool_id}", 303)


@router.get("/paper/arrival/{spool_id}")
def paper_arrival(request: Request, spool_id: SpoolId, v: User, service: Service):
    state = service.paper.state(v.who, spool_id)
    if state.state == "registered":
        record = service.register.get_document(state.document_id)
        number = f"số đến {record.arrival_number}/{record.year}" if record.arrival_number else \
            "số đến chờ các văn bản nhận trước"
        return RedirectResponse(f"/documents/{state.document_id}?" + urlencode(
            {"msg": f"Đã vào sổ văn bản giấy: {number}"}), 303)
    return render(request, "paper_wait.html", viewer=v, spool_id=spool_id, state=state)


# -- on a document: the leader's direction, return, recall --------------------------------------------------


def _back(document_id: int, message: str, anchor: str = "") -> RedirectResponse:
    return RedirectResponse(f"/documents/{document_id}?" + urlencode({"msg": message}) + anchor, 303)


def _said(err: Exception) -> str:
    text = str(err).strip()
    return text[:1].upper() + text[1:] if text else text


@router.post("/documents/{document_id}/direction")
async def direction_form(request: Request, document_id: DocId, v: User, service: Service):
    form = await request.form()
    check_csrf(v, str(form.get("csrf", "")))
    lead = str(form.get("lead", ""))
    cooperate = tuple(str(c) for c in form.getlist("cooperate") if str(c) != lead)
    inform = tuple(str(c) for c in form.getlist("inform") if str(c) != lead and str(c) not in cooperate)
    due, opinion, leader = str(form.get("due_date", "")), str(form.get("opinion", "")), str(form.get("leader", ""))
    try:
        done = await run_in_threadpool(service.procedure.direct, v.who, document_id, Direction(
            opinion=opinion, lead=lead, cooperate=cooperate, inform=inform, due_date=forms.parse_date(due),
            leader=leader))
    except (EditError, NotFound) as err:
        roles = {lead: "lead", **{c: "cooperate" for c in cooperate}, **{c: "inform" for c in inform}}
        return await run_in_threadpool(show_document, request, v, service, document_id, status=400, error={
            "field": "direction", "message": _said(err), "opinion": opinion, "due": due, "leader": leader,
            "roles": roles})
    return _back(document_id, f"Đã ghi ý kiến chỉ đạo của {done}: chủ trì {lead}", "#direction")


@router.post("/documents/{document_id}/return")
def return_form(request: Request, document_id: DocId, csrf: Annotated[str, Form()], v: User, service: Service,
                reason: Annotated[str, Form()] = ""):
    check_csrf(v, csrf)
    try:
        done = service.procedure.return_document(v.who, document_id, reason)
    except (EditError, ReturnError) as err:
        return show_document(request, v, service, document_id, status=400, error={
            "field": "return", "message": _said(err), "reason": reason})
    return _back(document_id, f"Đã trả lại văn bản cho {done.recipient}"
                 f"{' (kèm gói tin trạng thái 02)' if done.edxml else ''}")


@router.post("/documents/{document_id}/recall")
def recall_form(request: Request, document_id: DocId, csrf: Annotated[str, Form()], v: User, service: Service,
                reason: Annotated[str, Form()] = "", source: Annotated[str, Form()] = "email",
                requested_by: Annotated[str, Form()] = "", decision: Annotated[str, Form()] = "accept",
                confirm: Annotated[str, Form()] = ""):
    check_csrf(v, csrf)
    try:
        if confirm != "yes":
            raise EditError("Đánh dấu ô xác nhận trước khi ghi thu hồi.")
        done = service.procedure.recall(v.who, document_id, reason, source, refuse=decision == "refuse",
                                        requested_by=requested_by)
    except (EditError, RecallNoticeError, RecallError) as err:
        return show_document(request, v, service, document_id, status=400, error={
            "field": "recall", "message": _said(err), "reason": reason})
    return _back(document_id, _recalled(done))


def _recalled(done) -> str:
    what = "Đã thu hồi văn bản: tệp và dữ liệu đã xoá, số đến giữ lại" if done.accepted else "Đã từ chối thu hồi"
    answer = f"; đã trả lời {done.answered_to}" if done.answered_to else \
        f"; không gửi trả lời ({done.not_answered})" if done.not_answered else ""
    return what + answer


@router.get("/documents/{document_id}/phieu.{fmt}")
def phieu_download(document_id: DocId, fmt: str, v: User, service: Service):
    name, data = service.procedure.phieu(v.who, document_id, fmt)
    return export_response(ExportFile(name, FORMATS[fmt], data, 1))


# -- on a held message: return it, answer a recall notice ----------------------------------------------------


def _to_quarantine(message: str, spool_id: str = "") -> RedirectResponse:
    target = f"/spool/quarantine/{spool_id}" if spool_id else "/spool/quarantine"
    return RedirectResponse(target + "?" + urlencode({"msg": message}), 303)


@router.post("/spool/quarantine/return")
def quarantine_return_form(spool_id: Annotated[str, Form(pattern=SPOOL_ID, max_length=200)],
                           csrf: Annotated[str, Form()], v: User, service: Service,
                           reason: Annotated[str, Form()] = ""):
    check_csrf(v, csrf)
    try:
        done = service.procedure.return_quarantined(v.who, spool_id, reason)
    except (EditError, ReturnError) as err:
        return _to_quarantine(f"Chưa trả lại được: {_said(err)}", spool_id)
    return _to_quarantine(f"Đã trả lại thư {spool_id} cho {done.recipient} (không lấy số đến)")


@router.post("/spool/quarantine/recall")
def quarantine_recall_form(spool_id: Annotated[str, Form(pattern=SPOOL_ID, max_length=200)],
                           csrf: Annotated[str, Form()], v: User, service: Service,
                           decision: Annotated[str, Form()] = "accept", document: Annotated[str, Form()] = "",
                           reason: Annotated[str, Form()] = ""):
    check_csrf(v, csrf)
    target = forms.parse_int(document)
    try:
        if document.strip() and target is None:
            raise EditError(f"«{document}» không phải mã văn bản.")
        done = service.procedure.answer_notice(v.who, spool_id, decision == "refuse", target or None, reason)
    except (EditError, RecallNoticeError, RecallError) as err:
        return _to_quarantine(f"Chưa thực hiện được: {_said(err)}", spool_id)
    return _back(done.document_id, _recalled(done))
