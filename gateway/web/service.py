"""The operations of the web UI and the JSON API, each checking the user's scope and writing the audit trail."""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, replace
from typing import Any
from zoneinfo import ZoneInfo

from gateway.core.config import Config
from gateway.core.errors import GatewayError, NotFound
from gateway.core.rfc822 import split_head
from gateway.core.values import Envelope
from gateway.ops import quarantine as quarantine_ops
from gateway.register.accounts import Principal
from gateway.register.decisions import RoutingView
from gateway.register.query import SearchQuery
from gateway.register.records import AssignmentView, DocumentRecord
from gateway.register.scope import Scope
from gateway.register.service import Register
from gateway.register.views import RegisterRow
from gateway.spool import Spool, SpoolEntryInfo, quarantine
from gateway.web import exports
from gateway.web.access import Forbidden, may_set_status, require_edit, scope_of

SPOOL_ID = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"


HEADERS_SHOWN = 64 * 1024  # characters of a quarantined message's header block shown, as text

COUNT_CAP = 1_000  # matches counted at most; the UI says "more than" beyond and pages on while pages are full
RELEVANCE_MAX = 999  # text searches with more matches list newest first


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
    signature: Any  # the signature report, when the understanding stage left one in field_sources


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

        Counting stops at COUNT_CAP (checking a unit's scope on every match of a common word costs too much). A text search with more than RELEVANCE_MAX matches and no chosen order
        lists them newest first instead of by relevance: ranking a large share of the register costs seconds
        at a million documents and says little; the exact-diacritics-first ranking stays for narrower searches.
        """
        scope = self.scope(who)
        query = replace(query, units=scope.units, include_secret=scope.include_secret)
        total = self.register.count_search(query, cap=COUNT_CAP)
        order = query.sort or ("relevance" if query.text.strip() else "-arrived")
        if query.text.strip() and not query.sort and total > RELEVANCE_MAX:
            query = replace(query, sort="-id")
            order = "-id"
        hits = self.register.search(query) if total else []
        if audit and query.text.strip():
            self.audit("web-search", who.name, text=query.text[:200], results=total)
        return SearchPage(total, total >= COUNT_CAP, order, self.views.rows([h.document_id for h in hits]))

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
            signature=signature_report(record),
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
        scope = self.scope(who)
        today = self.today()
        soon = self.config.web.due_soon_days
        counts = self.spool.counts() if self.spool is not None else {}
        return dict(
            today=today,
            arrivals_today=self.views.arrivals_on(scope, today),
            units=self.views.deadlines(scope, today, soon),
            due=self.views.overdue_list(scope, today, soon),
            bad=counts.get("bad", 0),
            quarantine=counts.get("quarantine"),  # None without a spool: the card shows "–"
        )

    def departments(self) -> list[tuple[str, str]]:
        return self.views.departments()

    # -- changing --------------------------------------------------------------------------------------

    def correct(self, who: Principal, document_id: int, changes: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
        """Correct fields (typed values) of a visible document: {field: (old, new)}."""
        require_edit(who)
        self._check(who, document_id)
        return self.register.changes.correct(document_id, changes, who.name)

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
            raise Forbidden(f"only staff of {unit} (or văn thư) may change its status")
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

    # -- exports ---------------------------------------------------------------------------------------

    def export(self, who: Principal, date_from: dt.date, date_to: dt.date, fmt: str) -> ExportFile:
        """The visible register lines of a date range as CSV, XLSX or the printable DOCX; audited."""
        if fmt not in exports.FORMATS:
            raise ExportError(f"format must be one of {', '.join(exports.FORMATS)}")
        rows = self.views.export_rows(self.scope(who), date_from, date_to)  # from after to: no rows
        title = self.config.register.main_name
        if fmt == "csv":
            data = exports.to_csv(rows)
        elif fmt == "xlsx":
            data = exports.to_xlsx(rows, f"{title} {date_from:%d/%m/%Y} - {date_to:%d/%m/%Y}")
        else:
            data = exports.to_docx(rows, title, self.config.register.agency_name, date_from, date_to)
        self.audit("web-export", who.name, format=fmt, date_from=date_from.isoformat(),
                           date_to=date_to.isoformat(), rows=len(rows))
        name = f"so-den-{date_from:%Y%m%d}-{date_to:%Y%m%d}.{fmt}"
        return ExportFile(name, exports.FORMATS[fmt], data, len(rows))


class ExportError(GatewayError):
    """An export asked for an unknown format or an impossible date range."""


def _check_spool_id(spool_id: str, queue: str) -> None:
    if not re.fullmatch(SPOOL_ID, spool_id):
        raise NotFound(f"no spool entry {spool_id!r} in {queue}")


def header_block(raw: bytes) -> str:
    """The header lines of a raw message as text (undecodable bytes replaced)."""
    head, _ = split_head(raw)
    return head.decode("utf-8", errors="replace").replace("\r\n", "\n")


def signature_report(record: DocumentRecord) -> Any:
    """The digital-signature report the understanding stage keeps in field_sources, if any (shown as it is)."""
    sources = record.field_sources or {}
    return sources.get("signature") or sources.get("signatures")
