"""The return path of outbound mail (VERP): local+ob-ID-TOKEN@domain names the outbox row a bounce is about.

The token is a short hash of the row's Message-ID, which is random and fixed when the row is queued: a bounce
can only be tied to a row by someone who saw the mail, so a forged report cannot mark other mail failed.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from gateway.core.addresses import extension_of

TAG = re.compile(r"ob-(\d{1,12})-([0-9a-f]{12})")


@dataclass(frozen=True)
class ReturnTag:
    """What a return path says: the outbox row and the token that proves it came from that row's mail."""

    outbox_id: int
    token: str


def token_of(message_id: str) -> str:
    """The 12 hex digits that tie a return path to the mail with this Message-ID."""
    return hashlib.sha256(message_id.strip().strip("<>").encode("utf-8")).hexdigest()[:12]


def return_path(from_address: str, outbox_id: int, message_id: str, delimiter: str) -> str:
    """The envelope sender of outbox row ``outbox_id``; the From address itself when there is no delimiter."""
    local, at, domain = from_address.strip().rpartition("@")
    if not at or not delimiter:
        return from_address
    return f"{local}{delimiter}ob-{outbox_id}-{token_of(message_id)}@{domain}"


def read_return_path(address: str, delimiter: str) -> ReturnTag | None:
    """The tag of an address made by return_path(), or None for any other address."""
    match = TAG.fullmatch(extension_of(address, delimiter).lower())
    return ReturnTag(int(match.group(1)), match.group(2)) if match else None
