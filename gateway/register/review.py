"""Which read fields of a document still need a person's look: the lowest confidence nobody has settled yet."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# The fields the văn thư checks against the document (the sổ's columns, the signer, Kính gửi and Nơi nhận).
REVIEW_FIELDS = ("code_number", "code_notation", "issued_date", "organ_name", "type_name", "subject",
                 "signer_name", "signer_position", "place", "addressees", "to_places")
# Fields every document has: one the reader did not find at all counts as unsure (confidence 0).
EXPECTED_FIELDS = ("code_number", "issued_date", "organ_name", "subject")
MANUAL = "manual"  # the source of a value a person typed


def settled(source: Any) -> bool:
    """True when a person typed the value or confirmed what the reader found."""
    return isinstance(source, Mapping) and (source.get("source") == MANUAL or bool(source.get("confirmed_by")))


def confidence_of(source: Any) -> float:
    """The reader's confidence in a field's value, 0 when it left none."""
    if not isinstance(source, Mapping):
        return 0.0
    try:
        return float(source.get("confidence", 0.0))
    except (TypeError, ValueError):
        return 0.0


def review_confidence(sources: Mapping[str, Any]) -> float | None:
    """The lowest confidence among the review fields nobody has settled; None when nothing is left to look at.

    Stored with the document, so that the register lists "needs a look" with an index and the threshold
    (web.review_below) can change without touching the rows.
    """
    lowest: float | None = None
    for name in REVIEW_FIELDS:
        source = sources.get(name)
        if source is None and name not in EXPECTED_FIELDS:
            continue
        if settled(source):
            continue
        confidence = confidence_of(source)
        lowest = confidence if lowest is None else min(lowest, confidence)
    return lowest
