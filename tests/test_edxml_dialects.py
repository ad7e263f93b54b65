"""Both edXML dialects as senders build them: QCVN 102:2016 and the v2.2 packages of the national axis
(http://www.go.vn/eDoc), prefixed or default namespace, root capitalised either way, and a broken one. The packages
are built here by hand, not by the gateway; each registers with all its MessageHeader fields (source edxml), and
the receipt's status package answers in the sender's dialect."""

from __future__ import annotations

import base64
import datetime as dt
from xml.etree import ElementTree

import pytest
from docgen import AUTHENTICATED, TRUSTED_MTA, make_message, make_pdf
from routing_helpers import write_rules
from smtp_sink import Sink

from gateway.core.config import load_config
from gateway.core.values import Envelope
from gateway.edxml.parse import parse_package
from gateway.outbox.sender import OutboxSender
from gateway.register.service import Register
from gateway.routing.router import open_router
from gateway.runtime.pipeline import process_one
from gateway.spool import Spool

QCVN = "http://www.mic.gov.vn/TBT/QCVN_102_2016"
V22 = "http://www.go.vn/eDoc"
PDF = make_pdf(["CÔNG VĂN", "V/v báo cáo tình hình xăng dầu quý I năm 2025"])


def _header(p: str) -> str:
    """A MessageHeader with every field the two dialects share, elements prefixed with ``p``."""
    fields = {
        "From": [("OrganId", "000.00.11.H53"), ("OrganName", "Sở Công Thương Tây Ninh"),
                 ("OrganizationInCharge", "UBND tỉnh Tây Ninh")],
        "To": [("OrganId", "000.00.12.H35"), ("OrganName", "Sở Công Thương Hà Nam")],
        "Code": [("CodeNumber", "245"), ("CodeNotation", "SCT-QLTM")],
        "PromulgationInfo": [("Place", "Tây Ninh"), ("PromulgationDate", "2025/03/14")],
        "DocumentType": [("Type", "1"), ("TypeName", "Công văn")],
        "SignerInfo": [("Competence", "KT. GIÁM ĐỐC"), ("Position", "PHÓ GIÁM ĐỐC"), ("FullName", "Trần Văn Bình")],
        "OtherInfo": [("Priority", "1"), ("SphereOfPromulgation", "Liên thông văn bản quốc gia"),
                      ("TyperNotation", "TVB"), ("PromulgationAmount", "2"), ("PageAmount", "3")],
    }
    out = [f"<{p}MessageHeader>"]
    for name, children in list(fields.items())[:4]:
        out.append(f"<{p}{name}>" + "".join(f"<{p}{k}>{v}</{p}{k}>" for k, v in children) + f"</{p}{name}>")
    out.append(f"<{p}Subject>V/v báo cáo tình hình xăng dầu quý I năm 2025</{p}Subject>")
    for name, children in list(fields.items())[4:]:
        out.append(f"<{p}{name}>" + "".join(f"<{p}{k}>{v}</{p}{k}>" for k, v in children) + f"</{p}{name}>")
    out.append(f"<{p}SteeringType>1</{p}SteeringType>")
    out.append(f"<{p}DocumentId>000.00.11.H53,2025/03/14,245/SCT-QLTM</{p}DocumentId>")
    out.append(f"</{p}MessageHeader>")
    return "".join(out)


def _trace(p: str) -> str:
    hops = [("000.00.11.H53", "2025/03/14 08:01:02"), ("000.00.00.G22", "2025/03/14 08:01:09")]
    return f"<{p}TraceHeaderList>" + "".join(
        f"<{p}TraceHeader><{p}OrganId>{o}</{p}OrganId><{p}Timestamp>{t}</{p}Timestamp></{p}TraceHeader>"
        for o, t in hops) + f"</{p}TraceHeaderList>"


def build_v22(prefix: str = "", root: str = "edXMLEnvelope", namespace: str = V22) -> bytes:
    """A v2.2 package: the envelope is the root, MessageHeader, TraceHeaderList and inline base64 Attachment."""
    p = f"{prefix}:" if prefix else ""
    declare = f'xmlns:{prefix}="{namespace}"' if prefix else f'xmlns="{namespace}"'
    attachment = (f"<{p}Attachment><{p}FileName>245-SCT-QLTM.pdf</{p}FileName><{p}FileType>application/pdf"
                  f"</{p}FileType><{p}Content>{base64.b64encode(PDF).decode()}</{p}Content></{p}Attachment>")
    return (f'<?xml version="1.0" encoding="UTF-8"?><{p}{root} {declare}>{_header(p)}{_trace(p)}{attachment}'
            f"</{p}{root}>").encode()


def build_qcvn(prefixed: bool = True) -> bytes:
    """A QCVN 102:2016 package: edXML > edXMLEnvelope > header and manifest; the file outside, by ContentId."""
    p = "edXML:" if prefixed else ""
    declare = f'xmlns:edXML="{QCVN}"' if prefixed else f'xmlns="{QCVN}"'
    trace = _trace(p).replace(f"</{p}TraceHeaderList>", f"<{p}Bussiness><{p}BussinessDocType>0</{p}BussinessDocType>"
                                                        f"</{p}Bussiness></{p}TraceHeaderList>")
    return (f'<?xml version="1.0" encoding="UTF-8"?><{p}edXML {declare}><{p}edXMLEnvelope><{p}edXMLHeader>'
            f"{_header(p)}{trace}</{p}edXMLHeader><{p}edXMLBody><{p}edXMLManifest><{p}Reference>"
            f"<{p}ContentId>cid:f1</{p}ContentId><{p}AttachmentName>245-SCT-QLTM.pdf</{p}AttachmentName>"
            f"<{p}ContentType>application/pdf</{p}ContentType></{p}Reference></{p}edXMLManifest></{p}edXMLBody>"
            f"</{p}edXMLEnvelope><{p}AttachmentEncoded><{p}Attachment><{p}ContentId>f1</{p}ContentId>"
            f"<{p}ContentTransferEncoded>{base64.b64encode(PDF).decode()}</{p}ContentTransferEncoded></{p}Attachment>"
            f"</{p}AttachmentEncoded></{p}edXML>").encode()


VARIANTS = {
    "v22-default-namespace": (build_v22(), "edoc-2.2"),
    "v22-prefixed": (build_v22(prefix="e"), "edoc-2.2"),
    "v22-capital-root-lowercase-uri": (build_v22(root="EdXMLEnvelope", namespace="http://www.go.vn/edoc"), "edoc-2.2"),
    "qcvn-prefixed": (build_qcvn(prefixed=True), "qcvn-102-2016"),
    "qcvn-default-namespace": (build_qcvn(prefixed=False), "qcvn-102-2016"),
}
EXPECTED = {
    "organ_id": "000.00.11.H53", "organ_name": "Sở Công Thương Tây Ninh", "organ_parent": "UBND tỉnh Tây Ninh",
    "to_organs": "Sở Công Thương Hà Nam", "code_number": "245", "code_notation": "SCT-QLTM", "place": "Tây Ninh",
    "issued_date": "2025-03-14", "edxml_type": "1", "type_name": "Công văn",
    "subject": "báo cáo tình hình xăng dầu quý I năm 2025", "signer_position": "KT. GIÁM ĐỐC / PHÓ GIÁM ĐỐC",
    "signer_name": "Trần Văn Bình", "page_amount": "3", "promulgation_amount": "2",
    "sphere_of_promulgation": "Liên thông văn bản quốc gia", "typer_notation": "TVB", "steering_type": "1",
    "document_id": "000.00.11.H53,2025/03/14,245/SCT-QLTM",
    "trace_headers": "000.00.11.H53 2025/03/14 08:01:02; 000.00.00.G22 2025/03/14 08:01:09",
}


@pytest.mark.parametrize("variant", VARIANTS)
def test_each_variant_reads_every_message_header_field(variant: str) -> None:
    payload, dialect = VARIANTS[variant]
    package = parse_package(payload)
    assert package.status == "ok", package.reason
    assert {k: package.fields.get(k) for k in EXPECTED} == EXPECTED
    assert package.fields["edxml_dialect"] == dialect and package.priority == 1
    assert [(a.name, a.content_type, a.payload) for a in package.attachments] == [
        ("245-SCT-QLTM.pdf", "application/pdf", PDF)]
    assert package.trace == (("000.00.11.H53", "2025/03/14 08:01:02"), ("000.00.00.G22", "2025/03/14 08:01:09"))


def test_broken_and_foreign_packages_say_why() -> None:
    assert parse_package(build_v22()[:-40]).status == "broken"
    foreign = parse_package(build_v22(namespace="http://example.test/eDoc"))
    assert foreign.status == "wrong-namespace" and "http://www.go.vn/eDoc" in foreign.reason


def _register_with(tmp_path, payload: bytes, port: int):
    rules = write_rules(tmp_path / "rules", '[[rule]]\nname = "bao-nhan"\n[rule.then]\nlead = "TTR"\nreceipt = true\n')
    config = load_config(None, {
        "paths.data_dir": str(tmp_path / "data"), "routing.rules_dir": str(rules),
        "trust.trusted_authserv_ids": [TRUSTED_MTA], "outbox.receipt_domains": ["*.gov.vn"],
        "outbox.relay_host": "127.0.0.1", "outbox.relay_port": port, "outbox.from_address": "vanthu@sct.hanam.gov.vn",
        "register.organ_id": "000.00.12.H35", "register.agency_name": "Sở Công Thương Hà Nam"})
    spool = Spool(config.spool_dir)
    spool.ensure()
    register = Register(config)
    register.upgrade()
    raw = make_message("Gửi văn bản điện tử", "Văn bản gửi qua trục liên thông.", sender="vanthu@sct.tayninh.gov.vn",
                       attachments=[("245.edxml", payload, "application/xml")], headers=AUTHENTICATED)
    spool_id = spool.put(raw, Envelope(source="smtp", received_at=dt.datetime.now(dt.timezone.utc)))
    outcome = process_one(spool.claim(spool_id), spool, register, config, open_router(config, register))
    return config, register, outcome


@pytest.mark.parametrize("variant", ["v22-default-namespace", "v22-prefixed", "qcvn-prefixed"])
def test_both_dialects_register_with_their_fields_and_get_a_status_in_their_dialect(tmp_path, variant) -> None:
    payload, dialect = VARIANTS[variant]
    with Sink() as sink:
        config, register, outcome = _register_with(tmp_path, payload, sink.port)
        try:
            record = register.get_document(outcome.registration.document_id)
            sources = record.field_sources
            assert {k: sources[k]["value"] for k in EXPECTED} == EXPECTED
            assert {sources[k]["source"] for k in EXPECTED} == {"edxml"}
            assert (record.organ_id, record.code_number, record.code_notation, record.issued_date) == (
                "000.00.11.H53", "245", "SCT-QLTM", dt.date(2025, 3, 14))
            assert (record.signer_name, record.page_amount, record.urgency) == ("Trần Văn Bình", 3, 1)
            OutboxSender(config, register).send_due()
            status = {p.get_filename(): p.get_content() for p in sink.messages()[0].iter_attachments()}
            root = ElementTree.fromstring(status["status-01.edxml"])
        finally:
            register.close()
    namespace = root.tag[1:].partition("}")[0]
    assert namespace == (V22 if dialect == "edoc-2.2" else QCVN)
    assert root.tag.endswith("}edXMLEnvelope" if dialect == "edoc-2.2" else "}edXML")
    found = {e.tag.partition("}")[2]: (e.text or "") for e in root.iter()}
    assert found["StatusCode"] == "01" and found["DocumentId"] == EXPECTED["document_id"]
    assert found["PromulgationDate"] == "2025/03/14" and found["CodeNotation"] == "SCT-QLTM"


def test_a_broken_package_still_registers_the_mail_with_a_note(tmp_path) -> None:
    with Sink() as sink:
        config, register, outcome = _register_with(tmp_path, build_v22()[:-40], sink.port)
        try:
            record = register.get_document(outcome.registration.document_id)
            assert "edXML 245.edxml: broken" in record.field_sources["notes"]["value"]
            assert record.field_sources.get("organ_id", {}).get("source") != "edxml"
        finally:
            register.close()
