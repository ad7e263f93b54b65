"""What routing rules look at: one document's sender, recipients, ND30 fields, text and files, folded once."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

from gateway.core.text import fold, nfc
from gateway.core.values import DocumentMeta, Envelope, Extracted
from gateway.register.records import DocumentRecord

# Where keyword and regex conditions look: trích yếu (the ND30 field), the e-mail Subject, all text.
SEARCH_FIELDS = ("trich_yeu", "subject", "text")
SEARCH_FIELD_NAMES = {"trich_yeu": "trích yếu", "subject": "tiêu đề thư", "text": "nội dung"}  # as people read them


def fold_words(text: str) -> str:
    """``text`` as rules compare it: folded (lower case, no diacritics, đ → d) with single spaces."""
    return " ".join(fold(text).split())


@dataclass(frozen=True)
class Facts:
    """The inputs of routing; rules never see anything else, so explain shows exactly what they saw."""

    sender: str = ""  # bare lower-case From address
    recipients: tuple[str, ...] = ()  # envelope RCPT TO (else To and Cc), lower case
    organ_name: str = ""
    organ_id: str = ""
    type_name: str = ""
    type_code: str = ""
    trich_yeu: str = ""
    subject: str = ""
    text: str = ""
    urgency: int = 0
    secrecy: int = 0
    signature: str = ""  # "valid", "invalid", "unsigned" or "" (not known)
    attachment_types: frozenset[str] = field(default_factory=frozenset)

    @cached_property
    def folded(self) -> _Folded:
        """The searchable fields folded (lower case, no diacritics, single spaces), each on first use."""
        return _Folded(self)


class _Folded(dict):
    """Folds a field the first time a rule looks at it: rules that never read the text never pay for it."""

    def __init__(self, facts: Facts) -> None:
        super().__init__()
        self._facts = facts

    def __missing__(self, name: str) -> str:
        if name not in SEARCH_FIELDS:
            raise KeyError(name)
        value = self[name] = fold_words(getattr(self._facts, name))
        return value


def facts_from(envelope: Envelope, extracted: Extracted, meta: DocumentMeta) -> Facts:
    """Facts of a message on its way through the pipeline."""
    message = extracted.message
    recipients = envelope.rcpt_tos or (*message.to_addrs, *message.cc_addrs)
    texts = [message.body_text, extracted.all_text]
    types = {p.sniffed_type for p in message.parts} | {t.sniffed_type for t in extracted.texts}
    return Facts(
        sender=message.from_addr.lower(),
        recipients=tuple(r.lower() for r in recipients),
        organ_name=nfc(meta.get("organ_name")), organ_id=meta.get("organ_id"),
        type_name=nfc(meta.get("type_name")), type_code=meta.get("type_code"),
        trich_yeu=nfc(meta.get("subject")), subject=nfc(message.subject),
        text=nfc("\n".join(t for t in texts if t)),
        urgency=meta.urgency, secrecy=meta.secrecy,
        signature=_signature(meta),
        attachment_types=frozenset(t for t in types if t),
    )


def _signature(meta: DocumentMeta) -> str:
    """The signature status when the understanding stage gives one (a field or an attribute)."""
    value = meta.get("signature_status") or str(getattr(meta, "signature_status", "") or "")
    return value.strip().lower()


def facts_from_record(record: DocumentRecord, body_text: str = "", attachment_texts: Sequence[str] = ()) -> Facts:
    """Facts of a registered document, for `gateway rules explain ID`: its record, the e-mail body and the
    stored text of its files (the record itself carries no file text; it can be megabytes)."""
    sources = record.field_sources if isinstance(record.field_sources, dict) else {}
    signature = sources.get("signature_status", {})
    recipients = record.rcpt_tos or tuple(a.strip() for a in record.to_addrs.split(",") if a.strip())
    types = {a.sniffed_type for a in record.attachments}
    text = "\n".join(t for t in (body_text, *attachment_texts) if t)
    return Facts(
        sender=record.from_addr.lower(), recipients=tuple(r.lower() for r in recipients),
        organ_name=record.organ_name, organ_id=record.organ_id, type_name=record.type_name,
        type_code=record.type_code, trich_yeu=record.subject, subject=record.email_subject, text=nfc(text),
        urgency=record.urgency, secrecy=record.secrecy,
        signature=str(signature.get("value", "") if isinstance(signature, dict) else "").lower(),
        attachment_types=frozenset(t for t in types if t),
    )
