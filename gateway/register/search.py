"""Full-text search of the register behind one interface: SQLite FTS5 or PostgreSQL tsvector."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from gateway.register.models import UTCDateTime
from gateway.register.query import (
    ParsedQuery,
    SearchHit,
    SearchQuery,
    Term,
    clamp_paging,
    index_tokens,
    like_pattern,
    make_snippet,
    parse_query,
    sort_clause,
)
from gateway.register.scope import Scope, scope_sql

log = logging.getLogger(__name__)

__all__ = ["SearchHit", "SearchQuery", "Searcher", "searcher_for"]

_HIT_COLUMNS = (
    sa.column("id", sa.Integer),
    sa.column("year", sa.Integer),
    sa.column("arrival_number", sa.Integer),
    sa.column("arrival_date", sa.Date),
    sa.column("arrived_at", UTCDateTime),
    sa.column("subject", sa.Text),
    sa.column("from_addr", sa.Text),
    sa.column("mail_from", sa.Text),
    sa.column("exact", sa.Boolean),
    sa.column("exact_text", sa.Text),
    sa.column("folded_text", sa.Text),
)
_SELECT = (
    "SELECT d.id, d.year, d.arrival_number, d.arrival_date, d.arrived_at, d.subject, m.from_addr, m.mail_from, "
)


class Searcher(Protocol):
    """Indexes documents and answers SearchQuery on one database backend."""

    def index_document(self, session: Session, document_id: int, exact_text: str, folded_text: str) -> None: ...

    def indexed_text(self, session: Session, document_id: int) -> tuple[str, str]: ...

    def index_sender(self, session: Session, document_id: int, from_addr: str, mail_from: str) -> None: ...

    def search(self, session: Session, query: SearchQuery) -> list[SearchHit]: ...

    def count(self, session: Session, query: SearchQuery, cap: int | None = None) -> int: ...


class _SqlSearcher:
    """What both backends share: filters, paging, the filter-only listing and turning rows into hits."""

    join = ""
    id_column = "d.id"

    def search(self, session: Session, query: SearchQuery) -> list[SearchHit]:
        parsed = parse_query(query.text)
        where, params = self._filters(query, "d.id" if parsed.empty else self.id_column)
        limit, offset = clamp_paging(query)
        params.update(limit=limit, offset=offset)
        if parsed.empty:
            sql = (
                _SELECT + "false AS exact, '' AS exact_text, '' AS folded_text "
                "FROM documents d JOIN messages m ON m.id = d.message_id "
                f"WHERE {where} ORDER BY {sort_clause(query.sort) or 'd.arrived_at DESC, d.id DESC'} "
                "LIMIT :limit OFFSET :offset"
            )
        else:
            return self._text_search(session, query, parsed, where, params)
        rows = session.execute(sa.text(sql).columns(*_HIT_COLUMNS), params).all()
        return [_hit(row, parsed) for row in rows]

    def index_sender(self, session: Session, document_id: int, from_addr: str, mail_from: str) -> None:
        """Make the document findable by a substring of its sender (where the backend keeps a table for it)."""

    def _filters(self, query: SearchQuery, document_id: str) -> tuple[str, dict[str, Any]]:
        where, params = _filters(query, document_id)
        sender = self._sender_candidates(query.sender.strip(), document_id, params)
        return (f"{where} AND {sender}" if sender else where), params

    def _sender_candidates(self, sender: str, document_id: str, params: dict[str, Any]) -> str:
        """A condition on ``document_id`` that an index answers and every document of ``sender`` meets ("": none).

        It only narrows: the LIKE of _filters still decides, so what a search finds does not change.
        """
        return ""

    def _narrow_to_ids(self, session: Session, query: SearchQuery, where: str,
                       params: dict[str, Any], id_column: str | None = None) -> str | None:
        """``where`` plus the document-id range of the date filter (None: no document in the dates).

        Ids grow with registration, so a date range is a narrow id range the full-text index walks directly
        instead of checking the date of every text match; the date condition stays, so the range only needs
        to cover the dates, which it does exactly however ids and dates interleave.
        """
        if query.date_from is None and query.date_to is None:
            return where
        ids = _id_range(session, query.date_from, query.date_to)
        if ids is None:
            return where
        if ids == (None, None):
            return None
        params.update(id_lo=ids[0], id_hi=ids[1])
        return f"{where} AND {id_column or self.id_column} BETWEEN :id_lo AND :id_hi"

    def _text_search(self, session: Session, query: SearchQuery, parsed: ParsedQuery, where: str,
                     params: dict[str, Any]) -> list[SearchHit]:
        """Pick the page by ids first, then read the texts and envelopes of those rows only.

        In one query the database carried every match's full texts (for the snippets) and its message through
        the sort: tens of thousands of rows for a common word before LIMIT kept twenty.
        """
        narrowed = self._narrow_to_ids(session, query, where, params)
        if narrowed is None:
            return []
        where = narrowed
        match, exact, order = self._match(parsed, params)
        messages = "JOIN messages m ON m.id = d.message_id" if query.sender.strip() else ""
        sort = sort_clause(query.sort, self.id_column)
        page = None
        if query.sort == "-id":
            page = self._newest_window(session, query, match, where, messages, params)
        if page is None:
            page = session.execute(sa.text(
                f"SELECT d.id AS id, {exact if sort is None else 'false'} AS exact FROM documents d {messages} "
                f"{self.join} WHERE {match} AND {where} ORDER BY {sort or order} LIMIT :limit OFFSET :offset"
            ), params).all()
        if not page:
            return []
        exact_of = {row.id: bool(row.exact) for row in page}
        if sort is not None:  # not ranked by it, so the exact mark is looked up for the page's rows only
            marked = self._exact_ids(session, exact, params, list(exact_of))
            exact_of = {i: i in marked for i in exact_of}
        ids = {f"id_{k}": document_id for k, document_id in enumerate(exact_of)}
        rows = session.execute(sa.text(
            _SELECT + "false AS exact, si.exact AS exact_text, si.folded AS folded_text "
            f"FROM documents d JOIN messages m ON m.id = d.message_id {self.join} "
            f"WHERE d.id IN ({', '.join(':' + name for name in ids)})"
        ).columns(*_HIT_COLUMNS), ids).all()
        by_id = {row.id: row for row in rows}
        return [_hit(by_id[i], parsed, exact_of[i]) for i in exact_of if i in by_id]

    def _newest_window(self, session: Session, query: SearchQuery, match: str, where: str, messages: str,
                       params: dict[str, Any]) -> list[Any] | None:
        """The newest-first page from the newest ids alone, or None when they hold too few matches."""
        return None

    def _exact_ids(self, session: Session, exact: str, params: dict[str, Any], ids: list[int]) -> set[int]:
        """Which of ``ids`` match the query with the diacritics as typed."""
        names = {f"page_{k}": i for k, i in enumerate(ids)}
        rows = session.execute(sa.text(
            f"SELECT d.id FROM documents d {self.join} "
            f"WHERE d.id IN ({', '.join(':' + n for n in names)}) AND {exact}"
        ), {**params, **names}).scalars()
        return set(rows)

    def count(self, session: Session, query: SearchQuery, cap: int | None = None) -> int:
        """Matches of ``query``; with ``cap``, counting stops there (a caller shows "more than cap")."""
        parsed = parse_query(query.text)
        where, params = self._filters(query, "d.id" if parsed.empty else self.id_column)
        # Only the sender filter reads messages: without it, counting skips the join (a second table scan).
        messages = "JOIN messages m ON m.id = d.message_id" if query.sender.strip() else ""
        prefix = ""
        if parsed.empty:
            sql = f"SELECT 1 FROM documents d {messages} WHERE {where}"
        else:
            match, _exact, _order = self._match(parsed, params)
            narrowed = self._narrow_to_ids(session, query, where, params)
            if narrowed is None:
                return 0
            where = narrowed
            if where == "1 = 1":  # text alone: the full-text index answers without touching documents
                sql = f"SELECT 1 FROM search_index si WHERE {match}"
            else:
                prefix, sql = self._filtered_matches(match, where, messages, "id_lo" in params)
        if cap is not None:
            params["cap"] = int(cap)
            sql += " LIMIT :cap"
        statement = f"{prefix}SELECT count(*) FROM ({sql}) AS matches"
        return int(session.execute(sa.text(statement), params).scalar_one())

    def _filtered_matches(self, match: str, where: str, messages: str, id_range: bool) -> tuple[str, str]:
        """A WITH clause (or "") and the SELECT of documents matching the text and the filters, unordered."""
        return "", f"SELECT 1 FROM documents d {messages} {self.join} WHERE {match} AND {where}"

    def _match(self, parsed: ParsedQuery, params: dict[str, Any]) -> tuple[str, str, str]:
        raise NotImplementedError


class SqliteSearcher(_SqlSearcher):
    """FTS5 table ``search_index(exact, folded)`` whose rowid is the document id."""

    join = "JOIN search_index si ON si.rowid = d.id"
    id_column = "si.rowid"

    def indexed_text(self, session: Session, document_id: int) -> tuple[str, str]:
        """The (exact, folded) text the document is indexed with; empty strings when it is not indexed."""
        row = session.execute(sa.text("SELECT exact, folded FROM search_index WHERE rowid = :id"),
                              {"id": document_id}).first()
        return (row[0], row[1]) if row else ("", "")

    def index_document(self, session: Session, document_id: int, exact_text: str, folded_text: str) -> None:
        session.execute(sa.text("DELETE FROM search_index WHERE rowid = :id"), {"id": document_id})
        session.execute(
            sa.text("INSERT INTO search_index (rowid, exact, folded) VALUES (:id, :exact, :folded)"),
            {"id": document_id, "exact": exact_text, "folded": folded_text},
        )

    def index_sender(self, session: Session, document_id: int, from_addr: str, mail_from: str) -> None:
        session.execute(sa.text("DELETE FROM sender_index WHERE rowid = :id"), {"id": document_id})
        session.execute(
            sa.text("INSERT INTO sender_index (rowid, from_addr, mail_from) VALUES (:id, :from_addr, :mail_from)"),
            {"id": document_id, "from_addr": from_addr or "", "mail_from": mail_from or ""},
        )

    def _sender_candidates(self, sender: str, document_id: str, params: dict[str, Any]) -> str:
        # The trigram table finds a substring of three characters or more (case folded, as the LIKE); a
        # shorter one has no trigram to look up, and the LIKE alone reads every candidate's message as before.
        if len(sender) < TRIGRAM:
            return ""
        params["sender_fts"] = _fts_substring(sender)
        # The unary plus keeps SQLite from walking the sender's documents and asking the text index about each
        # (one FTS5 query per row: 14 s for a sender of 75,000 documents); the set is built once and probed.
        return f"+{document_id} IN (SELECT rowid FROM sender_index WHERE sender_index MATCH :sender_fts)"

    def count(self, session: Session, query: SearchQuery, cap: int | None = None) -> int:
        parsed = parse_query(query.text)
        if cap is not None and not parsed.empty and self._common_sender(session, query.sender.strip()):
            sender_first = self._sender_first(session, query, parsed)
            if sender_first is None:
                return 0
            sql, params = sender_first
            params["cap"] = int(cap)
            return int(session.execute(sa.text(f"SELECT count(*) FROM (SELECT 1 {sql} LIMIT :cap) AS matches"),
                                       params).scalar_one())
        return super().count(session, query, cap)

    def _newest_window(self, session: Session, query: SearchQuery, match: str, where: str, messages: str,
                       params: dict[str, Any]) -> list[Any] | None:
        """A common sender's newest-first page (None: another sender, for the ordinary query).

        First from the text's newest TEXT_WINDOW matches alone, each message's sender tested by the LIKE (no
        sender set to build: a sender of 7.5 % fills a page of twenty within ~270 of them); short of a page
        there, by walking the sender's own matches newest first, the text's matches as the set.
        """
        if not self._common_sender(session, query.sender.strip()):
            return None
        plain, own = _filters(query, self.id_column)  # without the sender's candidate set
        narrowed = self._narrow_to_ids(session, query, plain, own)
        if narrowed is None:
            return []
        self._match(parse_query(query.text), own)
        range_ids = " AND rowid BETWEEN :id_lo AND :id_hi" if "id_lo" in own else ""
        own.update(limit=params["limit"], offset=params["offset"], text_window=TEXT_WINDOW - 1)
        floor = session.execute(sa.text(
            f"SELECT rowid FROM search_index WHERE search_index MATCH :fts_folded{range_ids} "
            "ORDER BY rowid DESC LIMIT 1 OFFSET :text_window"), own).scalar()
        rows = session.execute(sa.text(
            f"SELECT d.id AS id, false AS exact FROM documents d {messages} {self.join} WHERE {match} AND {narrowed}"
            f"{' AND si.rowid >= :floor' if floor is not None else ''} "
            "ORDER BY si.rowid DESC LIMIT :limit OFFSET :offset"), {**own, "floor": floor}).all()
        # Every text match below the floor is older than all above it: a full page above it is the page, and
        # with no floor (fewer matches than the window) the page is whole whatever its length.
        if floor is None or len(rows) == params["limit"]:
            return rows
        sender_first = self._sender_first(session, query, parse_query(query.text))
        if sender_first is None:
            return []
        sql, own = sender_first
        own.update(limit=params["limit"], offset=params["offset"])
        return session.execute(sa.text(
            f"SELECT d.id AS id, false AS exact {sql} ORDER BY sx.rowid DESC LIMIT :limit OFFSET :offset"
        ), own).all()

    def _common_sender(self, session: Session, sender: str) -> bool:
        """Whether the trigram index finds at least COMMON_SENDER documents for ``sender`` (counted no further)."""
        if len(sender) < TRIGRAM:
            return False
        found = session.execute(sa.text(
            "SELECT count(*) FROM (SELECT 1 FROM sender_index WHERE sender_index MATCH :sender_fts LIMIT :common)"
        ), {"sender_fts": _fts_substring(sender), "common": COMMON_SENDER}).scalar_one()
        return found >= COMMON_SENDER

    def _sender_first(self, session: Session, query: SearchQuery,
                      parsed: ParsedQuery) -> tuple[str, dict[str, Any]] | None:
        """FROM and WHERE walking a common sender's documents, the text's matches looked up as a set.

        With the sender as a set (the usual plan) SQLite first lists all of a common sender's documents from
        the trigram index (75,000 for 7.5 % of a million, ~15 ms), for the count and again for the page; the
        text's matches of a word make the smaller set, and the sender's walk stops at the cap or the page
        (newest first: by rowid, descending). Same conditions, the LIKE still deciding: same documents.
        None: no document in the dates.
        """
        where, params = _filters(query, "sx.rowid")
        self._match(parsed, params)
        narrowed = self._narrow_to_ids(session, query, where, params, "sx.rowid")
        if narrowed is None:
            return None
        params["sender_fts"] = _fts_substring(query.sender.strip())
        # The unary plus: the text's matches are listed once into a set and probed (see _sender_candidates).
        return ("FROM sender_index sx JOIN documents d ON d.id = sx.rowid JOIN messages m ON m.id = d.message_id "
                "WHERE sx.sender_index MATCH :sender_fts AND "
                f"+sx.rowid IN (SELECT rowid FROM search_index WHERE search_index MATCH :fts_folded) AND {narrowed}",
                params)

    def _exact_ids(self, session: Session, exact: str, params: dict[str, Any], ids: list[int]) -> set[int]:
        # One walk of the exact expression over the page's id span: listing every exact match of a common
        # word, or one FTS5 query per row (each loads its doclists), cost tens of milliseconds.
        rows = session.execute(sa.text(
            "SELECT rowid FROM search_index WHERE search_index MATCH :fts_exact AND rowid BETWEEN :lo AND :hi"
        ), {"fts_exact": params["fts_exact"], "lo": min(ids), "hi": max(ids)}).scalars()
        return set(rows) & set(ids)

    def _match(self, parsed: ParsedQuery, params: dict[str, Any]) -> tuple[str, str, str]:
        params["fts_folded"] = _fts_expression(parsed, exact=False)
        params["fts_exact"] = _fts_expression(parsed, exact=True)
        match = "si.search_index MATCH :fts_folded"
        exact = "(d.id IN (SELECT e.rowid FROM search_index e WHERE e.search_index MATCH :fts_exact))"
        return match, exact, "exact DESC, si.rank, d.arrived_at DESC, d.id DESC"


TRIGRAM = 3  # the shortest sender substring the trigram index can look up
COMMON_SENDER = 5_000  # a sender with this many documents is walked, the text's matches made the set
TEXT_WINDOW = 2_000  # newest text matches SQLite tests against a common sender's LIKE for a newest-first page


def _fts_substring(text: str) -> str:
    """An FTS5 string that the trigram tokenizer matches as a substring."""
    return '"' + text.replace('"', '""') + '"'


def _fts_phrase(tokens: tuple[str, ...]) -> str:
    return '"' + " ".join(tokens).replace('"', '""') + '"'


def _fts_expression(parsed: ParsedQuery, exact: bool) -> str:
    """An FTS5 expression built only from our tokens, each phrase quoted and tied to its column."""
    groups = []
    for group in parsed.groups:
        parts = []
        for term in group:
            if exact and term.accented:
                parts.append(f"exact : {_fts_phrase(term.exact)}")
            else:
                parts.append(f"folded : {_fts_phrase(term.folded)}")
        groups.append("(" + " AND ".join(parts) + ")")
    return " OR ".join(groups)


class PostgresSearcher(_SqlSearcher):
    """Table ``search_index`` with tsvectors ('simple') over the exact and the folded text, GIN indexed."""

    join = "JOIN search_index si ON si.document_id = d.id"
    id_column = "si.document_id"

    def indexed_text(self, session: Session, document_id: int) -> tuple[str, str]:
        """The (exact, folded) text the document is indexed with; empty strings when it is not indexed."""
        row = session.execute(sa.text("SELECT exact, folded FROM search_index WHERE document_id = :id"),
                              {"id": document_id}).first()
        return (row[0], row[1]) if row else ("", "")

    def index_document(self, session: Session, document_id: int, exact_text: str, folded_text: str) -> None:
        session.execute(
            sa.text(
                "INSERT INTO search_index (document_id, exact, folded, exact_tsv, folded_tsv) "
                "VALUES (:id, :exact, :folded, to_tsvector('simple', :exact_tokens), "
                "to_tsvector('simple', :folded_tokens)) "
                "ON CONFLICT (document_id) DO UPDATE SET exact = excluded.exact, folded = excluded.folded, "
                "exact_tsv = excluded.exact_tsv, folded_tsv = excluded.folded_tsv"
            ),
            {
                "id": document_id,
                "exact": exact_text,
                "folded": folded_text,
                "exact_tokens": index_tokens(exact_text.lower()),  # 'simple' lowercases by locale only
                "folded_tokens": index_tokens(folded_text),
            },
        )

    def _match(self, parsed: ParsedQuery, params: dict[str, Any]) -> tuple[str, str, str]:
        params["tsq_folded"] = " | ".join(
            "(" + " & ".join(_ts_phrase(term.folded) for term in group) + ")" for group in parsed.groups
        )
        fq = "to_tsquery('simple', :tsq_folded)"
        alternatives = []
        for g, group in enumerate(parsed.groups):
            checks = []
            for t, term in enumerate(group):
                name = f"tsq_exact_{g}_{t}"
                column, tokens = _exact_column(term)
                params[name] = _ts_phrase(tokens)
                checks.append(f"si.{column} @@ to_tsquery('simple', :{name})")
            alternatives.append("(" + " AND ".join(checks) + ")")
        exact = "(" + " OR ".join(alternatives) + ")"
        return f"si.folded_tsv @@ {fq}", exact, f"exact DESC, ts_rank(si.folded_tsv, {fq}) DESC, d.arrived_at DESC, d.id DESC"


    def search(self, session: Session, query: SearchQuery) -> list[SearchHit]:
        _no_jit(session)
        return super().search(session, query)

    def count(self, session: Session, query: SearchQuery, cap: int | None = None) -> int:
        _no_jit(session)
        if cap is not None and cap > 0:
            capped = self._count_newest(session, query, cap)
            if capped is not None:
                return capped
        return super().count(session, query, cap)

    def _count_newest(self, session: Session, query: SearchQuery, cap: int) -> int | None:
        """``cap`` when the newest documents in scope already hold that many text matches, else None.

        Counted through the GIN index, a common word's matches are all read first (~150,000 at a million
        documents, a bitmap gone lossy beyond work_mem) before the first thousand are counted, and a unit's
        scope then tests seven in eight of them against assignments. Testing the newest documents' texts one by
        one by primary key (a unit's: its newest assignments, ix_assignments_unit_document, index only) stops
        after cap / (the word's share) documents. The newest COUNT_PROBE documents tell the share; the walk
        is taken only when it promises the cap within COUNT_WINDOW_MAX documents (a word in about one in eight
        or more): for rarer words the GIN index's lists are short and it is the faster way, and when the
        planner's statistics already say the word is that rare (_share_bound) not even the probe is run.
        Every match found is one the full count finds, so reaching ``cap`` is the capped count; short of it
        the caller counts through the GIN index, as before.
        """
        parsed = parse_query(query.text)
        # A sender or a date range makes matches among the newest documents too rare to pay for the walk.
        if parsed.empty or query.sender.strip() or query.date_from is not None or query.date_to is not None:
            return None
        if query.units is not None and len(query.units) != 1:
            return None
        share = _share_bound(session, parsed)
        if share is not None and share < cap * 5 / (4 * COUNT_WINDOW_MAX):
            return None  # by the statistics, too rare a word to fill the cap within the window: not even a probe
        where, params = self._filters(query, self.id_column)
        match, _exact, _order = self._match(parsed, params)
        if query.units is None:
            source = "SELECT document_id FROM search_index ORDER BY document_id DESC LIMIT :count_window"
        else:
            source = ("SELECT a.document_id FROM assignments a WHERE a.unit_code = :window_unit "
                      "ORDER BY a.document_id DESC LIMIT :count_window")
            params["window_unit"] = query.units[0]
        # OFFSET 0 keeps the lateral subquery a probe per document: merged into the join, the planner hashes
        # the window against a scan of documents or the GIN index's matches instead.
        statement = sa.text(
            f"SELECT count(*) FROM (SELECT 1 FROM ({source}) w CROSS JOIN LATERAL (SELECT 1 FROM search_index si "
            "JOIN documents d ON d.id = si.document_id "
            f"WHERE si.document_id = w.document_id AND {match} AND {where} OFFSET 0) hit LIMIT :cap) AS matches"
        )
        probe = session.execute(statement, {**params, "count_window": COUNT_PROBE, "cap": COUNT_PROBE}).scalar_one()
        if probe >= cap:
            return int(cap)
        window = COUNT_PROBE * cap * 5 // (4 * probe) if probe else 0  # what the share promises, with a margin
        if not COUNT_PROBE < window <= COUNT_WINDOW_MAX:
            return None
        found = session.execute(statement, {**params, "count_window": window, "cap": int(cap)}).scalar_one()
        return int(cap) if found >= cap else None

    def _filtered_matches(self, match: str, where: str, messages: str, id_range: bool) -> tuple[str, str]:
        """Text matches first (GIN), each then checked against the filters, behind a materialized CTE.

        Left to itself PostgreSQL underestimates a phrase (its words taken as independent) and starts from
        the filter: for a unit's scope it read the unit's hundred thousand assignments and their documents
        to count the first thousand matches. A CTE is read only as far as the LIMIT of the count asks.
        """
        if messages:  # a sender's substring has no index: the planner's own plan was faster (408 against 621 ms)
            return super()._filtered_matches(match, where, messages, id_range)
        ids = " AND si.document_id BETWEEN :id_lo AND :id_hi" if id_range else ""
        return (
            f"WITH hits AS MATERIALIZED (SELECT si.document_id FROM search_index si WHERE {match}{ids}) ",
            f"SELECT 1 FROM hits si JOIN documents d ON d.id = si.document_id {messages} WHERE {where}",
        )

    def _newest_window(self, session: Session, query: SearchQuery, match: str, where: str, messages: str,
                       params: dict[str, Any]) -> list[Any] | None:
        """Test the text on the newest ids one by one, newest first, behind a fence the planner cannot look through.

        Left to itself PostgreSQL estimates a phrase from its words as if independent (a few hundred rows for
        one in thirty documents) and reads every match from the GIN index, rechecks each and sorts them. A
        search listed newest first has many matches (the web lists by id beyond RELEVANCE_MAX), so the newest
        ids hold a page; when they do not, the caller runs the ordinary query, which is right for rare words.
        """
        top = params.get("id_hi")
        if top is None:
            top = session.execute(sa.text("SELECT max(document_id) FROM search_index")).scalar()
        if top is None:
            return None
        # OFFSET 0 keeps the planner from merging the subquery (and reaching for the GIN index); its order
        # carries through, so the walk stops as soon as the page is full.
        statement = sa.text(
            "SELECT d.id AS id, false AS exact FROM documents d "
            f"{messages} JOIN (SELECT document_id, folded_tsv FROM search_index "
            "WHERE document_id > :window_lo AND document_id <= :window_hi ORDER BY document_id DESC OFFSET 0) si "
            f"ON si.document_id = d.id WHERE {match} AND {where} "
            "ORDER BY si.document_id DESC LIMIT :limit OFFSET :offset"
        )
        rows = session.execute(statement, {**params, "window_lo": top - WINDOW, "window_hi": top}).all()
        # Every id below the window is older than all in it: a full page from the window is the page.
        if len(rows) == params["limit"]:
            return rows
        # Short of a page, the window held offset + len(rows) matches: their share tells how far down a page
        # lies (a filter such as a common sender leaves a few hundred matches in a hundred thousand). One
        # longer window is tried when that is within WINDOW_MAX ids; the GIN index's sort otherwise.
        held = params["offset"] + len(rows)
        wanted = params["offset"] + params["limit"]
        longer = WINDOW * wanted * 5 // (4 * held) if held else 0
        if not WINDOW < longer <= WINDOW_MAX:
            return None
        rows = session.execute(statement, {**params, "window_lo": top - longer, "window_hi": top}).all()
        return rows if len(rows) == params["limit"] else None


WINDOW = 5_000  # newest ids PostgreSQL tests one by one for a newest-first page before asking the GIN index
WINDOW_MAX = 50_000  # the longest second window, when the first's matches promise a page there
COUNT_PROBE = 1_000  # newest documents in scope whose matches tell a word's share before a capped count
COUNT_WINDOW_MAX = 10_000  # the most newest documents tested one by one for a capped count before the GIN index


def _share_bound(session: Session, parsed: ParsedQuery) -> float | None:
    """At most what share of the documents match the folded text, by ANALYZE's most common lexemes (None: no
    statistics). A term is no commoner than its rarest word, a group than its rarest term, and an OR no commoner
    than its groups together; a word not in the list is no commoner than the list's least common (as sampled).
    """
    row = session.execute(sa.text(
        "SELECT most_common_elems::text::text[] AS elems, most_common_elem_freqs AS freqs FROM pg_stats "
        "WHERE tablename = 'search_index' AND attname = 'folded_tsv' AND schemaname = ANY (current_schemas(false))"
    )).first()
    if row is None or not row.elems or not row.freqs or len(row.freqs) <= len(row.elems):
        return None
    freq = dict(zip(row.elems, row.freqs))
    least = row.freqs[len(row.elems)]  # after the lexemes' own: their minimum, then their maximum
    share = sum(min(min(freq.get(token, least) for token in term.folded) for term in group)
                for group in parsed.groups)
    return min(share, 1.0)


def _no_jit(session: Session) -> None:
    """No JIT compilation for this read's statements: a search's plan costs (a count's nested loops over a
    hundred thousand estimated rows) pass jit_above_cost, and compiling took ~30 ms of a 100 ms search."""
    session.execute(sa.text("SET LOCAL jit = off"))


def _exact_column(term: Term) -> tuple[str, tuple[str, ...]]:
    return ("exact_tsv", term.exact) if term.accented else ("folded_tsv", term.folded)


def _ts_phrase(tokens: tuple[str, ...]) -> str:
    # Tokens hold only letters and digits (query.TOKEN), so quoting them cannot break out of a lexeme.
    return "(" + " <-> ".join(f"'{token}'" for token in tokens) + ")"


MAX_RANGE_DAYS = 100  # longer date ranges are not turned into an id range (one index probe per day)


def _id_range(session: Session, date_from: dt.date | None, date_to: dt.date | None) -> tuple[Any, Any] | None:
    """Smallest and largest document id arriving in the dates ((None, None): none; None: range too long).

    One probe per day of the (arrival_date, id) index: min and max over a month's ninety thousand index
    entries cost more than the search they serve.
    """
    first, last = session.execute(sa.text(
        # Two subqueries: each is one index probe, where min and max in one SELECT scan the whole index.
        "SELECT (SELECT min(arrival_date) FROM documents) AS a, (SELECT max(arrival_date) FROM documents) AS b")
                                  .columns(sa.column("a", sa.Date), sa.column("b", sa.Date))).one()
    if first is None:
        return None, None
    start = max(first, date_from) if date_from is not None else first
    end = min(last, date_to) if date_to is not None else last
    if start > end:
        return None, None
    days = (end - start).days + 1
    if days > MAX_RANGE_DAYS:
        return None
    names = [f"day_{k}" for k in range(days)]
    probes = " UNION ALL ".join(
        f"SELECT (SELECT min(id) FROM documents WHERE arrival_date = :{n}) AS lo, "
        f"(SELECT max(id) FROM documents WHERE arrival_date = :{n}) AS hi" for n in names
    )
    statement = sa.text(f"SELECT min(lo), max(hi) FROM ({probes}) AS probes").bindparams(
        *(sa.bindparam(n, start + dt.timedelta(days=k), type_=sa.Date) for k, n in enumerate(names))
    )
    lo, hi = session.execute(statement).one()
    return (lo, hi) if lo is not None else (None, None)


def _filters(query: SearchQuery, document_id: str = "d.id") -> tuple[str, dict[str, Any]]:
    """The WHERE of the field filters; ``document_id`` is the id the query reads first (the full-text index's).

    A unit's scope checks the text match's own id against assignments before the document row is read: seven
    in eight matches of a common word fail there, and skip a primary-key probe of documents.
    """
    clauses = ["1 = 1"]
    params: dict[str, Any] = {}
    if query.date_from is not None:
        clauses.append("d.arrival_date >= :date_from")
        params["date_from"] = query.date_from
    if query.date_to is not None:
        clauses.append("d.arrival_date <= :date_to")
        params["date_to"] = query.date_to
    if query.sender.strip():
        clauses.append(
            "(lower(m.from_addr) LIKE :sender ESCAPE '\\' OR lower(m.mail_from) LIKE :sender ESCAPE '\\')"
        )
        params["sender"] = like_pattern(query.sender.strip())
    if query.arrival_number is not None:
        clauses.append("d.arrival_number = :arrival_number")
        params["arrival_number"] = int(query.arrival_number)
    if query.year is not None:
        clauses.append("d.year = :year")
        params["year"] = int(query.year)
    if query.review_below is not None:
        clauses.append("d.review_confidence < :review_below")
        params["review_below"] = float(query.review_below)
    scope, scope_params = scope_sql(Scope(query.units, query.include_secret), document_id)
    clauses.append(scope)
    params.update(scope_params)
    return " AND ".join(clauses), params


def _hit(row: Any, parsed: ParsedQuery, exact: bool = False) -> SearchHit:
    return SearchHit(
        document_id=row.id,
        year=row.year,
        arrival_number=row.arrival_number,
        arrival_date=row.arrival_date,
        arrived_at=row.arrived_at,
        subject=row.subject,
        sender=row.from_addr or row.mail_from,
        snippet=make_snippet(row.exact_text or "", row.folded_text or "", parsed.first_tokens(), row.subject),
        exact=exact,
    )


def searcher_for(engine: Engine | sa.Connection) -> Searcher:
    """The search backend matching the database of ``engine``."""
    name = engine.dialect.name
    if name == "sqlite":
        return SqliteSearcher()
    if name == "postgresql":
        return PostgresSearcher()
    raise NotImplementedError(f"no search backend for {name}")
