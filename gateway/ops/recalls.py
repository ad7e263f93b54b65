"""Recall notices and newer versions of documents (ND30 Điều 18.4.b; edXML BusinessDocType 1 thu hồi, 2 cập nhật,
3 thay thế). A recall notice is never registered as a new document: it waits in quarantine until the văn thư agrees
(the recalled document's files and fields are removed, its số đến stays "đã thu hồi") or refuses; the sender gets
the answer (edXML status 15 or 16 when it wrote edXML). An update or a replacement is registered and linked to the
version it supersedes."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from dataclasses import dataclass

from gateway.core.config import Config
from gateway.core.errors import GatewayError, NotFound, Quarantined
from gateway.core.values import AuthResults, DocumentMeta
from gateway.edxml.parse import DocumentKey, first_package, parse_document_id
from gateway.edxml.status import STATUS_CODES, status_package
from gateway.mail.parse import parse_message
from gateway.outbox.compose import ExtraAttachment, build_recall_answer
from gateway.register.arrivals import NewArrival
from gateway.register.outbox import QueuedMail
from gateway.register.recalls import RecallRequest
from gateway.register.service import Register
from gateway.spool import Spool, quarantine
from gateway.trust import passed

log = logging.getLogger(__name__)
BUSINESS_KINDS = {"1": "recall", "2": "update", "3": "replace"}
RECALL_NOTICE = "recall"  # the "kind" of a held recall notice's record


class RecallNoticeError(GatewayError):
    """A recall that cannot be carried out as asked (no document named, not a recall notice…)."""


@dataclass(frozen=True)
class Business:
    """What an edXML package says it is about, when it is not a new document."""

    kind: str  # recall, update, replace
    about: str  # the DocumentId it names
    key: DocumentKey | None
    reason: str


@dataclass(frozen=True)
class Recalled:
    """What a recall did: the document, agreed or refused, and to whom the answer went (or why none did)."""

    document_id: int
    accepted: bool
    answered_to: str
    answer_message_id: str
    edxml: bool
    not_answered: str = ""


def business_of(meta: DocumentMeta) -> Business | None:
    """The recall, update or replacement an edXML package announces; None for a new document."""
    kind = BUSINESS_KINDS.get(meta.get("business_doc_type").strip())
    if kind is None:
        return None
    about = meta.get("business_document_id") or meta.get("document_id")
    return Business(kind, about, parse_document_id(about), meta.get("business_reason"))


def target_of(register: Register, business: Business) -> int | None:
    """The registered document a recall, update or replacement is about; None when none matches."""
    key = business.key
    if key is None:
        return None
    return register.recalls.find_by_code(key.organ_id, key.code_number, key.code_notation, key.issued)


def check_business(arrival: NewArrival, register: Register) -> NewArrival:
    """For the pipeline: hold a recall notice for the văn thư (raises Quarantined), link an update or a
    replacement to the version it supersedes. A notice an operator released is registered as it is."""
    business = business_of(arrival.meta)
    if business is None or arrival.spooled.envelope.released_by:
        return arrival
    target = target_of(register, business)
    if business.kind == RECALL_NOTICE:
        auth = arrival.extracted.auth
        named = f"văn bản {business.key.code_number}/{business.key.code_notation}" if business.key else \
            f"văn bản {business.about or '(không ghi mã)'}"
        found = f" (văn bản mã {target} trong sổ)" if target else " (chưa tìm thấy trong sổ)"
        raise Quarantined(f"thông báo thu hồi {named}{found}: chờ văn thư đồng ý hoặc từ chối", {
            "kind": RECALL_NOTICE, "document": target, "about": business.about, "reason": business.reason,
            "from": arrival.extracted.message.from_addr, "spf": auth.spf, "dkim": auth.dkim, "dmarc": auth.dmarc})
    if target is None:
        log.warning("spool %s: edXML %s of %s, which is not in the register: registered without a link",
                    arrival.spooled.spool_id, business.kind, business.about)
        return arrival
    return dataclasses.replace(arrival, links=((business.kind, target),))


def recall_document(register: Register, config: Config, document_id: int, reason: str, actor: str, *,
                    refuse: bool = False, requested_by: str = "", source: str = "email") -> Recalled:
    """The văn thư records a recall the sender asked for by e-mail, paper or phone: agreed, the document's files
    and fields go; the answer goes to the document's sender when it was authenticated."""
    record = register.get_document(document_id)
    if record.status == "recalled":
        register.recalls.remove_unreferenced(register.recalls.leftovers(document_id))  # after a crash, if any
        raise RecallNoticeError(f"văn bản mã {document_id} đã thu hồi")
    auth = AuthResults(spf=record.auth.get("spf", "none"), dkim=record.auth.get("dkim", "none"),
                       dmarc=record.auth.get("dmarc", "none"))
    raw = _raw_or_empty(register, record.message_sha256)
    package = first_package(parse_message(raw, config.limits).parts) if raw else None
    return _carry_out(register, config, document_id, reason, actor, refuse=refuse,
                      requested_by=requested_by or record.from_addr, source=source, reply_to=record.from_addr,
                      auth=auth, in_reply_to=record.message_id_header or "", edxml=package.fields if package else None,
                      code="/".join(p for p in (record.code_number, record.code_notation) if p),
                      notice_sha256="", requested_at=None)


def recall_from_notice(spool: Spool, register: Register, config: Config, spool_id: str, actor: str, *,
                       refuse: bool = False, document_id: int | None = None, reason: str = "") -> Recalled:
    """Answer a recall notice held in quarantine: agree (the document named in it, or ``document_id``, loses its
    files and fields) or refuse; the notice is kept with the recall record and leaves the quarantine."""
    info, envelope, raw, held = quarantine.show(spool, spool_id)
    detail = held.get("detail") or {}
    if detail.get("kind") != RECALL_NOTICE and document_id is None:
        raise RecallNoticeError(f"thư {spool_id} không phải thông báo thu hồi: ghi --document N để thu hồi văn bản N")
    target = document_id or detail.get("document")
    if not target:
        raise RecallNoticeError("chưa tìm thấy văn bản bị thu hồi trong sổ: ghi --document N")
    parsed = parse_message(raw, config.limits)
    package = first_package(parsed.parts)
    auth = AuthResults(spf=str(detail.get("spf", "none")), dkim=str(detail.get("dkim", "none")),
                       dmarc=str(detail.get("dmarc", "none")))
    record = register.get_document(int(target))
    fields = dict(package.fields) if package else None
    result = _carry_out(
        register, config, int(target), reason or str(detail.get("reason") or "") or "theo thông báo thu hồi của nơi gửi",
        actor, refuse=refuse, requested_by=(fields or {}).get("organ_name") or parsed.from_addr,
        source="edxml" if package else "email", reply_to=parsed.from_addr, auth=auth,
        in_reply_to=parsed.message_id, edxml=fields,
        code="/".join(p for p in (record.code_number, record.code_notation) if p),
        notice_sha256=register.blobs.put(raw), requested_at=info.received_at)
    quarantine.delete(spool, spool_id)  # kept as the recall's notice blob and in the audit trail
    return result


def _carry_out(register: Register, config: Config, document_id: int, reason: str, actor: str, *, refuse: bool,
               requested_by: str, source: str, reply_to: str, auth: AuthResults, in_reply_to: str,
               edxml: dict[str, str] | None, code: str, notice_sha256: str,
               requested_at: dt.datetime | None) -> Recalled:
    answer, not_answered = None, ""
    if not reply_to:
        not_answered = "không có địa chỉ người gửi để trả lời"
    elif not passed(auth):
        not_answered = (f"không trả lời {reply_to}: người gửi chưa được xác thực (SPF/DKIM/DMARC), địa chỉ có thể bị "
                        "giả mạo")
    else:
        answer = _answer(register, config, reply_to.strip().lower(), code, not refuse, reason, in_reply_to, edxml)
    request = RecallRequest(reason=reason, requested_by=requested_by, requested_at=requested_at, source=source,
                            refuse=refuse, notice_sha256=notice_sha256)
    view = register.recalls.recall(document_id, request, actor, answer)
    return Recalled(document_id, not refuse, answer[0].recipient if answer else "", view.answer_message_id,
                    edxml is not None, not_answered)


def _answer(register: Register, config: Config, recipient: str, code: str, accepted: bool, reason: str,
            in_reply_to: str, edxml: dict[str, str] | None) -> tuple[QueuedMail, str]:
    """The answer mail to the sender, stored as a blob; queued by the recall's own transaction."""
    domain = config.outbox.from_address.rpartition("@")[2] or "localhost"
    mail = QueuedMail.new("status", recipient, domain, in_reply_to=in_reply_to, priority=1)
    now = dt.datetime.now(dt.timezone.utc)
    extra = []
    status = "15" if accepted else "16"
    if edxml is not None:
        extra.append(ExtraAttachment(f"status-{status}.edxml", "application/xml", status_package(
            subject_code_number=edxml.get("code_number", ""), subject_code_notation=edxml.get("code_notation", ""),
            from_organ_id=config.register.organ_id, from_organ_name=config.register.agency_name,
            to_organ_id=edxml.get("organ_id", ""), to_organ_name=edxml.get("organ_name", ""), status_code=status,
            description=f"{STATUS_CODES[status]}: {reason}", at=now,
            document_id=edxml.get("business_document_id") or edxml.get("document_id", ""))))
    body = build_recall_answer(sender=config.outbox.from_address, recipient=recipient,
                               agency=config.register.agency_name, document=code, accepted=accepted, reason=reason,
                               original_message_id=in_reply_to, message_id=mail.message_id, when=now,
                               loop_id=config.loop_id, extra=extra)
    return mail, register.blobs.put(body)


def _raw_or_empty(register: Register, sha: str) -> bytes:
    try:
        return register.blobs.get(sha)
    except NotFound:
        return b""
