"""Reads an edXML document package: the MessageHeader fields and the attachments by ContentId."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
from dataclasses import dataclass, field
from xml.etree import ElementTree

from gateway.core.text import nfc
from gateway.edxml import NAMESPACE


@dataclass(frozen=True)
class EdxmlAttachment:
    """One attachment of the package, decoded."""

    content_id: str
    name: str
    content_type: str
    description: str
    payload: bytes = field(repr=False)


@dataclass(frozen=True)
class EdxmlPackage:
    """What the package says. ``status`` is "ok", "wrong-namespace" or "broken"; ``reason`` says why not."""

    status: str
    reason: str = ""
    fields: dict[str, str] = field(default_factory=dict)  # DocumentMeta keys → exact values
    priority: int = 0
    to_places: tuple[str, ...] = ()
    attachments: tuple[EdxmlAttachment, ...] = ()
    business_doc_type: str = ""  # 0 mới, 1 thu hồi, 2 cập nhật, 3 thay thế


def looks_like_edxml(payload: bytes) -> bool:
    """True for XML whose first kilobytes mention an edXML envelope."""
    head = payload[:4096]
    return b"edXML" in head or b"QCVN_102_2016" in head


def parse_package(payload: bytes) -> EdxmlPackage:
    """The package's header fields and attachments; never raises (bad input gives a status and reason)."""
    try:
        root = ElementTree.fromstring(payload)  # expat: no external entities, no DTD fetching
    except ElementTree.ParseError as err:
        return EdxmlPackage("broken", f"not well-formed XML: {err}")
    namespace = root.tag[1:].split("}")[0] if root.tag.startswith("{") else ""
    if namespace != NAMESPACE:
        shown = namespace or "(none)"
        return EdxmlPackage("wrong-namespace", f"edXML namespace is {shown}, expected {NAMESPACE}")
    header = _find(root, "MessageHeader")
    if header is None:
        return EdxmlPackage("broken", "edXML package without a MessageHeader")
    fields: dict[str, str] = {}
    put = fields.__setitem__
    for key, path in (("organ_id", "From/OrganId"), ("organ_name", "From/OrganName"),
                      ("organ_parent", "From/OrganizationInCharge"), ("code_number", "Code/CodeNumber"),
                      ("code_notation", "Code/CodeNotation"), ("place", "PromulgationInfo/Place"),
                      ("type_name", "DocumentType/TypeName"), ("subject", "Subject"),
                      ("description", "Content"), ("signer_name", "SignerInfo/FullName"),
                      ("page_amount", "OtherInfo/PageAmount"), ("document_id", "DocumentId")):
        value = _text(header, path)
        if value:
            put(key, value)
    position = " / ".join(v for v in (_text(header, "SignerInfo/Competence"), _text(header, "SignerInfo/Position")) if v)
    if position:
        put("signer_position", position)
    for key, path in (("issued_date", "PromulgationInfo/PromulgationDate"), ("due_date", "DueDate")):
        day = _date(_text(header, path))
        if day:
            put(key, day)
    if fields.get("subject", "").lower().startswith("v/v"):
        fields["subject"] = fields["subject"][3:].strip(" :")
    places = tuple(nfc(" ".join((p.text or "").split())) for p in _findall(header, "ToPlaces/Place") if (p.text or "").strip())
    if places:
        put("to_places", "; ".join(places))
    priority = _int(_text(header, "OtherInfo/Priority"))
    business = _find(root, "Bussiness")
    if business is None:
        business = _find(root, "Business")
    doc_type = ""
    if business is not None:
        doc_type = _text(business, "BussinessDocType") or _text(business, "BusinessDocType")
    return EdxmlPackage("ok", "", fields, min(max(priority, 0), 3), places, _attachments(root), doc_type)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _find(element, path: str):
    """The first descendant matching the slash path of local names (namespace prefixes vary by builder)."""
    found = _findall(element, path)
    return found[0] if found else None


def _findall(element, path: str) -> list:
    names = path.split("/")
    current = [e for e in element.iter() if _local(e.tag) == names[0]]
    for name in names[1:]:
        current = [child for e in current for child in e if _local(child.tag) == name]
    return current


def _text(element, path: str) -> str:
    found = _find(element, path)
    return nfc(" ".join((found.text or "").split())) if found is not None else ""


def _date(value: str) -> str:
    """The ISO day of an edXML date ("2025/01/06 08:00:00", "06/01/2025", "2025-01-06"); "" when none."""
    words = value.split()
    if not words:
        return ""
    for pattern in ("%Y/%m/%d", "%d/%m/%Y", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(words[0], pattern).date().isoformat()
        except ValueError:
            continue
    return ""


def _int(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        return 0


def _attachments(root) -> tuple[EdxmlAttachment, ...]:
    manifest = {}
    for reference in _findall(root, "Reference"):
        content_id = _content_id(_text(reference, "ContentId") or _href(reference))
        if content_id:
            manifest[content_id] = (_text(reference, "AttachmentName"), _text(reference, "ContentType"),
                                    _text(reference, "Description"))
    out = []
    for attachment in _findall(root, "Attachment"):
        content_id = _content_id(_text(attachment, "ContentId"))
        name, ctype, description = manifest.get(content_id, ("", "", ""))
        encoded = _find(attachment, "ContentTransferEncoded")
        raw = re.sub(r"\s", "", encoded.text or "") if encoded is not None else ""
        try:
            payload = base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError):
            payload = b""
        out.append(EdxmlAttachment(content_id, _text(attachment, "AttachmentName") or name,
                                   _text(attachment, "ContentType") or ctype,
                                   _text(attachment, "Description") or description, payload))
    return tuple(out)


def _href(element) -> str:
    return next((v for k, v in element.attrib.items() if _local(k) == "href"), "")


def _content_id(value: str) -> str:
    value = value.strip().strip("<>")
    return value[4:] if value.lower().startswith("cid:") else value
