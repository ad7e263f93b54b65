"""Search queries taken apart by our own tokeniser: words, "phrases" and OR, never passed on as syntax."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from gateway.core.text import clean_line, exact_key, fold, has_diacritics, nfc

# A token is what both FTS5 unicode61 and the PostgreSQL 'simple' parser see as one word: letters and digits.
TOKEN = re.compile(r"[^\W_]+")
_DROPPED_WORDS = frozenset({"AND", "NOT", "NEAR"})
MAX_LIMIT = 500
MAX_TERMS = 64  # words and phrases kept from one query; the rest are ignored
COUNT_CAP = 1_000  # matches counted at most; the edges say "more than" beyond and page on while pages are full
RELEVANCE_MAX = 999  # text searches with more matches list newest first


@dataclass(frozen=True)
class SearchQuery:
    """What the user asked for: free text plus field filters."""

    text: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    sender: str = ""  # substring (or domain) of the From address or the envelope sender
    arrival_number: int | None = None
    year: int | None = None
    limit: int = 20
    offset: int = 0
    units: tuple[str, ...] | None = None  # only documents assigned to one of these units (None: no restriction)
    include_secret: bool = True  # False leaves out the secret register
    review_below: float | None = None  # only documents with a field read less surely than this, not yet confirmed
    sort: str = ""  # one of SORT_KEYS, "-" in front for descending; "" is relevance (text) or newest first

    def __post_init__(self) -> None:
        # Every edge (API, pages, CLI) builds one of these: control characters go here, once. A NUL in a
        # parameter is refused by PostgreSQL, and no stored text holds one (clean_text removes them too).
        object.__setattr__(self, "text", clean_line(self.text))
        object.__setattr__(self, "sender", clean_line(self.sender))


# Orderings a caller may ask for by name; the SQL is ours, never the caller's.
# "{id}" is the document id as the query can order by it cheapest: with text, the full-text index's own id,
# which SQLite's FTS5 hands out in order, so "-id" (registration order, newest first) stops after one page.
SORT_KEYS = {
    "id": "{id} {dir}",
    "number": "d.year {dir}, d.arrival_number {dir}",
    "arrived": "d.arrived_at {dir}, {id} {dir}",
    "issued": "d.issued_date {dir}, {id} {dir}",
    "organ": "d.organ_name {dir}, {id} {dir}",
    "subject": "d.subject {dir}, {id} {dir}",
}


def sort_clause(sort: str, id_column: str = "d.id") -> str | None:
    """The ORDER BY for a sort name ("-" prefix: descending), None for the default order or an unknown name."""
    name = sort.lstrip("-")
    if name not in SORT_KEYS:
        return None
    return SORT_KEYS[name].format(dir="DESC" if sort.startswith("-") else "ASC", id=id_column)


@dataclass(frozen=True)
class SearchHit:
    """One document found, with enough to list it."""

    document_id: int
    year: int
    arrival_number: int | None
    arrival_date: dt.date
    arrived_at: dt.datetime
    subject: str
    sender: str
    snippet: str
    exact: bool  # the diacritics typed matched exactly (always true for a query typed without them)


@dataclass(frozen=True)
class Found:
    """One page of a search and how many matched (``cap`` when at least that many)."""

    hits: list[SearchHit]
    total: int
    capped: bool
    order: str  # "relevance", or the sort key used ("-id": newest registered first)


@dataclass(frozen=True)
class Term:
    """One word or phrase of a query, in its folded and its exact (diacritics kept) tokens."""

    folded: tuple[str, ...]
    exact: tuple[str, ...]
    accented: bool  # typed with diacritics: the exact form ranks first


@dataclass(frozen=True)
class ParsedQuery:
    """Alternatives (OR) of term lists that must all match (AND)."""

    groups: tuple[tuple[Term, ...], ...]

    @property
    def empty(self) -> bool:
        return not self.groups

    @property
    def accented(self) -> bool:
        return any(term.accented for group in self.groups for term in group)

    def first_tokens(self) -> tuple[str, ...]:
        """Folded tokens of the first term, used to place a snippet."""
        return self.groups[0][0].folded if self.groups else ()


def parse_query(text: str) -> ParsedQuery:
    """Split user text into OR-groups of terms; quotes make phrases, an unbalanced quote is ignored."""
    groups: list[tuple[Term, ...]] = []
    current: list[Term] = []
    kept = 0
    for chunk, quoted in _chunks(nfc(text)):
        if not quoted and chunk == "OR":
            if current:
                groups.append(tuple(current))
                current = []
            continue
        if not quoted and chunk in _DROPPED_WORDS:
            continue
        term = _term(chunk)
        if term is not None and kept < MAX_TERMS:
            current.append(term)
            kept += 1
    if current:
        groups.append(tuple(current))
    return ParsedQuery(tuple(groups))


def _chunks(text: str) -> list[tuple[str, bool]]:
    out: list[tuple[str, bool]] = []
    rest = text
    while rest:
        start = rest.find('"')
        if start < 0:
            out.extend((word, False) for word in rest.split())
            break
        end = rest.find('"', start + 1)
        if end < 0:  # unbalanced: the quote is just dropped
            out.extend((word, False) for word in rest.replace('"', " ").split())
            break
        out.extend((word, False) for word in rest[:start].split())
        out.append((rest[start + 1 : end], True))
        rest = rest[end + 1 :]
    return out


def _term(chunk: str) -> Term | None:
    folded = tuple(TOKEN.findall(fold(chunk)))
    exact = tuple(TOKEN.findall(exact_key(chunk)))
    if not folded or len(folded) != len(exact):
        return None
    return Term(folded=folded, exact=exact, accented=has_diacritics(chunk))


def index_tokens(text: str) -> str:
    """Text reduced to its tokens joined by spaces (what the PostgreSQL vectors are built from)."""
    return " ".join(TOKEN.findall(text))


def make_snippet(exact_text: str, folded_text: str, tokens: tuple[str, ...], fallback: str, width: int = 160) -> str:
    """A short passage of the document around the first query word, else ``fallback``."""
    if tokens and exact_text:
        match = re.search(rf"(?<![^\W_]){re.escape(tokens[0])}(?![^\W_])", folded_text)
        if match and len(folded_text) == len(exact_text):
            start = max(0, match.start() - width // 3)
            if start:  # begin at a word, not in the middle of one
                space = exact_text.find(" ", start, match.start())
                start = space + 1 if space >= 0 else match.start()
            return " ".join(exact_text[start : start + width].split())
    return " ".join(fallback.split())[:width]


def like_pattern(value: str) -> str:
    """A LIKE pattern matching ``value`` as a literal substring (escape character backslash)."""
    escaped = value.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def clamp_paging(query: SearchQuery) -> tuple[int, int]:
    """Limit in 1..MAX_LIMIT and a non-negative offset."""
    return max(1, min(int(query.limit), MAX_LIMIT)), max(0, int(query.offset))
