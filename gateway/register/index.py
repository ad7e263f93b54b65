"""A document's search-index text: built at registration, and grown (never rebuilt) by corrections and OCR."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from gateway.core.text import canonical_tones, fold
from gateway.core.values import DocumentMeta, Extracted
from gateway.register.search import Searcher

# The register columns that hold text (what a correction may add to the index).
TEXT_FIELDS = (
    "code_number code_notation place organ_name organ_id type_name type_code signer_position signer_name "
    "to_places description organ_parent addressees signature_status"
).split()
# What a secret document puts in the index: the register columns that say what it is, not its content.
SECRET_FIELDS = "code_number code_notation organ_name organ_id type_name".split()


def arrival_text(extracted: Extracted, meta: DocumentMeta) -> str:
    """Everything a search should find a newly registered document by (a secret one: only what it is)."""
    parsed = extracted.message
    if meta.secrecy > 0:  # the content of a secret document stays out of the ordinary search
        return "\n".join(piece for piece in (meta.get(name) for name in SECRET_FIELDS) if piece)
    pieces = [parsed.subject, parsed.from_name, parsed.from_addr, parsed.body_text, meta.get("subject")]
    pieces += [meta.get(name) for name in TEXT_FIELDS]
    pieces += [t.filename for t in extracted.texts] + [t.text for t in extracted.texts] + [meta.ocr_text]
    return "\n".join(piece for piece in pieces if piece)


def index_forms(text: str) -> tuple[str, str]:
    """The two forms the index keeps: the text as written (one tone placement; the indexes fold case
    themselves, so snippets read like the document) and folded (no diacritics)."""
    return canonical_tones(text), fold(text)


def add_to_index(conn: sa.Connection, searcher: Searcher, document_id: int, text: str) -> None:
    """Make ``text`` findable for the document too, in the caller's transaction (what it had stays findable)."""
    if not text.strip():
        return
    exact, folded = index_forms(text)
    with Session(bind=conn) as session:
        current_exact, current_folded = searcher.indexed_text(session, document_id)
        searcher.index_document(session, document_id, "\n".join(p for p in (current_exact, exact) if p),
                                "\n".join(p for p in (current_folded, folded) if p))
        session.flush()
