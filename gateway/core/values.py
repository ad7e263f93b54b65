"""Typed values passed between the pipeline stages (spool → parse → extract → understand → register)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Envelope:
    """What the transport knew about a message before anyone looked inside it."""

    source: str  # "smtp", "imap", "import" or "paper" (a document the văn thư registered from paper)
    received_at: dt.datetime  # timezone-aware, UTC
    mail_from: str = ""
    rcpt_tos: tuple[str, ...] = ()
    peer: str = ""  # "host:port" of the SMTP client
    helo: str = ""
    source_ref: str = ""  # file path for imports, "account/folder/uidvalidity/uid" for IMAP
    released_by: str = ""  # set when an operator released the message from quarantine: skip the trust check
    confirmed: tuple[tuple[str, str], ...] = ()  # fields a person entered or confirmed (paper): they beat the reader

    def to_json(self) -> str:
        data = asdict(self)
        data["received_at"] = self.received_at.isoformat()
        data["rcpt_tos"] = list(self.rcpt_tos)
        data["confirmed"] = [list(pair) for pair in self.confirmed]
        return json.dumps(data, ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Envelope:
        data = json.loads(text)
        data["received_at"] = dt.datetime.fromisoformat(data["received_at"])
        data["rcpt_tos"] = tuple(data.get("rcpt_tos", ()))
        data["confirmed"] = tuple((str(k), str(v)) for k, v in data.get("confirmed", ()))
        return cls(**data)


@dataclass(frozen=True)
class SpooledMessage:
    """A raw message claimed from the spool, with the envelope stored beside it."""

    spool_id: str
    envelope: Envelope
    raw: bytes
    attempts: int = 0


@dataclass(frozen=True)
class Part:
    """One leaf MIME part that carries a file (attachment or inline), with its decoded bytes."""

    index: int  # position among the message's leaf parts, from 0
    filename: str  # sanitised display name, never a path; "" when the part had none
    declared_type: str  # Content-Type as sent, lower case
    sniffed_type: str  # from the bytes: pdf, docx, doc, zip, xml, png, jpeg, gif, tiff, text, html, binary
    disposition: str  # "attachment" or "inline"
    payload: bytes
    sha256: str
    nested_in: str = ""  # Message-ID/subject path when the part came from an attached message/rfc822

    @property
    def size(self) -> int:
        return len(self.payload)


@dataclass(frozen=True)
class ParsedMessage:
    """The message taken apart: decoded NFC headers, the readable body and every file part."""

    message_id: str  # without angle brackets; "" when the message had none
    subject: str
    from_addr: str  # bare lower-case address
    from_name: str
    to_addrs: tuple[str, ...]
    cc_addrs: tuple[str, ...]
    date: dt.datetime | None  # the Date header, timezone-aware, None if missing or unreadable
    body_text: str  # text/plain parts joined, or text derived from HTML when there is no plain part
    parts: tuple[Part, ...]
    headers: tuple[tuple[str, str], ...]  # every header, decoded and NFC
    defects: tuple[str, ...] = ()  # parser defects and repairs, for the audit trail


@dataclass(frozen=True)
class ExtractedText:
    """The text read from one file part (or one member of an archive), with how that went."""

    filename: str
    sniffed_type: str
    sha256: str
    size: int
    status: str  # "ok", "empty", "encrypted", "broken", "unsupported", "limit"
    text: str = ""
    detail: str = ""  # the reason when status is not "ok"
    page_count: int | None = None
    part_index: int | None = None  # index of the MIME part; None for archive members
    member_path: str = ""  # "archive.zip/dir/file.pdf" for members of an archive
    payload: bytes = field(default=b"", repr=False)  # bytes of archive members, to be stored as blobs


@dataclass(frozen=True)
class AuthResults:
    """Sender authentication per mechanism ("pass", "fail", "none", or another RFC 8601 result) and its source."""

    spf: str = "none"
    dkim: str = "none"
    dmarc: str = "none"
    source: str = ""  # the trusted authserv-id the results came from and/or "local-dkim"


@dataclass(frozen=True)
class Extracted:
    """A parsed message with the text of every file in it."""

    message: ParsedMessage
    texts: tuple[ExtractedText, ...]
    auth: AuthResults = field(default_factory=AuthResults)

    @property
    def all_text(self) -> str:
        return "\n".join(t.text for t in self.texts if t.text)


@dataclass(frozen=True)
class FieldValue:
    """One official-document field with how sure we are and where it came from."""

    value: str
    confidence: float  # 0..1
    source: str  # "edxml", "text", "ocr", "filename", "email"


@dataclass(frozen=True)
class SignatureReport:
    """One digital signature of one PDF attachment, as checked against the configured trust anchors."""

    field: str
    signer: str  # the certificate subject's common name (a person or an organisation)
    organisation: str
    issuer: str
    signing_time: str  # ISO 8601, as the signer's software or its timestamp says
    intact: bool  # the signed bytes are unchanged
    valid: bool  # the cryptographic signature checks out
    trusted: bool  # the certificate chains to a configured trust anchor
    covers_whole_file: bool
    status: str  # trusted, untrusted-root, not-whole-file, bad-signature, tampered, unreadable
    detail: str = ""
    part_index: int | None = None
    filename: str = ""


# The Vietnamese names of the urgency and secrecy levels 0..3 (ND30 Điều 4; Luật Bảo vệ bí mật nhà nước).
URGENCY_NAMES = ("Thường", "Khẩn", "Thượng khẩn", "Hỏa tốc")
SECRECY_NAMES = ("Thường", "Mật", "Tối mật", "Tuyệt mật")


@dataclass(frozen=True)
class DocumentMeta:
    """The ND30 metadata of one incoming document (Phụ lục VI fields), each with confidence and source.

    Keys of ``fields`` follow Phụ lục VI tags in snake case: code_number, code_notation, issued_date (ISO),
    place, organ_name, organ_id, type_name, type_code, subject, signer_position, signer_name, to_places,
    page_amount, description, due_date; and organ_parent (cơ quan chủ quản), addressees (Kính gửi, "; "
    between entries; to_places likewise holds the Nơi nhận entries), signature_status (the worst of
    ``signatures``: none, trusted, untrusted-root, not-whole-file, bad-signature, tampered, unreadable),
    code_number_source_check (which sources agreed on the số). Urgency and secrecy are levels 0..3
    (thường, khẩn/mật, thượng khẩn/tối mật, hỏa tốc/tuyệt mật).
    """

    fields: dict[str, FieldValue] = field(default_factory=dict)
    urgency: int = 0
    secrecy: int = 0
    primary_part_index: int | None = None  # the MIME part holding the document itself
    signatures: tuple[SignatureReport, ...] = ()  # every signature of every PDF attachment
    ocr_text: str = ""  # text OCR read before registration (it joins the search index)
    notes: tuple[str, ...] = ()  # what the reader noticed (bad edXML namespace, sources that disagreed, …)

    def get(self, key: str) -> str:
        value = self.fields.get(key)
        return value.value if value else ""
