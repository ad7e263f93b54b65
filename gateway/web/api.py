"""The JSON API (/api/v1): the same operations as the pages, for an agency's e-office system, token-authenticated."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query
from fastapi.encoders import jsonable_encoder
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from gateway.register.accounts import Principal
from gateway.register.changes import EditError
from gateway.register.query import SORT_KEYS, SearchQuery
from gateway.web import forms
from gateway.web.access import Conflict
from gateway.web.auth import api_user, get_service
from gateway.web.exports import FORMATS
from gateway.web.procedure import Direction
from gateway.web.responses import download_response, export_response
from gateway.web.service import SPOOL_ID, ExportFile, WebService

SortName = Literal[tuple(list(SORT_KEYS) + [f"-{k}" for k in SORT_KEYS] + [""])]  # type: ignore[valid-type]


DocId = Annotated[int, Path(ge=1, le=2_147_483_647)]  # ids fit a 32-bit column on both backends
SpoolId = Annotated[str, Path(pattern=SPOOL_ID, max_length=200)]
_Text = Annotated[str, Field(max_length=4000)]


class FieldValues(BaseModel):
    """New values of the fields to correct; a field left out is not touched, null clears a date or number."""

    model_config = ConfigDict(extra="forbid")
    code_number: _Text | None = None
    code_notation: _Text | None = None
    place: _Text | None = None
    organ_name: _Text | None = None
    organ_id: _Text | None = None
    type_name: _Text | None = None
    type_code: _Text | None = None
    subject: Annotated[str, Field(max_length=4000, pattern=r"[^\s]")] | None = None
    signer_position: _Text | None = None
    signer_name: _Text | None = None
    addressees: _Text | None = None
    to_places: _Text | None = None
    description: _Text | None = None
    issued_date: dt.date | None = None
    due_date: dt.date | None = None
    urgency: Annotated[int, Field(ge=0, le=3)] | None = None
    secrecy: Annotated[int, Field(ge=0, le=3)] | None = None
    page_amount: Annotated[int, Field(ge=0, le=1_000_000)] | None = None


class FieldChanges(BaseModel):
    """Corrections of one document."""

    fields: FieldValues


class Confirmation(BaseModel):
    """Fields the caller checked against the document and found right (what the reader found stays)."""

    model_config = ConfigDict(extra="forbid")
    fields: list[Literal[tuple(FieldValues.model_fields)]] = Field(min_length=1, max_length=30)  # type: ignore[valid-type]


class Confirmed(BaseModel):
    confirmed: list[str] = Field(description="the fields confirmed now (one confirmed or typed before is left)")


class AssignmentIn(BaseModel):
    role: Literal["lead", "cooperate", "inform"]
    due_date: dt.date | None = None
    note: str = Field("", max_length=2000)


class DirectionIn(BaseModel):
    """A leader's direction (ND30 Điều 24): exactly one lead unit, others cooperating or informed, a deadline."""

    model_config = ConfigDict(extra="forbid")
    opinion: str = Field("", max_length=4000, description="ý kiến chỉ đạo")
    lead: str = Field(min_length=1, max_length=64, description="the one chủ trì unit's code")
    cooperate: list[Annotated[str, Field(max_length=64)]] = Field([], max_length=100)
    inform: list[Annotated[str, Field(max_length=64)]] = Field([], max_length=100)
    due_date: dt.date | None = None
    leader: str = Field("", max_length=200, description="the lãnh đạo's user name, when the caller records it for "
                                                         "them (a lãnh đạo's own token: left empty)")


class ReasonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=4000)


class RecallIn(ReasonIn):
    source: Literal["email", "paper", "phone"] = "email"
    refuse: bool = False
    requested_by: str = Field("", max_length=400)


class StatusIn(BaseModel):
    status: Literal["new", "in_progress", "done"]


class Problem(BaseModel):
    detail: Any


class Ok(BaseModel):
    ok: bool = True


class Page(BaseModel):
    total: int
    total_capped: bool = Field(description="true when there are at least `total` matches (counting stops there)")
    order: str = Field(description="relevance, or the sort used; broad text searches come newest first (-id)")
    offset: int
    limit: int
    items: list[dict[str, Any]]


class QuarantineEntry(BaseModel):
    """One message in quarantine/: parsed, but not trusted or not allowed."""

    spool_id: str
    received_at: dt.datetime | None
    mail_from: str
    rcpt_tos: list[str]
    subject: str
    size: int = Field(description="bytes of the raw message")
    reason: str


class QuarantineDetail(QuarantineEntry):
    """A quarantined message with its envelope, full reason record and header block (as text)."""

    source: str = Field(description="smtp, imap or import")
    peer: str
    helo: str
    source_ref: str
    quarantined_at: str
    detail: dict[str, Any] = Field(description="what the trust check or limit found, as recorded")
    headers: str = Field(description="the message's header lines as text, cut at 64 KiB")
    headers_cut: bool


class Released(Ok):
    spool_id: str


def _entry(info: Any) -> dict[str, Any]:
    return {"spool_id": info.spool_id, "received_at": info.received_at, "mail_from": info.mail_from,
            "rcpt_tos": list(info.rcpt_tos), "subject": info.subject, "size": info.size, "reason": info.reason}


def _row_json(row: Any) -> dict[str, Any]:
    data = jsonable_encoder(row)
    data["code"] = row.code
    return data


router = APIRouter(tags=["register"], responses={
    400: {"model": Problem, "description": "the change or export cannot be made as asked"},
    401: {"model": Problem, "description": "no valid API token"},
    403: {"model": Problem, "description": "the caller's role may not do this"},
    404: {"model": Problem, "description": "no such thing within the caller's scope"},
    503: {"model": Problem, "description": "the register cannot answer"},
})
User = Depends(api_user)
Service = Annotated[WebService, Depends(get_service)]
CONFLICT = {409: {"model": Problem, "description": "the document's state refuses it (returned, recalled, an "
                                                   "unauthenticated sender, no leader named)"}}


@router.get("/me")
def me(service: Service, who: Principal = User) -> dict[str, Any]:
    """The user the token belongs to."""
    return jsonable_encoder(who)


@router.get("/documents", response_model=Page)
def documents(
    service: Service,
    who: Principal = User,
    q: str = Query("", max_length=500, description="words; accents optional; \"phrases\"; OR"),
    date_from: dt.date | None = None, date_to: dt.date | None = None,
    sender: str = Query("", max_length=200),
    number: int | None = Query(None, ge=1, le=10_000_000), year: int | None = Query(None, ge=1900, le=3000),
    review: bool = Query(False, description="only documents with a read field below web.review_below that nobody "
                                            "has confirmed or corrected yet"),
    sort: SortName = "",  # type: ignore[valid-type]
    limit: int = Query(20, ge=1, le=500), offset: int = Query(0, ge=0, le=10_000_000),
) -> dict[str, Any]:
    """Register lines matching the search, within the caller's scope."""
    query = SearchQuery(text=q, date_from=date_from, date_to=date_to, sender=sender, arrival_number=number,
                        year=year, limit=limit, offset=offset, sort=sort,
                        review_below=service.config.web.review_below if review else None)
    page = service.search(who, query)
    return {"total": page.total, "total_capped": page.capped, "order": page.order, "offset": offset,
            "limit": limit, "items": [_row_json(row) for row in page.rows]}


@router.get("/documents/{document_id}")
def document(document_id: DocId, service: Service, who: Principal = User) -> dict[str, Any]:
    """Everything about one document: fields with sources, e-mail, files (each with its digital signatures),
    routing, assignments, audit; and the fields still waiting for a person's look (review)."""
    view = service.document(who, document_id)
    return jsonable_encoder({"document": view.record, "assignments": view.assignments,
                             "routing": view.routing, "signatures": view.signatures,
                             "review": [f.name for f in view.review]})


@router.patch("/documents/{document_id}", response_model=dict[str, Any])
def correct(document_id: DocId, changes: FieldChanges, service: Service, who: Principal = User) -> dict[str, Any]:
    """Correct fields (văn thư, admin); the old and new values go to the audit trail."""
    typed = {}
    for name in changes.fields.model_fields_set:
        value = getattr(changes.fields, name)
        text = "" if value is None else value.isoformat() if isinstance(value, dt.date) else str(value)
        typed[name] = forms.parse_field(name, text)
    done = service.correct(who, document_id, typed)
    return jsonable_encoder({name: {"old": old, "new": new} for name, (old, new) in done.items()})


@router.post("/documents/{document_id}/confirm", response_model=Confirmed)
def confirm(document_id: DocId, body: Confirmation, service: Service, who: Principal = User) -> Confirmed:
    """Record that the caller checked these fields against the document (văn thư, admin; audited as
    field-confirmed); they leave the review queue."""
    return Confirmed(confirmed=service.confirm(who, document_id, list(body.fields)))


@router.post("/documents/{document_id}/handled", response_model=Ok)
def handled(document_id: DocId, service: Service, who: Principal = User) -> Ok:
    """Mark the document handled (văn thư, admin)."""
    service.mark_handled(who, document_id)
    return Ok()


@router.put("/documents/{document_id}/assignments/{unit}", response_model=Ok)
def assign(document_id: DocId, unit: str, body: AssignmentIn, service: Service, who: Principal = User) -> Ok:
    """Assign a unit (or change its role and deadline) (văn thư, admin). A document has one chủ trì: a second
    lead is refused with 400 until the first is made phối hợp or taken off."""
    service.assign(who, document_id, unit, body.role, body.due_date, body.note)
    return Ok()


@router.post("/documents/{document_id}/direction", response_model=Ok, responses=CONFLICT)
def direction(document_id: DocId, body: DirectionIn, service: Service, who: Principal = User) -> Ok:
    """Record a leader's direction (routing.direction_roles): the units are assigned as it says, those left out
    are taken off, units not yet sent the document get a forward; audited as direction-recorded."""
    cooperate = tuple(dict.fromkeys(c for c in body.cooperate if c != body.lead))
    inform = tuple(dict.fromkeys(c for c in body.inform if c != body.lead and c not in cooperate))
    with _conflict():
        service.procedure.direct(who, document_id, Direction(
            opinion=body.opinion, lead=body.lead, cooperate=cooperate, inform=inform, due_date=body.due_date,
            leader=body.leader))
    return Ok()


@router.post("/documents/{document_id}/return", response_model=Ok, responses=CONFLICT)
def return_document(document_id: DocId, body: ReasonIn, service: Service, who: Principal = User) -> Ok:
    """Return the document to its (authenticated) sender with the reason (văn thư, admin; ND30 Điều 21); it keeps
    its số đến, marked returned."""
    with _conflict():
        service.procedure.return_document(who, document_id, body.reason)
    return Ok()


@router.post("/documents/{document_id}/recall", response_model=Ok, responses=CONFLICT)
def recall(document_id: DocId, body: RecallIn, service: Service, who: Principal = User) -> Ok:
    """Record the sender's recall (văn thư, admin; ND30 Điều 18.4.b): agreed, the document's files and fields are
    removed and its số đến stays, marked recalled; refused, nothing is removed."""
    with _conflict():
        service.procedure.recall(who, document_id, body.reason, body.source, refuse=body.refuse,
                                 requested_by=body.requested_by)
    return Ok()


@contextlib.contextmanager
def _conflict() -> Iterator[None]:
    """A refusal by the document's state (returned, recalled, one chủ trì, no leader named) as 409."""
    try:
        yield
    except EditError as err:
        raise Conflict(str(err)) from err


@router.get("/documents/{document_id}/phieu", response_class=Response,
            responses={200: {"content": {"application/pdf": {}, FORMATS["docx"]: {}}}})
def phieu(document_id: DocId, service: Service, format: Literal["pdf", "docx"] = "pdf",
          who: Principal = User) -> Response:
    """The Phiếu giải quyết văn bản đến (ND30 Phụ lục IV) of the document, with the direction in force."""
    name, data = service.procedure.phieu(who, document_id, format)
    return export_response(ExportFile(name, FORMATS[format], data, 1))


@router.delete("/documents/{document_id}/assignments/{unit}", response_model=Ok)
def unassign(document_id: DocId, unit: str, service: Service, who: Principal = User) -> Ok:
    """Take a unit off the document (văn thư, admin)."""
    service.unassign(who, document_id, unit)
    return Ok()


@router.put("/documents/{document_id}/assignments/{unit}/status", response_model=Ok)
def status(document_id: DocId, unit: str, body: StatusIn, service: Service, who: Principal = User) -> Ok:
    """Set a unit's handling status (that unit's chuyên viên, văn thư, admin)."""
    service.set_status(who, document_id, unit, body.status)
    return Ok()


@router.get("/documents/{document_id}/files/{attachment_id}", response_class=Response,
       responses={200: {"content": {"application/octet-stream": {}}}})
def download(document_id: DocId, attachment_id: DocId, service: Service, who: Principal = User) -> Response:
    """The bytes of one file of the document (audited)."""
    return download_response(service.attachment(who, document_id, attachment_id, inline=False), inline=False)


@router.get("/dashboard")
def dashboard(service: Service, who: Principal = User) -> dict[str, Any]:
    """Arrivals today, open, overdue and due-soon assignments per unit, bad/ and quarantine counts."""
    return jsonable_encoder(service.dashboard(who))


@router.get("/departments")
def departments(service: Service, who: Principal = User) -> list[dict[str, str]]:
    """Active departments (units) documents can be assigned to."""
    return [{"code": c, "name": n} for c, n in service.departments()]


@router.get("/export", response_class=Response,
       responses={200: {"content": {media.split(";")[0]: {} for media in FORMATS.values()}}})
def export(date_from: dt.date, date_to: dt.date, service: Service,
           format: Literal["csv", "xlsx", "docx", "pdf"] = "csv", who: Principal = User) -> Response:
    """The register lines of a date range as CSV, XLSX or the printable sổ as DOCX or PDF (audited)."""
    return export_response(service.export(who, date_from, date_to, format))


@router.get("/spool/bad")
def bad(service: Service, who: Principal = User) -> list[dict[str, Any]]:
    """Messages in bad/ (văn thư, admin)."""
    return jsonable_encoder(service.bad_list(who))


@router.post("/spool/bad/{spool_id}/requeue", response_model=Ok)
def requeue(spool_id: SpoolId, service: Service, who: Principal = User) -> Ok:
    """Send a message from bad/ back to incoming/ (văn thư, admin)."""
    service.requeue(who, spool_id)
    return Ok()


@router.get("/spool/quarantine", response_model=list[QuarantineEntry])
def quarantined(service: Service, who: Principal = User) -> list[dict[str, Any]]:
    """Messages in quarantine/ with their reasons, oldest first (văn thư, admin)."""
    return [_entry(info) for info in service.quarantine_list(who)]


@router.get("/spool/quarantine/{spool_id}", response_model=QuarantineDetail)
def quarantined_one(spool_id: SpoolId, service: Service, who: Principal = User) -> dict[str, Any]:
    """One quarantined message: envelope, reason with its details, header lines (văn thư, admin)."""
    view = service.quarantine_show(who, spool_id)
    env, record = view.envelope, view.record
    return {**_entry(view.info), "source": env.source, "peer": env.peer, "helo": env.helo,
            "source_ref": env.source_ref, "quarantined_at": str(record.get("quarantined_at", "")),
            "detail": record.get("detail") if isinstance(record.get("detail"), dict) else {},
            "headers": view.headers, "headers_cut": view.headers_cut}


@router.post("/spool/quarantine/{spool_id}/release", response_model=Released)
def release(spool_id: SpoolId, service: Service, who: Principal = User) -> Released:
    """Send a quarantined message to incoming/, released by the caller: registered, trust check skipped
    (văn thư, admin; audited)."""
    service.release(who, spool_id)
    return Released(spool_id=spool_id)


@router.delete("/spool/quarantine/{spool_id}", response_model=Ok)
def delete_quarantined(spool_id: SpoolId, service: Service, who: Principal = User) -> Ok:
    """Delete a quarantined message for good; an audit event keeps its sender, recipients, subject and reason
    (văn thư, admin)."""
    service.delete_quarantined(who, spool_id)
    return Ok()
