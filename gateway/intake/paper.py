"""Paper arrivals: the văn thư registers a document that came on paper — its scan (or none) and the fields she
confirmed — through the same spool as mail, so that it takes the next số đến in order of receipt (the moment
of her "register" click) and is read, routed and audited like every other document."""

from __future__ import annotations

import datetime as dt
import mimetypes
import uuid
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP

from gateway.core.config import Config
from gateway.core.errors import GatewayError
from gateway.core.text import clean_line, nfc
from gateway.core.values import DocumentMeta, Envelope
from gateway.mail.sniff import sniff_type
from gateway.spool import Spool
from gateway.understand.single import understand_file

# What a person may enter for a paper document (the register's text fields, dates as ISO, the two levels).
PAPER_FIELDS = (
    "code_number", "code_notation", "issued_date", "place", "organ_name", "organ_parent", "type_name", "subject",
    "signer_position", "signer_name", "addressees", "to_places", "page_amount", "description", "urgency", "secrecy",
)
SCAN_TYPES = ("pdf", "png", "jpeg", "tiff")  # what a scan of a paper document may be


class PaperError(GatewayError):
    """A paper document cannot be taken as asked (an unknown field, no trích yếu, a file that is no scan)."""


@dataclass(frozen=True)
class PaperDocument:
    """The scans of one paper document (name, bytes; possibly none) and the fields the văn thư confirmed."""

    files: tuple[tuple[str, bytes], ...] = ()
    fields: dict[str, str] = field(default_factory=dict)


def propose(files: tuple[tuple[str, bytes], ...], config: Config) -> DocumentMeta:
    """What the reader makes of the first scan, for the văn thư to confirm or correct (no scan: nothing)."""
    if not files:
        return DocumentMeta()
    name, data = files[0]
    _, meta = understand_file(data, name, config)
    return meta


def confirmed_fields(proposed: DocumentMeta, changes: dict[str, str]) -> dict[str, str]:
    """The fields to register: the reader's proposals, overridden by what the văn thư typed ("" clears)."""
    unknown = sorted(set(changes) - set(PAPER_FIELDS))
    if unknown:
        raise PaperError(f"không có trường {', '.join(unknown)}; các trường: {', '.join(PAPER_FIELDS)}")
    fields = {name: value.value for name, value in proposed.fields.items() if name in PAPER_FIELDS and value.value}
    fields.update(urgency=str(proposed.urgency), secrecy=str(proposed.secrecy))
    for name, value in changes.items():
        fields[name] = nfc(value).strip()
    fields = {name: value for name, value in fields.items() if value}
    if not fields.get("subject"):
        raise PaperError("văn bản giấy cần có trích yếu (subject)")
    for level in ("urgency", "secrecy"):
        if not fields.get(level, "0").isdigit() or int(fields.get(level, "0")) > 3:
            raise PaperError(f"{level} phải là một số từ 0 đến 3")
    return fields


def compose(paper: PaperDocument, actor: str, agency: str, domain: str) -> bytes:
    """The spool's record of a paper arrival: a message holding the scans, as if the văn thư had mailed them in."""
    message = EmailMessage()
    message["From"] = f"{clean_line(actor)} (văn thư, văn bản giấy) <paper@{domain}>"
    message["To"] = Address(clean_line(agency) or "Văn thư", addr_spec=f"paper@{domain}")  # a name alone is no address
    message["Subject"] = clean_line(paper.fields.get("subject", ""))[:500]
    message["Date"] = dt.datetime.now(dt.timezone.utc)
    message["Message-ID"] = f"<paper.{uuid.uuid4().hex}@{domain}>"
    message["X-Gateway-Source"] = "paper"
    message.set_content(f"Văn bản đến bằng giấy, vào sổ bởi {clean_line(actor)}.\n")
    for name, data in paper.files:
        kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
        main, _, sub = kind.partition("/")
        message.add_attachment(data, maintype=main, subtype=sub, filename=name)
    return message.as_bytes(policy=SMTP)


def check_scans(files: tuple[tuple[str, bytes], ...]) -> None:
    """PaperError unless every file is a scan (PDF, PNG, JPEG or TIFF, told by its bytes)."""
    for name, data in files:
        kind = sniff_type(data)
        if kind not in SCAN_TYPES:
            raise PaperError(f"{name}: không phải bản quét PDF, PNG, JPEG hay TIFF (nhận ra: {kind})")


def take(spool: Spool, paper: PaperDocument, actor: str, config: Config) -> str:
    """Store a confirmed paper document in the spool (its time of receipt is now); returns its spool id."""
    check_scans(paper.files)
    domain = config.outbox.from_address.rpartition("@")[2] or "localhost"
    raw = compose(paper, actor, config.register.agency_name, domain)
    envelope = Envelope(source="paper", received_at=dt.datetime.now(dt.timezone.utc), released_by=actor,
                        source_ref=", ".join(name for name, _ in paper.files),
                        confirmed=tuple(sorted(paper.fields.items())))
    return spool.put(raw, envelope)
