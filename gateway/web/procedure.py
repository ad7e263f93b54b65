"""The web's share of the văn bản đến procedure (ND30 Điều 21-24) on a registered document or a held message: the
leader's direction, returning to the sender, recalls; each checks the user and calls the operation the CLI calls."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from gateway.core.config import Config
from gateway.ops import recalls as recall_ops
from gateway.ops import returns as return_ops
from gateway.register.accounts import Principal
from gateway.register.changes import DirectionInput, EditError
from gateway.register.recalls import LinkView, RecallView
from gateway.register.service import Register
from gateway.register.terms import ROLE_LANH_DAO
from gateway.register.views import DirectionView
from gateway.spool import Spool
from gateway.web import phieu
from gateway.web.access import Forbidden, require_edit, scope_of

RECALL_SOURCES = ("email", "paper", "phone")  # how a recall the văn thư records by hand came


@dataclass(frozen=True)
class Direction:
    """What the leader's direction form holds (units by code; the leader by user name, or the leader's own)."""

    opinion: str
    lead: str
    cooperate: tuple[str, ...] = ()
    inform: tuple[str, ...] = ()
    due_date: dt.date | None = None
    leader: str = ""  # the lãnh đạo's user name when someone records it for them


@dataclass(frozen=True)
class History:
    """A document's directions (the last in force), recalls and update/replace links."""

    directions: tuple[DirectionView, ...]
    recalls: tuple[RecallView, ...]
    links: tuple[LinkView, ...]
    people: dict[str, str]  # user name -> the name shown (who recorded a direction for whom)

    @property
    def direction(self) -> DirectionView | None:
        return self.directions[-1] if self.directions else None


class Procedure:
    """Directions, returns and recalls on behalf of one logged-in user at a time."""

    def __init__(self, config: Config, register: Register, spool: Spool) -> None:
        self.config = config
        self.register = register
        self.spool = spool

    def _check(self, who: Principal, document_id: int) -> None:
        self.register.views.check_visible(scope_of(who, self.config.web), document_id)

    def history(self, document_id: int) -> History:
        directions = self.register.views.directions(document_id)
        people = {u["name"]: u["full_name"] or u["name"] for u in self.register.accounts.list_users()} \
            if directions else {}
        return History(directions, self.register.recalls.recalls_of(document_id),
                       self.register.recalls.links_of(document_id), people)

    # -- the leader's direction (Điều 24) ---------------------------------------------------------------

    def may_direct(self, who: Principal) -> bool:
        """routing.direction_roles: the lãnh đạo, and the văn thư when the quy chế lets her record it for him."""
        return who.role in self.config.routing.direction_roles

    def leaders(self) -> list[tuple[str, str]]:
        """The active lãnh đạo users: (user name, name shown)."""
        return [(u["name"], u["full_name"] or u["name"]) for u in self.register.accounts.list_users()
                if u["role"] == ROLE_LANH_DAO and u["active"]]

    def direct(self, who: Principal, document_id: int, direction: Direction) -> str:
        """Record the direction: the units assigned as it says, forwarded, audited. Returns the leader's name."""
        if not self.may_direct(who):
            raise Forbidden("Chỉ lãnh đạo (hoặc người được quy chế giao ghi thay lãnh đạo) được ghi ý kiến chỉ đạo.")
        self._check(who, document_id)
        if who.role == ROLE_LANH_DAO:
            leader = who.full_name or who.name
        else:
            names = dict(self.leaders())
            if direction.leader not in names:
                raise EditError("Chọn lãnh đạo đã cho ý kiến chỉ đạo.")
            leader = names[direction.leader]
        if not direction.lead:
            raise EditError("Ý kiến chỉ đạo cần đúng một đơn vị chủ trì.")
        self.register.changes.direct(document_id, DirectionInput(
            directed_by=leader, opinion=direction.opinion.strip(), lead=direction.lead,
            cooperate=direction.cooperate, inform=direction.inform, due_date=direction.due_date),
            recorded_by=who.name)
        return leader

    # -- the phiếu giải quyết văn bản đến (Phụ lục IV) ----------------------------------------------------

    def phieu(self, who: Principal, document_id: int, fmt: str) -> tuple[str, bytes]:
        """The phiếu of a visible document as DOCX or PDF: (file name, bytes); audited."""
        if fmt not in ("docx", "pdf"):
            raise EditError("Phiếu in được dạng docx hoặc pdf.")
        self._check(who, document_id)
        data = render_phieu(self.register, self.config, document_id, fmt)
        self.register.record_event("phieu-printed", who.name, {"format": fmt}, document_id=document_id)
        return f"phieu-giai-quyet-{document_id}.{fmt}", data

    # -- return to the sender (Điều 21) -----------------------------------------------------------------

    def return_document(self, who: Principal, document_id: int, reason: str) -> return_ops.Returned:
        require_edit(who)
        self._check(who, document_id)
        return return_ops.return_registered(self.register, self.config, document_id, _reason(reason), who.name)

    def return_quarantined(self, who: Principal, spool_id: str, reason: str) -> return_ops.Returned:
        require_edit(who)
        return return_ops.return_quarantined(self.spool, self.register, self.config, spool_id, _reason(reason),
                                             who.name)

    # -- recalls (Điều 18.4.b) --------------------------------------------------------------------------

    def recall(self, who: Principal, document_id: int, reason: str, source: str, refuse: bool = False,
               requested_by: str = "") -> recall_ops.Recalled:
        require_edit(who)
        self._check(who, document_id)
        if source not in RECALL_SOURCES:
            raise EditError("Chọn thông báo thu hồi đến bằng thư điện tử, văn bản giấy hay điện thoại.")
        return recall_ops.recall_document(self.register, self.config, document_id, _reason(reason), who.name,
                                          refuse=refuse, requested_by=requested_by.strip(), source=source)

    def answer_notice(self, who: Principal, spool_id: str, refuse: bool, document_id: int | None,
                      reason: str = "") -> recall_ops.Recalled:
        """Agree to (or refuse) the recall notice held in quarantine; ``document_id`` names the document when
        the notice did not, or when the văn thư marks an ordinary e-mail as a recall of document N."""
        require_edit(who)
        if document_id is not None:
            self._check(who, document_id)
        return recall_ops.recall_from_notice(self.spool, self.register, self.config, spool_id, who.name,
                                             refuse=refuse, document_id=document_id, reason=reason.strip())


def render_phieu(register: Register, config: Config, document_id: int, fmt: str) -> bytes:
    """The phiếu of a document as DOCX or PDF bytes (the CLI's `gateway phieu` too)."""
    record = register.get_document(document_id)
    directions = register.views.directions(document_id)
    units = dict(register.views.departments(active_only=False))
    slip = phieu.slip_of(record, directions[-1] if directions else None, units, config.register.agency_name,
                         ZoneInfo(config.register.timezone))
    return phieu.to_docx(slip) if fmt == "docx" else phieu.to_pdf(slip)


def _reason(text: str) -> str:
    if not text.strip():
        raise EditError("Ghi lý do.")
    return text.strip()
