"""Reads the ND30 metadata of the incoming document from an extracted message.

This is the seam where the understanding issue plugs in (edXML, text-layer layout, OCR, signatures). For now
it fills what the e-mail itself says, with a low confidence, so the register always has a trích yếu.
"""

from __future__ import annotations

import re

from gateway.values import DocumentMeta, Extracted, FieldValue

DOCUMENT_TYPES = ("pdf", "docx", "doc", "odt", "rtf")
# Subjects of forwarded or replied mail carry prefixes that are not part of the trích yếu.
_SUBJECT_PREFIX = re.compile(r"^\s*((re|fw|fwd|tr|v/v)\s*:\s*)+", re.IGNORECASE)


def understand(extracted: Extracted) -> DocumentMeta:
    """The document's fields as far as this stage can tell, each with its confidence and source."""
    message = extracted.message
    fields: dict[str, FieldValue] = {}
    subject = _SUBJECT_PREFIX.sub("", message.subject).strip()
    if subject:
        fields["subject"] = FieldValue(subject, 0.3, "email")
    if message.from_name:
        fields["organ_name"] = FieldValue(message.from_name, 0.1, "email")
    primary = next((p.index for p in message.parts if p.sniffed_type in DOCUMENT_TYPES), None)
    if primary is not None:
        pages = next((t.page_count for t in extracted.texts if t.part_index == primary and t.page_count), None)
        if pages:
            fields["page_amount"] = FieldValue(str(pages), 0.9, "text")
    return DocumentMeta(fields=fields, primary_part_index=primary)
