"""Builds edXML status packages (01 đã đến, 02 từ chối, 03 đã tiếp nhận, …) for the receipt notice."""

from __future__ import annotations

import datetime as dt
from xml.etree import ElementTree

from gateway.edxml import NAMESPACE

STATUS_CODES = {"01": "Đã đến", "02": "Từ chối tiếp nhận", "03": "Đã tiếp nhận", "04": "Phân công",
                "05": "Đang xử lý", "06": "Hoàn thành", "13": "Lấy lại", "15": "Đồng ý thu hồi/cập nhật",
                "16": "Từ chối thu hồi/cập nhật"}


def status_package(*, subject_code_number: str, subject_code_notation: str, from_organ_id: str,
                   from_organ_name: str, to_organ_id: str, to_organ_name: str, status_code: str, description: str,
                   at: dt.datetime, staff: str = "") -> bytes:
    """A UTF-8 edXML status package from the receiving agency (From) to the sender (ResponseFor, To)."""
    if status_code not in STATUS_CODES:
        raise ValueError(f"unknown edXML status code {status_code!r}; known: {', '.join(STATUS_CODES)}")
    if at.tzinfo is None:
        raise ValueError("status time must be timezone-aware")
    ElementTree.register_namespace("edXML", NAMESPACE)

    def sub(parent, name: str, text: str | None = None):
        element = ElementTree.SubElement(parent, f"{{{NAMESPACE}}}{name}")
        if text is not None:
            element.text = text
        return element

    root = ElementTree.Element(f"{{{NAMESPACE}}}edXML")
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
    if staff:
        sub(sub(header, "StaffInfo"), "Staff", staff)
    sub(header, "StatusCode", status_code)
    sub(header, "Description", description or STATUS_CODES[status_code])
    local = at.astimezone(dt.timezone(dt.timedelta(hours=7)))  # the Trục writes Vietnam time
    sub(header, "Timestamp", local.strftime("%Y/%m/%d %H:%M:%S"))
    sub(envelope, "edXMLBody")
    return ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)
