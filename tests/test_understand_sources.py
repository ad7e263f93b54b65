"""edXML packages in and status packages out, PDF signatures with a test CA, secret documents in the register."""

from __future__ import annotations

import base64
import datetime as dt
import io

import pytest
from docgen import make_edxml as edxml
from docgen import make_message, make_official_pdf, with_form_stamps

from gateway.core.config import Config, UnderstandConfig, load_config
from gateway.core.values import Envelope, SpooledMessage
from gateway.edxml import NAMESPACE
from gateway.edxml.parse import parse_package
from gateway.edxml.status import status_package
from gateway.register.arrivals import NewArrival
from gateway.register.query import SearchQuery
from gateway.register.service import Register
from gateway.understand.signatures import check_pdf, load_trust_roots
from gateway.understand.single import understand_file


@pytest.mark.parametrize("business", ["Bussiness", "Business"])
def test_edxml_header_fields_and_attachments(business: str) -> None:
    package = parse_package(edxml(business))
    assert package.status == "ok" and package.business_doc_type == "0"
    assert package.fields["code_number"] == "2491" and package.fields["code_notation"] == "STC-BCTC"
    assert package.fields["issued_date"] == "2019-01-16" and package.fields["due_date"] == "2019-01-30"
    assert package.fields["subject"] == "kết nối phần mềm quản lý văn bản"
    assert package.fields["signer_position"] == "KT. GIÁM ĐỐC / PHÓ GIÁM ĐỐC"
    assert package.priority == 2 and package.to_places == ("UBND các huyện", "Lưu VT")
    assert [(a.content_id, a.name, a.payload) for a in package.attachments] == [("a1", "cv.pdf", b"%PDF-1.4 test")]
    _, meta = understand_file(edxml(business), "goi.edxml", Config())
    assert (meta.get("organ_id"), meta.fields["organ_name"].source) == ("000.00.11.H53", "edxml")
    assert meta.urgency == 2


def test_edxml_with_a_wrong_namespace_says_why() -> None:
    package = parse_package(edxml(namespace="http://example.test/other"))
    assert package.status == "wrong-namespace" and "http://example.test/other" in package.reason
    _, meta = understand_file(edxml(namespace="http://example.test/other"), "goi.edxml", Config())
    assert any("wrong-namespace" in note for note in meta.notes) and "code_number" not in meta.fields


def test_status_package_round_trips() -> None:
    at = dt.datetime(2025, 1, 6, 2, 30, tzinfo=dt.timezone.utc)
    raw = status_package(subject_code_number="12", subject_code_notation="UBND-VP", from_organ_id="000.00.01.A53",
                         from_organ_name="Văn phòng UBND", to_organ_id="000.00.11.H53", to_organ_name="Sở Tài chính",
                         status_code="03", description="", at=at, staff="Văn thư")
    text = raw.decode("utf-8")
    assert NAMESPACE in text and "<edXML:StatusCode>03</edXML:StatusCode>" in text
    assert "2025/01/06 09:30:00" in text and "Đã tiếp nhận" in text and "UBND-VP" in text
    with pytest.raises(ValueError):
        status_package(subject_code_number="1", subject_code_notation="X-Y", from_organ_id="a", from_organ_name="b",
                       to_organ_id="c", to_organ_name="d", status_code="99", description="", at=at)


def _ca_and_signer(tmp_path):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.timezone.utc)

    def name(cn: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn),
                          x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Ban Thử nghiệm")])

    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(name("Test Root CA")).issuer_name(name("Test Root CA"))
          .public_key(ca_key.public_key()).serial_number(1).not_valid_before(now - dt.timedelta(days=1))
          .not_valid_after(now + dt.timedelta(days=30))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
          .sign(ca_key, hashes.SHA256()))
    cert = (x509.CertificateBuilder().subject_name(name("Nguyễn Văn An")).issuer_name(ca.subject)
            .public_key(key.public_key()).serial_number(2).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True)
            .sign(ca_key, hashes.SHA256()))
    ca_file = tmp_path / "root.pem"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    key_file, cert_file = tmp_path / "key.pem", tmp_path / "cert.pem"
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return ca_file, key_file, cert_file


def _signed_pdf(tmp_path) -> tuple[bytes, str]:
    from gateway.understand.signatures import _import_validation

    _import_validation()  # pyhanko.sign imported the way the gateway does: without its DSA warning
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers

    ca_file, key_file, cert_file = _ca_and_signer(tmp_path)
    signer = signers.SimpleSigner.load(str(key_file), str(cert_file), ca_chain_files=(str(ca_file),))
    source = make_official_pdf(organ=("SỞ TÀI CHÍNH",), number="12", notation="STC-VP", place="Huế", day="02",
                               month="01", year="2025", vv=("V/v thử ký số",), signer=("GIÁM ĐỐC",),
                               signer_name="Nguyễn Văn An")
    out = io.BytesIO()
    signers.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(source)),
                     signers.PdfSignatureMetadata(field_name="Sig1"), signer=signer, output=out)
    return out.getvalue(), str(ca_file)


def test_signatures_intact_untrusted_trusted_and_tampered(tmp_path) -> None:
    signed, ca_file = _signed_pdf(tmp_path)
    (report,) = check_pdf(signed)
    assert report.status == "untrusted-root" and report.intact and report.valid and not report.trusted
    assert report.signer == "Nguyễn Văn An" and report.issuer == "Test Root CA" and report.covers_whole_file
    (trusted,) = check_pdf(signed, load_trust_roots((ca_file,)))
    assert trusted.status == "trusted" and trusted.trusted
    tampered = bytearray(signed)
    at = signed.index(b"/Contents", 0) - 40  # a byte inside the signed range, before the signature value
    tampered[at] = ord("A") if tampered[at] != ord("A") else ord("B")
    (broken,) = check_pdf(bytes(tampered))
    assert broken.status in ("tampered", "unreadable", "bad-signature") and broken.status != "untrusted-root"
    config = Config(understand=UnderstandConfig(trust_anchors=(ca_file,)))
    _, meta = understand_file(signed, "cv.pdf", config)
    assert meta.get("signature_status") == "trusted" and meta.get("code_notation") == "STC-VP"


def test_secret_document_goes_to_the_secret_register_out_of_search_with_an_alert(tmp_path, caplog) -> None:
    config = load_config(None, {"paths.data_dir": str(tmp_path / "data"), "trust.other_action": "accept"})
    register = Register(config)
    register.upgrade()
    try:
        pdf = make_official_pdf(organ=("BỘ CÔNG AN",), number="09", notation="BCA-V03", place="Hà Nội", day="03",
                                month="02", year="2025", vv=("V/v phối hợp xác minh",), stamp="TỐI MẬT",
                                body="Nội dung tuyệt đối không lan truyền zyxwvu.", signer=("GIÁM ĐỐC",),
                                signer_name="Trần Văn Cao")
        raw = make_message("Gửi văn bản", "Kính gửi.", attachments=[("mat.pdf", pdf, "application/pdf")])
        from gateway.runtime.pipeline import understand_spooled

        spooled = SpooledMessage("s-secret", Envelope(source="import", received_at=dt.datetime.now(dt.timezone.utc)), raw)
        ready = understand_spooled(spooled, config)
        assert ready.meta.secrecy == 2
        with caplog.at_level("WARNING"):
            registration = register.register_arrival(NewArrival(ready.spooled, ready.extracted, ready.meta))
        assert registration.register_code == "den-mat"
        assert any("SECRET document" in r.getMessage() for r in caplog.records)
        assert register.search(SearchQuery(text="zyxwvu")) == []
        record = register.get_document(registration.document_id)
        assert "secret-document-alert" in [event.action for event in record.audit]
        assert record.attachments[0].signatures == ()
    finally:
        register.close()


def test_pages_left_unread_at_registration_are_ocred_later_and_join_the_search(tmp_path) -> None:
    from docgen import make_pdf, scan_of  # noqa: I001
    from gateway.runtime.pipeline import understand_spooled
    from gateway.runtime.ocr_backfill import run_chunk
    from gateway.understand import ocr

    if not ocr.available():
        pytest.skip("tesseract-ocr-vie is not installed")
    first = make_official_pdf(organ=("SỞ XÂY DỰNG",), number="31", notation="SXD-QLN", place="Huế", day="09",
                              month="02", year="2025", vv=("V/v nhà ở xã hội",), signer=("GIÁM ĐỐC",),
                              signer_name="Võ Văn Dũng")
    second = make_pdf(["Phụ lục: danh sách công trình Cầu Trường Tiền cần gia cố khẩn cấp"])
    third = make_pdf(["Đề nghị các đơn vị thực hiện.\n\nGIÁM ĐỐC\n\n\nVõ Văn Dũng"])
    # Registration reads page 1's header and the signer's page (3); page 2 waits for the background job.
    scan = scan_of(first, second, third, angle=0.5, speckle=4000)
    config = load_config(None, {"paths.data_dir": str(tmp_path / "data"), "trust.other_action": "accept"})
    register = Register(config)
    register.upgrade()
    try:
        raw = make_message("Công văn", "Kính gửi.", attachments=[("31.pdf", scan, "application/pdf")])
        spooled = SpooledMessage("s-ocr", Envelope(source="import", received_at=dt.datetime.now(dt.timezone.utc)), raw)
        ready = understand_spooled(spooled, config)
        assert ready.meta.get("code_notation") == "SXD-QLN"
        registration = register.register_arrival(NewArrival(ready.spooled, ready.extracted, ready.meta))
        assert register.ocr_jobs.pending_count() == 1
        assert register.search(SearchQuery(text="Trường Tiền")) == []  # page 2 was not read yet
        assert run_chunk(register, config) is True
        chunks = 1
        while run_chunk(register, config):  # chunks last about a second: on a slow machine a page may need its own
            chunks += 1
            assert chunks <= 8, "the job never finished"
        assert register.ocr_jobs.pending_count() == 0
        hits = register.search(SearchQuery(text="Trường Tiền"))
        assert [hit.document_id for hit in hits] == [registration.document_id]
        record = register.get_document(registration.document_id)
        completed = next(event for event in record.audit if event.action == "ocr-completed")
        assert completed.detail["characters"] > 100  # the history says how much text the scan gave, not "0 ký tự"
    finally:
        register.close()


def test_edxml_attachment_is_read_and_its_signature_checked(tmp_path) -> None:
    signed, _ = _signed_pdf(tmp_path)
    package = edxml().replace(base64.b64encode(b"%PDF-1.4 test"), base64.b64encode(signed))
    extracted, meta = understand_file(package, "goi.edxml", Config())
    member = next(t for t in extracted.texts if t.member_path)
    assert member.member_path.endswith("/cv.pdf") and member.sniffed_type == "pdf" and member.status == "ok"
    assert meta.fields["code_notation"].source == "edxml"  # the package's exact values win over the PDF's
    assert meta.get("signature_status") == "untrusted-root" and meta.signatures[0].filename == member.member_path
    assert meta.get("place") == "Tây Ninh"


def test_signed_document_registered_with_its_signature_report_and_fields_shown(tmp_path) -> None:
    from gateway.cli.showing import document_as_dict, document_as_text
    from gateway.runtime.pipeline import understand_spooled

    signed, _ = _signed_pdf(tmp_path)
    config = load_config(None, {"paths.data_dir": str(tmp_path / "data"), "trust.other_action": "accept"})
    register = Register(config)
    register.upgrade()
    try:
        raw = make_message("Công văn 12/STC-VP", "Kính gửi.", attachments=[("12.pdf", signed, "application/pdf")])
        spooled = SpooledMessage("s-sig", Envelope(source="import", received_at=dt.datetime.now(dt.timezone.utc)), raw)
        ready = understand_spooled(spooled, config)
        registration = register.register_arrival(NewArrival(ready.spooled, ready.extracted, ready.meta))
        record = register.get_document(registration.document_id)
        assert record.signature_status == "untrusted-root" and record.organ_name == "SỞ TÀI CHÍNH"
        assert record.attachments[0].signatures[0]["signer"] == "Nguyễn Văn An"
        shown = document_as_text(record)
        assert "Chữ ký số                   Nguyên vẹn; chứng thư không thuộc gốc tin cậy đã cấu hình" in shown
        assert ("chữ ký: Nguyên vẹn; chứng thư không thuộc gốc tin cậy đã cấu hình: Nguyễn Văn An (Ban Thử nghiệm), "
                "cấp bởi Test Root CA") in shown
        assert "Người ký                    Nguyễn Văn An   [lớp chữ của tệp, " in shown
        data = document_as_dict(record)
        assert data["signature_status"] == "untrusted-root" and data["field_sources"]["subject"]["source"] == "text"
    finally:
        register.close()


def test_extract_of_a_signed_pdf_prints_no_deprecation_warning(tmp_path) -> None:
    """pyHanko's import warns about DSA on every run; the terminal shows the report, not library noise."""
    import os
    import subprocess
    import sys
    import warnings
    from pathlib import Path

    from gateway.understand.signatures import _import_validation

    signed, _ = _signed_pdf(tmp_path)
    (tmp_path / "cv.pdf").write_bytes(signed)
    repo = Path(__file__).resolve().parent.parent
    result = subprocess.run([sys.executable, "-m", "gateway", "extract", str(tmp_path / "cv.pdf")],
                            capture_output=True, text=True, timeout=120, cwd=tmp_path,
                            env={**os.environ, "PYTHONPATH": str(repo)})
    assert result.returncode == 0, result.stderr
    assert "Nguyễn Văn An" in result.stdout
    assert "Warning" not in result.stderr, result.stderr
    before = list(warnings.filters)
    _import_validation()
    assert warnings.filters == before  # filtered at that import only, never for the whole process


def _issued_with_stamped_blanks() -> bytes:
    """A born-digital công văn whose số and day the văn thư's signing software printed into the blanks as the
    appearances of signature fields, as provincial portals publish them ("Số: 507 /UBND-KGVX", "ngày 24 tháng
    01"): the page's own text has the blanks."""
    pdf = make_official_pdf(organ=("ỦY BAN NHÂN DÂN", "TỈNH QUẢNG NGÃI"), number="        ", notation="UBND-KGVX",
                            place="Quảng Ngãi", day="      ", month="01", year="2025",
                            vv=("V/v góp ý dự thảo Quyết định sửa đổi",), addressees=("Sở Thông tin và Truyền thông",),
                            signer=("TL. CHỦ TỊCH", "CHÁNH VĂN PHÒNG"), signer_name="Phùng Tô Long")
    return with_form_stamps(pdf, [("507", "Số:", 2), ("24", "ngày", 3)])


@pytest.mark.parametrize("ocr", [True, False])
def test_the_so_and_day_a_signature_stamped_into_the_blanks_are_read_as_text(ocr: bool) -> None:
    """The fields' text is the PDF's own, exact and sure: OCR of the drawn header put the số at 0.47 and the day at
    0.56, and without OCR the two were lost."""
    _, meta = understand_file(_issued_with_stamped_blanks(), "congvan.pdf",
                              Config(understand=UnderstandConfig(ocr=ocr)))
    number, date = meta.fields["code_number"], meta.fields["issued_date"]
    assert (number.value, number.source) == ("507", "text") and number.confidence >= 0.9
    assert (date.value, date.source) == ("2025-01-24", "text") and date.confidence >= 0.9
    assert meta.fields["code_notation"].value == "UBND-KGVX"
