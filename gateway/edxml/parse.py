"""Reads an edXML document package of either dialect: the MessageHeader fields, the TraceHeaderList and the
attachments (by ContentId outside the envelope in QCVN 102:2016, inline base64 in v2.2).

Builders differ: prefixed or default namespace, "edXMLEnvelope" or "EdXMLEnvelope", "FullName" or "Signer",
"Bussiness" or "Business", dates as YYYY/MM/DD, DD/MM/YYYY or ISO; element names are matched by local name
without regard to case, so each of these reads the same.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from xml.etree import ElementTree

from gateway.core.text import nfc
from gateway.edxml import NAMESPACE, NAMESPACE_V22, Dialect

# (DocumentMeta key, MessageHeader path); the first path found wins
HEADER_FIELDS = (
    ("organ_id", ("From/OrganId",)), ("organ_name", ("From/OrganName",)),
    ("organ_parent", ("From/OrganizationInCharge",)), ("code_number", ("Code/CodeNumber",)),
    ("code_notation", ("Code/CodeNotation",)), ("place", ("PromulgationInfo/Place",)),
    ("type_name", ("DocumentType/TypeName",)), ("edxml_type", ("DocumentType/Type",)),
    ("subject", ("Subject",)), ("description", ("Content",)),
    ("signer_name", ("SignerInfo/FullName", "SignerInfo/Signer")), ("page_amount", ("OtherInfo/PageAmount",)),
    ("promulgation_amount", ("OtherInfo/PromulgationAmount",)),
    ("sphere_of_promulgation", ("OtherInfo/SphereOfPromulgation",)),
    ("typer_notation", ("OtherInfo/TyperNotation",)), ("steering_type", ("SteeringType",)),
    ("document_id", ("DocumentId",)),
)


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
    dialect: Dialect | None = None
    trace: tuple[tuple[str, str], ...] = ()  # TraceHeaderList: (OrganId, Timestamp) of each hop, in order
    business_document_id: str = ""  # the DocumentId the recall, update or replacement is about
    business_reason: str = ""  # BussinessDocReason


def looks_like_edxml(payload: bytes) -> bool:
    """True for XML whose first kilobytes mention an edXML envelope or one of the two namespaces."""
    head = payload[:4096].lower()
    return b"edxml" in head or b"qcvn_102_2016" in head or b"go.vn/edoc" in head


def first_package(parts: Iterable[Any]) -> EdxmlPackage | None:
    """The first well-formed edXML package among a message's parts (anything with a ``payload``), or None."""
    for part in parts:
        if looks_like_edxml(part.payload):
            package = parse_package(part.payload)
            if package.status == "ok":
                return package
    return None


def parse_package(payload: bytes) -> EdxmlPackage:
    """The package's header fields, trace and attachments; never raises (bad input gives a status and reason)."""
    try:
        root = ElementTree.fromstring(payload)  # expat: no external entities, no DTD fetching
    except ElementTree.ParseError as err:
        return EdxmlPackage("broken", f"not well-formed XML: {err}")
    namespace = root.tag[1:].split("}")[0] if root.tag.startswith("{") else ""
    dialect = Dialect.of_namespace(namespace)
    if dialect is None:
        shown = namespace or "(none)"
        return EdxmlPackage("wrong-namespace", f"edXML namespace is {shown}, expected {NAMESPACE} (QCVN 102:2016) "
                                               f"or {NAMESPACE_V22} (v2.2)")
    header = _find(root, "MessageHeader")
    if header is None:
        return EdxmlPackage("broken", "edXML package without a MessageHeader", dialect=dialect)
    fields = _header_fields(header)
    fields["edxml_dialect"] = dialect.value
    places = tuple(nfc(" ".join((p.text or "").split())) for p in _findall(header, "ToPlaces/Place")
                   if (p.text or "").strip())
    if places:
        fields["to_places"] = "; ".join(places)
    trace = _trace(root)
    if trace:
        fields["trace_headers"] = "; ".join(" ".join(x for x in hop if x) for hop in trace)
    priority = _int(_text(header, "OtherInfo/Priority"))
    business = _find(root, "Bussiness")
    if business is None:
        business = _find(root, "Business")
    doc_type = about = reason = ""
    if business is not None:
        doc_type = _text(business, "BussinessDocType") or _text(business, "BusinessDocType")
        about = _text(business, "DocumentId")
        reason = _text(business, "BussinessDocReason") or _text(business, "BusinessDocReason")
        replaced = [_text(info, "DocumentId") for info in _findall(business, "ReplacementInfoList/ReplacementInfo")]
        about = about or next((r for r in replaced if r), "")
    for key, value in (("business_doc_type", doc_type), ("business_document_id", about),
                       ("business_reason", reason)):
        if value:
            fields[key] = value
    return EdxmlPackage("ok", "", fields, min(max(priority, 0), 3), places, _attachments(root), doc_type, dialect,
                        trace, about, reason)


@dataclass(frozen=True)
class DocumentKey:
    """What an edXML DocumentId says: "OrganId,yyyy/MM/dd,CodeNumber/CodeNotation"."""

    organ_id: str
    issued: dt.date | None
    code_number: str
    code_notation: str


def parse_document_id(value: str) -> DocumentKey | None:
    """The parts of an edXML DocumentId, or None when it is not of that shape."""
    organ, sep, rest = (value or "").strip().partition(",")
    day, sep2, code = rest.partition(",")
    if not sep or not sep2 or "/" not in code:
        return None
    number, _, notation = code.strip().partition("/")
    issued = _date(day.strip())
    return DocumentKey(organ.strip(), dt.date.fromisoformat(issued) if issued else None, number.strip(),
                       notation.strip())


def _header_fields(header) -> dict[str, str]:
    fields: dict[str, str] = {}
    for key, paths in HEADER_FIELDS:
        value = next((v for v in (_text(header, p) for p in paths) if v), "")
        if value:
            fields[key] = value
    if "type_name" not in fields:  # some v2.2 builders write the type's name as DocumentType's own text
        kind = _find(header, "DocumentType")
        if kind is not None and len(kind) == 0 and (kind.text or "").strip():
            fields["type_name"] = nfc(" ".join(kind.text.split()))
    receivers = [_text(to, "OrganName") or _text(to, "OrganId") for to in _children(header, "To")]
    if any(receivers):
        fields["to_organs"] = "; ".join(r for r in receivers if r)
    position = " / ".join(v for v in (_text(header, "SignerInfo/Competence"), _text(header, "SignerInfo/Position"))
                          if v)
    if position:
        fields["signer_position"] = position
    for key, path in (("issued_date", "PromulgationInfo/PromulgationDate"), ("due_date", "DueDate")):
        day = _date(_text(header, path))
        if day:
            fields[key] = day
    if fields.get("subject", "").lower().startswith("v/v"):
        fields["subject"] = fields["subject"][3:].strip(" :")
    return fields


def _trace(root) -> tuple[tuple[str, str], ...]:
    hops = _findall(root, "TraceHeaderList/TraceHeader")
    return tuple((_text(hop, "OrganId"), _text(hop, "Timestamp")) for hop in hops)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1].lower() if isinstance(tag, str) else ""


def _children(element, name: str) -> list:
    return [child for child in element if _local(child.tag) == name.lower()]


def _find(element, path: str):
    """The first descendant matching the slash path of local names (namespace prefixes and case vary by builder)."""
    found = _findall(element, path)
    return found[0] if found else None


def _findall(element, path: str) -> list:
    names = path.lower().split("/")
    current = [e for e in element.iter() if _local(e.tag) == names[0]]
    for name in names[1:]:
        current = [child for e in current for child in e if _local(child.tag) == name]
    return current


def _text(element, path: str) -> str:
    found = _find(element, path)
    return nfc(" ".join((found.text or "").split())) if found is not None else ""


def _date(value: str) -> str:
    """The ISO day of an edXML date ("2025/01/06 08:00:00", "06/01/2025", "2025-01-06", "2025-01-06T01:00:00Z");
    "" when none."""
    words = value.replace("T", " ").split()
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
    """Every Attachment element: QCVN 102 (ContentId, AttachmentName, ContentType, ContentTransferEncoded, with the
    manifest's Reference by ContentId) and v2.2 (FileName, FileType, Content inline)."""
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
        if encoded is None:
            encoded = _find(attachment, "Content")
        raw = re.sub(r"\s", "", encoded.text or "") if encoded is not None else ""
        try:
            payload = base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError):
            payload = b""
        out.append(EdxmlAttachment(content_id, _text(attachment, "AttachmentName") or _text(attachment, "FileName")
                                   or name, _text(attachment, "ContentType") or _text(attachment, "FileType") or ctype,
                                   _text(attachment, "Description") or description, payload))
    return tuple(out)


def _href(element) -> str:
    return next((v for k, v in element.attrib.items() if _local(k) == "href"), "")


def _content_id(value: str) -> str:
    value = value.strip().strip("<>")
    return value[4:] if value.lower().startswith("cid:") else value
