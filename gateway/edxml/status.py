"""Builds edXML status packages (01 đã đến, 02 từ chối, 03 đã tiếp nhận, …) for the receipt notice, in the
dialect of the package being answered: QCVN 102:2016 (<edXML:edXML><edXML:edXMLEnvelope>…, prefixed) or v2.2
(<edXMLEnvelope xmlns="http://www.go.vn/eDoc"> with the MessageHeader right under it, default namespace)."""

from __future__ import annotations

import datetime as dt
from xml.etree import ElementTree

from gateway.edxml import Dialect

STATUS_CODES = {"01": "Đã đến", "02": "Từ chối tiếp nhận", "03": "Đã tiếp nhận", "04": "Phân công",
                "05": "Đang xử lý", "06": "Hoàn thành", "13": "Lấy lại", "15": "Đồng ý thu hồi/cập nhật",
                "16": "Từ chối thu hồi/cập nhật"}
VIETNAM = dt.timezone(dt.timedelta(hours=7))  # the Trục writes Vietnam time


def status_package(*, subject_code_number: str, subject_code_notation: str, from_organ_id: str,
                   from_organ_name: str, to_organ_id: str, to_organ_name: str, status_code: str, description: str,
                   at: dt.datetime, staff: str = "", dialect: Dialect = Dialect.QCVN_102, document_id: str = "",
                   promulgation_date: dt.date | None = None) -> bytes:
    """A UTF-8 edXML status package from the receiving agency (From) to the sender (ResponseFor, To).

    ``document_id`` and ``promulgation_date`` identify the answered document in ResponseFor when it gave them.
    """
    if status_code not in STATUS_CODES:
        raise ValueError(f"unknown edXML status code {status_code!r}; known: {', '.join(STATUS_CODES)}")
    if at.tzinfo is None:
        raise ValueError("status time must be timezone-aware")
    namespace = dialect.namespace

    def sub(parent, name: str, text: str | None = None):
        element = ElementTree.SubElement(parent, f"{{{namespace}}}{name}")
        if text is not None:
            element.text = text
        return element

    if dialect is Dialect.V22:
        root = envelope = ElementTree.Element(f"{{{namespace}}}edXMLEnvelope")
        header = sub(envelope, "MessageHeader")
    else:
        root = ElementTree.Element(f"{{{namespace}}}edXML")
        envelope = sub(root, "edXMLEnvelope")
        header = sub(sub(envelope, "edXMLHeader"), "MessageHeader")
    sender = sub(header, "From")
    sub(sender, "OrganId", from_organ_id)
    sub(sender, "OrganName", from_organ_name)
    receiver = sub(header, "To")
    sub(receiver, "OrganId", to_organ_id)
    sub(receiver, "OrganName", to_organ_name)
    response = sub(header, "ResponseFor")
    sub(response, "OrganId", to_organ_id)
    code = sub(response, "Code")
    sub(code, "CodeNumber", subject_code_number)
    sub(code, "CodeNotation", subject_code_notation)
    if promulgation_date is not None:
        sub(response, "PromulgationDate", promulgation_date.strftime("%Y/%m/%d"))
    if document_id:
        sub(response, "DocumentId", document_id)
    if staff:
        sub(sub(header, "StaffInfo"), "Staff", staff)
    sub(header, "StatusCode", status_code)
    sub(header, "Description", description or STATUS_CODES[status_code])
    sub(header, "Timestamp", at.astimezone(VIETNAM).strftime("%Y/%m/%d %H:%M:%S"))
    if dialect is Dialect.QCVN_102:
        sub(envelope, "edXMLBody")
        return _serialise(root, namespaces={"edXML": namespace})
    return _serialise(root, namespaces={"": namespace})


def _serialise(root, namespaces: dict[str, str]) -> bytes:
    """The XML with the dialect's own prefix (or default namespace), without touching ElementTree's global
    prefix registry."""
    prefix, namespace = next(iter(namespaces.items()))
    if not prefix:
        return ElementTree.tostring(root, encoding="utf-8", xml_declaration=True, default_namespace=namespace)
    for element in root.iter():
        element.tag = element.tag.replace(f"{{{namespace}}}", f"{prefix}:")
    root.set(f"xmlns:{prefix}", namespace)
    return ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)
