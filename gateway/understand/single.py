"""Understands one file on its own (no e-mail, no registration), for `gateway extract` and the bench."""

from __future__ import annotations

import hashlib

from gateway.core.config import Config
from gateway.core.values import DocumentMeta, Extracted, ParsedMessage, Part
from gateway.extract import extract_message
from gateway.mail.sniff import sniff_type
from gateway.understand.fields import read


def understand_file(payload: bytes, filename: str, config: Config) -> tuple[Extracted, DocumentMeta]:
    """The file's extracted text and fields, as if it had come as the only attachment of an empty e-mail."""
    extracted, meta, _ = read_file(payload, filename, config)
    return extracted, meta


def read_file(payload: bytes, filename: str, config: Config) -> tuple[Extracted, DocumentMeta, dict[str, str]]:
    """As understand_file, with the evidence each field's confidence was looked up by (for the bench)."""
    part = Part(index=0, filename=filename, declared_type="application/octet-stream",
                sniffed_type=sniff_type(payload), disposition="attachment", payload=payload,
                sha256=hashlib.sha256(payload).hexdigest())
    parsed = ParsedMessage(message_id="", subject="", from_addr="", from_name="", to_addrs=(), cc_addrs=(),
                           date=None, body_text="", parts=(part,), headers=())
    extracted = extract_message(parsed, config.limits)
    meta, found = read(extracted, config.understand)
    return extracted, meta, found
