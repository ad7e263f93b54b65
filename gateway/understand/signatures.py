"""PDF digital signatures checked with pyHanko: signer, issuer, time, integrity, coverage, trust (never a rejection)."""

from __future__ import annotations

import dataclasses
import io
import logging
import warnings
from pathlib import Path

from gateway.core.values import SignatureReport

log = logging.getLogger(__name__)
# pyHanko logs a traceback for every chain it cannot build, which is every chain until the roots are configured.
for _name in ("pyhanko", "pyhanko_certvalidator"):
    logging.getLogger(_name).setLevel(logging.CRITICAL)

# Statuses, from good to bad. "untrusted-root" is what every genuine signature gets while the Ban Cơ yếu
# roots are not configured: it says nothing against the document.
TRUSTED = "trusted"
UNTRUSTED_ROOT = "untrusted-root"
NOT_WHOLE_FILE = "not-whole-file"  # intact and valid, but bytes were added after signing
TAMPERED = "tampered"
BAD_SIGNATURE = "bad-signature"
UNREADABLE = "unreadable"
_RANK = (TRUSTED, UNTRUSTED_ROOT, NOT_WHOLE_FILE, BAD_SIGNATURE, TAMPERED, UNREADABLE)


def overall(reports: tuple[SignatureReport, ...] | list[SignatureReport]) -> str:
    """The worst status among the reports; "none" when the file carries no signature."""
    if not reports:
        return "none"
    return max((r.status for r in reports), key=lambda s: _RANK.index(s) if s in _RANK else len(_RANK))


def load_trust_roots(paths: tuple[str, ...]) -> list:
    """The configured trust anchors (PEM or DER files, several certificates per PEM allowed)."""
    from asn1crypto import pem, x509

    roots = []
    for path in paths:
        data = Path(path).read_bytes()
        if pem.detect(data):
            roots += [x509.Certificate.load(der) for _, _, der in pem.unarmor(data, multiple=True)]
        else:
            roots.append(x509.Certificate.load(data))
    return roots


def check_pdf(payload: bytes, trust_roots: list | None = None) -> tuple[SignatureReport, ...]:
    """A report per signature field of the PDF; an unreadable file gives one "unreadable" report or none."""
    if b"/ByteRange" not in payload:
        # A signature's byte range and value must stand in the file as written (never in a compressed
        # object stream), so a PDF without the word carries no signature: spare it pyHanko's full parse.
        return ()
    try:
        from pyhanko.pdf_utils.reader import PdfFileReader
    except ImportError:  # pragma: no cover - pyHanko is a dependency
        return ()
    _import_validation()  # before the reader's signature list imports pyhanko.sign on its own
    try:
        reader = PdfFileReader(io.BytesIO(payload), strict=False)
        signatures = list(reader.embedded_signatures)
    except Exception as err:  # noqa: BLE001 - pyHanko raises many types on odd files; a PDF without a
        # readable structure has no signature we could check
        log.debug("pyHanko cannot read the PDF: %s", err)
        return ()
    reports = [_check_one(sig, trust_roots or []) for sig in signatures]
    # Every signature but the last is followed by the later ones' incremental updates: only the last one
    # can cover the whole file, so only its coverage is a finding.
    for index, report in enumerate(reports[:-1]):
        if report.status == NOT_WHOLE_FILE:
            reports[index] = dataclasses.replace(report, status=TRUSTED if report.trusted else UNTRUSTED_ROOT)
    return tuple(reports)


def _import_validation():
    """pyHanko's validator, imported without the CryptographyDeprecationWarning its signing module prints about
    DSA keys on every run (we only verify). The filter holds for this import only; the first one brings in all
    of pyhanko.sign, so it must come before anything else touches that package."""
    from cryptography.utils import CryptographyDeprecationWarning

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=CryptographyDeprecationWarning, module=r"pyhanko\.")
        from pyhanko.sign.validation import validate_pdf_signature
    return validate_pdf_signature


def _check_one(embedded, roots: list) -> SignatureReport:
    from pyhanko_certvalidator import ValidationContext

    validate_pdf_signature = _import_validation()

    name = embedded.field_name or ""
    try:
        context = ValidationContext(trust_roots=roots, allow_fetching=False, revocation_mode="soft-fail")
        status = validate_pdf_signature(embedded, context, skip_diff=True)
    except Exception as err:  # noqa: BLE001 - a malformed signature is reported, never raised
        return SignatureReport(name, "", "", "", "", False, False, False, False, UNREADABLE,
                               f"{type(err).__name__}: {err}")
    cert = status.signing_cert
    subject = cert.subject.native if cert is not None else {}
    issuer = cert.issuer.native if cert is not None else {}
    when = status.signer_reported_dt
    if status.timestamp_validity is not None and status.timestamp_validity.timestamp is not None:
        when = status.timestamp_validity.timestamp
    whole = _covers_whole(status)
    if not status.intact:
        verdict = TAMPERED
    elif not status.valid:
        verdict = BAD_SIGNATURE
    elif not whole:
        verdict = NOT_WHOLE_FILE
    elif status.trusted:
        verdict = TRUSTED
    else:
        verdict = UNTRUSTED_ROOT
    return SignatureReport(
        field=name,
        signer=str(subject.get("common_name", "")),
        organisation=str(subject.get("organization_name", "")),
        issuer=str(issuer.get("common_name", "") or issuer.get("organization_name", "")),
        signing_time=when.isoformat() if when else "",
        intact=bool(status.intact), valid=bool(status.valid), trusted=bool(status.trusted),
        covers_whole_file=whole, status=verdict,
        detail="" if status.trusted else "the certificate does not chain to a configured trust anchor",
    )


def _covers_whole(status) -> bool:
    from pyhanko.sign.validation import SignatureCoverageLevel

    return status.coverage == SignatureCoverageLevel.ENTIRE_FILE
