"""Message-level limits checked on the raw bytes before parsing: size, number and length of header fields."""

from __future__ import annotations

from gateway.core.config import LimitsConfig
from gateway.core.rfc822 import split_head


def message_limit_hit(raw: bytes, limits: LimitsConfig) -> str:
    """The limit the raw message breaks, worded for the operator, or "" when it is within all of them."""
    if len(raw) > limits.max_message_size:
        return f"max_message_size ({limits.max_message_size} bytes): message has {len(raw)}"
    head, _ = split_head(raw)
    fields = 0
    longest = 0
    current = 0
    for line in head.split(b"\n"):
        if line[:1] in (b" ", b"\t") and fields:
            current += len(line) + 1
        else:
            fields += 1
            current = len(line) + 1
            if fields > limits.max_headers:
                return f"max_headers ({limits.max_headers}): more header fields than that"
        longest = max(longest, current)
        if longest > limits.max_header_length:
            return f"max_header_length ({limits.max_header_length} bytes): a header field is longer"
    return ""
