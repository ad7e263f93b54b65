"""The operations of the web UI and the JSON API, each checking the user's scope and writing the audit trail."""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, replace
from typing import Any
from zoneinfo import ZoneInfo

from gateway.core.config import Config
from gateway.core.errors import NotFound
from gateway.core.rfc822 import split_head
from gateway.core.values import Envelope
from gateway.ops import quarantine as quarantine_ops
from gateway.register import query as query_limits
from gateway.register.accounts import Principal, TokenInfo
from gateway.register.decisions import RoutingView
from gateway.register.query import SearchQuery
from gateway.register.records import AssignmentView, DocumentRecord
from gateway.register.scope import Scope
from gateway.register.service import Register
from gateway.register.terms import ROLE_CHUYEN_VIEN, ROLE_LEAD
from gateway.register.views import RegisterRow, WorkItem
from gateway.spool import Spool, SpoolEntryInfo, quarantine
from gateway.web import exports
from gateway.web.access import Forbidden, may_edit, may_set_status, require_admin, require_edit, scope_of
from gateway.web.exports import ExportError
from gateway.web.fields import FieldView, SignatureView, field_views, reader_notes, signature_views
from gateway.web.names import ShortNames
from gateway.web.paper import PaperDesk
from gateway.web.procedure import Procedure
from gateway.web.reasons import Said

SPOOL_ID = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"


HEADERS_SHOWN = 64 * 1024  # characters of a quarantined message's header block shown, as text

COUNT_CAP = query_limits.COUNT_CAP  # matches counted at most; the UI says "more than" beyond
RELEVANCE_MAX = query_limits.RELEVANCE_MAX  # text searches with more matches list newest first


@dataclass(frozen=True)
class SearchPage:
    """One page of a register search."""

    total: int  # COUNT_CAP when there are at least that many
    capped: bool
    order: str  # "relevance", or the sort key used ("-id": newest registered first)
    rows: list[RegisterRow]


@dataclass(frozen=True)
class DocumentView:
    """What the document page and GET /api/v1/documents/{id} show."""

    record: DocumentRecord
    assignments: tuple[AssignmentView, ...]
    routing: RoutingView | None
    fields: tuple[FieldView, ...]
    signatures: tuple[SignatureView, ...]
    notes: tuple[Said, ...]  # what the reader noticed, in Vietnamese

    @property
    def review(self) -> tuple[FieldView, ...]:
        """The fields still waiting for a person's look."""
        return tuple(f for f in self.fields if f.needs_review)

    @property
    def lead(self) -> AssignmentView | None:
        return next((a for a in self.assignments if a.role == ROLE_LEAD), None)

    @property
    def pdfs(self) -> tuple[Any, ...]:
        return tuple(a for a in self.record.attachments if a.sniffed_type == "pdf")


@dataclass(frozen=True)
class Download:
    filename: str
    data: bytes
    pdf: bool


@dataclass(frozen=True)
class QuarantineView:
    """One quarantined message: its summary, envelope, reason record and header block (text, never rendered)."""

    info: SpoolEntryInfo
    envelope: Envelope
    record: dict[str, Any]
    headers: str
    headers_cut: bool

    @property
    def quarantined_at(self) -> dt.datetime | None:
        try:
            return dt.datetime.fromisoformat(str(self.record.get("quarantined_at", "")))
        except ValueError:
            return None

    @property
    def details(self) -> list[tuple[str, str]]:
        """The reason record's details as (key, text) pairs, for showing as text."""
        detail = self.record.get("detail")
        if not isinstance(detail, dict):
            return []
        return [(str(k), v if isinstance(v, str) else json.dumps(v, ensure_ascii=False, indent=2, default=str))
                for k, v in sorted(detail.items(), key=lambda item: str(item[0]))]


@dataclass(frozen=True)
class ExportFile:
    filename: str
    media_type: str
    data: bytes
    rows: int


class WebService:
    """Register reads and changes on behalf of one logged-in user at a time."""

    def __init__(self, config: Config, register: Register, spool: Spool) -> None:
        self.config = config
        self.register = register
        self.views = register.views
        self.spool = spool
        self.timezone = ZoneInfo(config.register.timezone)
        self.short_name = ShortNames(config.web.short_names, config.web.abbreviate_names)
        self.paper = PaperDesk(config, register, spool)
        self.procedure = Procedure(config, register, spool)

    def scope(self, who: Principal) -> Scope:
        return scope_of(who, self.config.web)

    def today(self) -> dt.date:
        return dt.datetime.now(self.timezone).date()

    def audit(self, action: str, who: str, document_id: int | None = None, message_id: int | None = None,
              **detail: Any) -> None:
        """Record that someone viewed, searched, downloaded, exported or changed something."""
        self.register.record_event(action, who or "-", detail, message_id=message_id, document_id=document_id)

    # -- reading ---------------------------------------------------------------------------------------

    def search(self, who: Principal, query: SearchQuery, audit: bool = True) -> SearchPage:
        """One page of register rows matching ``query`` within the user's scope, and how many there are.

        Counting stops at COUNT_CAP, and a text search with more than RELEVANCE_MAX matches and no chosen order
        lists them newest first (Register.search_page, which the CLI uses too).
        """
        scope = self.scope(who)
        query = replace(query, units=scope.units, include_secret=scope.include_secret)
        found = self.register.search_page(query, COUNT_CAP, RELEVANCE_MAX)
        if audit and query.text.strip():
            self.audit("web-search", who.name, text=query.text[:200], results=found.total)
        return SearchPage(found.total, found.capped, found.order, self.views.rows([h.document_id for h in found.hits]))

    def _check(self, who: Principal, document_id: int) -> None:
        self.views.check_visible(self.scope(who), document_id)

    def document(self, who: Principal, document_id: int) -> DocumentView:
        """Everything about a visible document; the view is audited."""
        self._check(who, document_id)
        self.audit("web-view", who.name, document_id=document_id)
        record = self.register.get_document(document_id)
        routing = self.views.routing(document_id)
        return DocumentView(
            record=record,
            assignments=self.views.assignments(document_id),
            routing=routing if routing is not None and routing.decided_at is not None else None,
            fields=field_views(record, self.config.web.review_below),
            signatures=signature_views(record),
            notes=reader_notes(record),
        )

    def attachment(self, who: Principal, document_id: int, attachment_id: int, inline: bool) -> Download:
        """The bytes of one file of a visible document; the download (or preview) is audited."""
        self._check(who, document_id)
        found = self.views.attachment(document_id, attachment_id)
        data = self.register.blobs.get(found.sha256)
        self.audit("web-preview" if inline else "web-download", who.name, document_id=document_id,
                   message_id=found.message_id, attachment_id=attachment_id, filename=found.filename)
        return Download(found.filename or f"tep-{attachment_id}", data, found.sniffed_type == "pdf")

    def dashboard(self, who: Principal) -> dict[str, Any]:
        """Arrivals today, open work per unit (không tính để biết), what is due, the review queue's size, the
        spool's problem queues; for a chuyên viên also their unit's documents by deadline."""
        scope = self.scope(who)
        today = self.today()
        soon = self.config.web.due_soon_days
        counts = self.spool.counts() if self.spool is not None else {}
        review = SearchQuery(review_below=self.config.web.review_below, units=scope.units,
                             include_secret=scope.include_secret)
        review_count = self.register.count_search(review, cap=COUNT_CAP) if may_edit(who) else None
        return dict(
            today=today,
            soon_days=soon,
            arrivals_today=self.views.arrivals_on(scope, today),
            units=self.views.deadlines(scope, today, soon),
            due=self.views.overdue_list(scope, today, soon),
            review=review_count,  # for those who confirm; None for the others
            bad=counts.get("bad", 0),
            quarantine=counts.get("quarantine"),  # None without a spool: the card shows "–"
            work=self.work_list(who) if who.role == ROLE_CHUYEN_VIEN else [],
        )

    def work_list(self, who: Principal) -> list[WorkItem]:
        """A chuyên viên's unit's open work by deadline, then what the unit was sent để biết lately."""
        units = (who.unit_code,) if who.unit_code else ()
        return self.views.work_list(self.scope(who), units, self.today())

    def departments(self) -> list[tuple[str, str]]:
        return self.views.departments()

    # -- changing --------------------------------------------------------------------------------------

    def correct(self, who: Principal, document_id: int, changes: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
        """Correct fields (typed values) of a visible document: {field: (old, new)}. A field given the value it
        already has is confirmed instead: the person checked it and found it right."""
        require_edit(who)
        self._check(who, document_id)
        done = self.register.changes.correct(document_id, changes, who.name)
        same = [name for name, (old, new) in done.items() if old == new]
        if same:
            self.register.changes.confirm(document_id, same, who.name)
        return done

    def confirm(self, who: Principal, document_id: int, fields: list[str]) -> list[str]:
        """Record that the user checked these fields of a visible document against it; the fields confirmed."""
        require_edit(who)
        self._check(who, document_id)
        return self.register.changes.confirm(document_id, fields, who.name)

    def assign(self, who: Principal, document_id: int, unit: str, role: str, due: dt.date | None, note: str = "") -> None:
        require_edit(who)
        self._check(who, document_id)
        self.register.changes.assign(document_id, unit, role, due, who.name, note)

    def unassign(self, who: Principal, document_id: int, unit: str) -> None:
        require_edit(who)
        self._check(who, document_id)
        self.register.changes.unassign(document_id, unit, who.name)

    def set_status(self, who: Principal, document_id: int, unit: str, status: str) -> None:
        self._check(who, document_id)
        if not may_set_status(who, unit):
            raise Forbidden(f"Chỉ chuyên viên của đơn vị {unit} (hoặc văn thư) được đổi trạng thái của đơn vị này.")
        self.register.changes.set_status(document_id, unit, status, who.name)

    def mark_handled(self, who: Principal, document_id: int) -> None:
        require_edit(who)
        self._check(who, document_id)
        self.register.changes.mark_handled(document_id, who.name)

    # -- spool -----------------------------------------------------------------------------------------

    def bad_list(self, who: Principal) -> list[Any]:
        require_edit(who)
        return self.spool.list("bad")

    def requeue(self, who: Principal, spool_id: str) -> None:
        require_edit(who)
        _check_spool_id(spool_id, "bad")
        self.spool.requeue(spool_id)
        self.audit("spool-requeued", who.name, spool_id=spool_id)

    def quarantine_list(self, who: Principal) -> list[SpoolEntryInfo]:
        require_edit(who)
        return self.spool.list("quarantine")

    def quarantine_show(self, who: Principal, spool_id: str) -> QuarantineView:
        require_edit(who)
        _check_spool_id(spool_id, "quarantine")
        info, envelope, raw, record = quarantine.show(self.spool, spool_id)
        headers = header_block(raw)
        return QuarantineView(info, envelope, record, headers[:HEADERS_SHOWN], len(headers) > HEADERS_SHOWN)

    def release(self, who: Principal, spool_id: str) -> None:
        """Send a quarantined message to incoming/ as released by this user (the trust check lets it by)."""
        require_edit(who)
        _check_spool_id(spool_id, "quarantine")
        quarantine_ops.release(self.spool, self.register, spool_id, who.name)

    def delete_quarantined(self, who: Principal, spool_id: str) -> None:
        """Delete a quarantined message; its audit record (sender, recipients, subject, reason) is written first."""
        require_edit(who)
        _check_spool_id(spool_id, "quarantine")
        quarantine_ops.delete(self.spool, self.register, spool_id, who.name)

    # -- users (admins) -------------------------------------------------------------------------------

    def users(self, who: Principal) -> tuple[list[dict[str, Any]], list[TokenInfo]]:
        """Every user and every live API token."""
        require_admin(who)
        accounts = self.register.accounts
        return accounts.list_users(), accounts.list_tokens()

    def set_user_active(self, who: Principal, name: str, active: bool) -> None:
        """Enable or disable a user (not oneself): a disabled user's sessions and tokens stop working at once."""
        require_admin(who)
        _not_self(who, name)
        self.register.accounts.set_active(name, active, who.name)

    def delete_user(self, who: Principal, name: str) -> None:
        require_admin(who)
        _not_self(who, name)
        self.register.accounts.delete_user(name, who.name)

    def revoke_token(self, who: Principal, token_id: int) -> str:
        require_admin(who)
        return self.register.accounts.revoke_token(token_id, who.name)

    # -- exports ---------------------------------------------------------------------------------------

    def export(self, who: Principal, date_from: dt.date, date_to: dt.date, fmt: str) -> ExportFile:
        """The visible register lines of a date range as CSV, XLSX or the printable DOCX or PDF sổ; audited."""
        if fmt not in exports.FORMATS:
            raise ExportError(f"Định dạng phải là một trong {', '.join(exports.FORMATS)}.")
        rows = self.views.export_rows(self.scope(who), date_from, date_to)  # from after to: no rows
        title = self.config.register.main_name
        if fmt == "csv":
            data = exports.to_csv(rows)
        elif fmt == "xlsx":
            data = exports.to_xlsx(rows, f"{title} {date_from:%d/%m/%Y} - {date_to:%d/%m/%Y}")
        else:
            book = exports.Book(title, self.config.register.agency_name, date_from, date_to,
                                self.config.register.timezone)
            data = exports.to_docx(rows, book) if fmt == "docx" else exports.to_pdf(rows, book)
        self.audit("web-export", who.name, format=fmt, date_from=date_from.isoformat(),
                           date_to=date_to.isoformat(), rows=len(rows))
        name = f"so-den-{date_from:%Y%m%d}-{date_to:%Y%m%d}.{fmt}"
        return ExportFile(name, exports.FORMATS[fmt], data, len(rows))


def _check_spool_id(spool_id: str, queue: str) -> None:
    if not re.fullmatch(SPOOL_ID, spool_id):
        raise NotFound(f"Không có thư {spool_id} trong hàng đợi.")


def _not_self(who: Principal, name: str) -> None:
    if who.name == name:
        raise Forbidden("Không tự khoá hoặc tự xoá tài khoản của mình được (dùng lệnh gateway user nếu cần).")


def header_block(raw: bytes) -> str:
    """The header lines of a raw message as text (undecodable bytes replaced)."""
    head, _ = split_head(raw)
    return head.decode("utf-8", errors="replace").replace("\r\n", "\n")
