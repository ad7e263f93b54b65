"""The JSON API (/api/v1): the same operations as the pages, for an agency's e-office system, token-authenticated."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.encoders import jsonable_encoder
from fastapi.responses import Response
from pydantic import BaseModel, Field

from gateway.register.query import SORT_KEYS, SearchQuery
from gateway.web.accounts import Principal
from gateway.web.service import WebService

SortName = Literal[tuple(list(SORT_KEYS) + [f"-{k}" for k in SORT_KEYS] + [""])]  # type: ignore[valid-type]


class FieldChanges(BaseModel):
    """Corrections: field name to the new value as text ("" clears a date or number)."""

    fields: dict[str, str] = Field(min_length=1, max_length=20)


class AssignmentIn(BaseModel):
    role: Literal["lead", "cooperate", "inform"]
    due_date: dt.date | None = None
    note: str = Field("", max_length=2000)


class StatusIn(BaseModel):
    status: Literal["new", "in_progress", "done"]


class Ok(BaseModel):
    ok: bool = True


class Page(BaseModel):
    total: int
    offset: int
    limit: int
    items: list[dict[str, Any]]


def _row_json(row: Any) -> dict[str, Any]:
    data = jsonable_encoder(row)
    data["code"] = row.code
    return data


def router(service: WebService, api_user: Callable[..., Principal]) -> APIRouter:
    """The API routes, each bound to ``service`` and authenticated by ``api_user``."""
    r = APIRouter(tags=["register"])
    User = Depends(api_user)  # noqa: N806 - reads like a type in the signatures below

    @r.get("/me")
    def me(who: Principal = User) -> dict[str, Any]:
        """The user the token belongs to."""
        return jsonable_encoder(who)

    @r.get("/documents", response_model=Page)
    def documents(
        who: Principal = User,
        q: str = Query("", max_length=500, description="words; accents optional; \"phrases\"; OR"),
        date_from: dt.date | None = None, date_to: dt.date | None = None,
        sender: str = Query("", max_length=200),
        number: int | None = Query(None, ge=1, le=10_000_000), year: int | None = Query(None, ge=1900, le=3000),
        sort: SortName = "",  # type: ignore[valid-type]
        limit: int = Query(20, ge=1, le=500), offset: int = Query(0, ge=0, le=10_000_000),
    ) -> dict[str, Any]:
        """Register lines matching the search, within the caller's scope."""
        query = SearchQuery(text=q, date_from=date_from, date_to=date_to, sender=sender, arrival_number=number,
                            year=year, limit=limit, offset=offset, sort=sort)
        total, rows = service.search(who, query)
        return {"total": total, "offset": offset, "limit": limit, "items": [_row_json(row) for row in rows]}

    @r.get("/documents/{document_id}")
    def document(document_id: int, who: Principal = User) -> dict[str, Any]:
        """Everything about one document: fields with sources, e-mail, files, routing, assignments, audit."""
        view = service.document(who, document_id)
        return jsonable_encoder({"document": view.record, "assignments": view.assignments,
                                 "routing": view.routing, "signature": view.signature})

    @r.patch("/documents/{document_id}", response_model=dict[str, Any])
    def correct(document_id: int, changes: FieldChanges, who: Principal = User) -> dict[str, Any]:
        """Correct fields (văn thư, admin); the old and new values go to the audit trail."""
        out = {}
        for name, value in changes.fields.items():
            old, new = service.correct(who, document_id, name, value)
            out[name] = {"old": old, "new": new}
        return jsonable_encoder(out)

    @r.post("/documents/{document_id}/handled", response_model=Ok)
    def handled(document_id: int, who: Principal = User) -> Ok:
        """Mark the document handled (văn thư, admin)."""
        service.mark_handled(who, document_id)
        return Ok()

    @r.put("/documents/{document_id}/assignments/{unit}", response_model=Ok)
    def assign(document_id: int, unit: str, body: AssignmentIn, who: Principal = User) -> Ok:
        """Assign a unit (or change its role and deadline) (văn thư, admin)."""
        service.assign(who, document_id, unit, body.role, body.due_date, body.note)
        return Ok()

    @r.delete("/documents/{document_id}/assignments/{unit}", response_model=Ok)
    def unassign(document_id: int, unit: str, who: Principal = User) -> Ok:
        """Take a unit off the document (văn thư, admin)."""
        service.unassign(who, document_id, unit)
        return Ok()

    @r.put("/documents/{document_id}/assignments/{unit}/status", response_model=Ok)
    def status(document_id: int, unit: str, body: StatusIn, who: Principal = User) -> Ok:
        """Set a unit's handling status (that unit's chuyên viên, văn thư, admin)."""
        service.set_status(who, document_id, unit, body.status)
        return Ok()

    @r.get("/documents/{document_id}/files/{attachment_id}", response_class=Response,
           responses={200: {"content": {"application/octet-stream": {}}}})
    def download(document_id: int, attachment_id: int, who: Principal = User) -> Response:
        """The bytes of one file of the document (audited)."""
        from gateway.web.app import download_response

        return download_response(service.attachment(who, document_id, attachment_id, inline=False), inline=False)

    @r.get("/dashboard")
    def dashboard(who: Principal = User) -> dict[str, Any]:
        """Arrivals today, open, overdue and due-soon assignments per unit, bad/ and quarantine counts."""
        return jsonable_encoder(service.dashboard(who))

    @r.get("/departments")
    def departments(who: Principal = User) -> list[dict[str, str]]:
        """Active departments (units) documents can be assigned to."""
        return [{"code": c, "name": n} for c, n in service.departments()]

    @r.get("/export", response_class=Response,
           responses={200: {"content": {"text/csv": {}, "application/octet-stream": {}}}})
    def export(date_from: dt.date, date_to: dt.date, format: Literal["csv", "xlsx", "docx"] = "csv",
               who: Principal = User) -> Response:
        """The register lines of a date range as CSV, XLSX or the printable DOCX sổ (audited)."""
        from gateway.web.app import export_response

        return export_response(service.export(who, date_from, date_to, format))

    @r.get("/spool/bad")
    def bad(who: Principal = User) -> list[dict[str, Any]]:
        """Messages in bad/ (văn thư, admin)."""
        return jsonable_encoder(service.bad_list(who))

    @r.post("/spool/bad/{spool_id}/requeue", response_model=Ok)
    def requeue(spool_id: str, who: Principal = User) -> Ok:
        """Send a message from bad/ back to incoming/ (văn thư, admin)."""
        service.requeue(who, spool_id)
        return Ok()

    return r
