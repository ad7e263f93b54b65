"""A document's fields as its page shows them: value, where it came from, how sure the reader was, whether a
person still needs to look at it; and its digital signatures, file by file."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from gateway.register.records import DocumentRecord
from gateway.register.review import EXPECTED_FIELDS, MANUAL, REVIEW_FIELDS, confidence_of, settled
from gateway.web import labels
from gateway.web.reasons import Said, translate


@dataclass(frozen=True)
class FieldView:
    """One field of the document page."""

    name: str
    value: Any  # as stored: text, a date, a level, a number or None
    source: str  # where the reader found it (stored name), "" when it left no source
    confidence: float | None  # the reader's, None when it left none
    needs_review: bool  # less sure than web.review_below, or an expected field not found, and nobody settled it
    confirmed_by: str  # who confirmed the reader's value
    corrected_by: str  # who typed the value
    settled_at: dt.datetime | None

    @property
    def label(self) -> str:
        return labels.field(self.name)

    @property
    def settled(self) -> bool:
        return bool(self.confirmed_by or self.corrected_by)

    @property
    def shown(self) -> str:
        """The value as text (levels by name, dates dd/mm/yyyy)."""
        if self.name == "urgency":
            return labels.URGENCY.get(self.value, str(self.value))
        if self.name == "secrecy":
            return labels.SECRECY.get(self.value, str(self.value))
        if isinstance(self.value, dt.date):
            return labels.date(self.value)
        return "" if self.value is None else str(self.value)

    @property
    def typed(self) -> str:
        """The value as a person types it into the correction box."""
        if isinstance(self.value, dt.date):
            return labels.date(self.value)
        return "" if self.value is None else str(self.value)


@dataclass(frozen=True)
class SignatureView:
    """One digital signature of one file of the document."""

    attachment_id: int
    filename: str
    status: str
    signer: str
    organisation: str
    issuer: str
    signing_time: str
    intact: bool
    covers_whole_file: bool
    detail: str

    @property
    def status_label(self) -> str:
        return labels.SIGNATURE.get(self.status, self.status)

    @property
    def signed_at(self) -> str:
        return labels.iso_date(self.signing_time) if self.signing_time else ""

    @property
    def good(self) -> bool:
        return self.status == "trusted"


def field_views(record: DocumentRecord, review_below: float) -> tuple[FieldView, ...]:
    """The document page's fields in the order of the văn bản, each with its review mark."""
    sources = record.field_sources or {}
    views = []
    for name in labels.PAGE_FIELDS:
        source = sources.get(name)
        value = getattr(record, name)
        known = isinstance(source, dict)
        confidence = confidence_of(source) if known and "confidence" in source else None
        unsure = (known and confidence is not None and confidence < review_below) or (
            not known and name in EXPECTED_FIELDS)
        manual = known and source.get("source") == MANUAL
        views.append(FieldView(
            name=name, value=value, source=str(source.get("source", "")) if known else "",
            confidence=confidence, needs_review=name in REVIEW_FIELDS and unsure and not settled(source),
            confirmed_by=str(source.get("confirmed_by", "")) if known else "",
            corrected_by=str(source.get("by", "")) if manual else "",
            settled_at=_moment(source.get("confirmed_at") or (source.get("at") if manual else None)) if known else None,
        ))
    return tuple(views)


def reader_notes(record: DocumentRecord) -> tuple[Said, ...]:
    """What the reader noticed while reading the document (kept with the field sources), in Vietnamese."""
    notes = (record.field_sources or {}).get("notes")
    text = notes.get("value", "") if isinstance(notes, dict) else ""
    return tuple(translate(part) for part in str(text).split("; ") if part.strip())


def signature_views(record: DocumentRecord) -> tuple[SignatureView, ...]:
    """Every digital signature of every file of the document, as the understanding stage checked it."""
    views = []
    for attachment in record.attachments:
        for report in attachment.signatures:
            views.append(SignatureView(
                attachment_id=attachment.id, filename=attachment.member_path or attachment.filename,
                status=str(report.get("status", "")), signer=str(report.get("signer", "")),
                organisation=str(report.get("organisation", "")), issuer=str(report.get("issuer", "")),
                signing_time=str(report.get("signing_time", "")), intact=bool(report.get("intact")),
                covers_whole_file=bool(report.get("covers_whole_file")), detail=str(report.get("detail", "")),
            ))
    return tuple(views)


def _moment(text: Any) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(str(text)) if text else None
    except ValueError:
        return None
